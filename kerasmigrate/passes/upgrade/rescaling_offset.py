"""Rescaling without `offset` -> `offset: 0.0`.

Boundary: TF 2.2's `layers.experimental.preprocessing.Rescaling` takes and writes `scale`
only (tensorflow/python/keras/layers/preprocessing/image_preprocessing.py); TF 2.3 added
`offset` (default 0.0). Keras 3's `Rescaling.from_config` reads `config["offset"]` and
fails without it ("KeyError: 'offset'", keras/src/layers/preprocessing/rescaling.py).
"""

from kerasmigrate.passes.registry import layer_pass, with_config


@layer_pass("rescaling-offset", classes={"Rescaling"}, since="keras-3.0")
def rescaling_offset(layer: dict) -> dict:
    return layer if "offset" in layer["config"] else with_config(layer, offset=0.0)
