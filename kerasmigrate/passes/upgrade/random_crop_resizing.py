"""RandomCrop -> Resizing(crop_to_aspect_ratio=True), what it computes at inference.

Boundary: at inference tf.keras's RandomCrop (TF 2.3–2.15 `layers.experimental.preprocessing`
and `layers`, tf_keras) returns the centre of the image at its own aspect ratio resized to
`height` x `width` (bilinear; `image_utils.smart_resize` in TF 2.12+, tf_keras/src/layers/
preprocessing/image_preprocessing.py `RandomCrop.call`), while Keras 3's RandomCrop returns its
input uncropped (keras/src/layers/preprocessing/image_preprocessing/random_crop.py
`transform_images` crops only when training), so the next layer would see another shape.
Keras 3's `Resizing(height, width, crop_to_aspect_ratio=True)` is that centred crop and resize.
TF 2.2–2.6 resized first and cut the centre after: the same result where the input has the
crop's aspect ratio (verified on the samples); random-crop-resize-then-crop converts the others.
"""

from kerasmigrate.core.layout import INFERENCE_ONLY_KEY
from kerasmigrate.passes.registry import layer_pass

RESIZING_ARGS = ("name", "trainable", "dtype", "height", "width")


@layer_pass("random-crop-resizing", classes={"RandomCrop"}, since="keras-3.0")
def random_crop_resizing(layer: dict) -> dict:
    if layer.get("class_name") != "RandomCrop":
        return layer
    config = {k: v for k, v in layer["config"].items() if k in RESIZING_ARGS}
    config.update(interpolation="bilinear", crop_to_aspect_ratio=True)
    # module and registered_name of the old class go: layer-modules writes Resizing's
    return {
        "class_name": "Resizing",
        "config": config,
        INFERENCE_ONLY_KEY: layer["class_name"],
        **{k: v for k, v in layer.items() if k not in ("class_name", "config", "module", "registered_name")},
    }
