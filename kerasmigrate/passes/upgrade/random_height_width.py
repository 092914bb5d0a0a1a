"""RandomHeight and RandomWidth -> Identity, what they compute at inference.

Boundary: Keras 3.0 dropped RandomHeight and RandomWidth (TF 2.3–2.15
`layers.experimental.preprocessing` and tf_keras `layers`), which resize each
training batch to a random height or width and return their input unchanged
otherwise (tf_keras/src/layers/preprocessing/image_preprocessing.py, `call`:
`if training: ... else: return inputs`). Keras 3 has no layer that resizes by a random
factor, so the converted model keeps their inference behaviour: `keras.layers.Identity`
under the same name (no weights). Training in Keras 3 no longer varies the image size there.
"""

from kerasmigrate.core.layout import INFERENCE_ONLY_KEY
from kerasmigrate.passes.registry import layer_pass

IDENTITY_ARGS = ("name", "trainable", "dtype")
RANDOM_RESIZES = {"RandomHeight", "RandomWidth"}


@layer_pass("random-height-width-identity", classes=RANDOM_RESIZES, since="keras-3.0")
def random_height_width(layer: dict) -> dict:
    if layer.get("class_name") not in RANDOM_RESIZES:
        return layer
    config = {k: v for k, v in layer["config"].items() if k in IDENTITY_ARGS}
    # module and registered_name of the old class go: layer-modules writes Identity's
    return {
        "class_name": "Identity",
        "config": config,
        INFERENCE_ONLY_KEY: layer["class_name"],
        **{k: v for k, v in layer.items() if k not in ("class_name", "config", "module", "registered_name")},
    }
