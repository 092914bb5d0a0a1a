"""Keras 1 layer classes that Keras 2 folded into others.

* `AtrousConvolution1D` / `AtrousConvolution2D` -> `Conv1D` / `Conv2D` with
  `dilation_rate` = `atrous_rate` (keras-team/keras 2.1.6
  keras/legacy/layers.py `AtrousConvolution1D`/`AtrousConvolution2D`: warn
  and return `Conv1D/Conv2D(…, dilation_rate=atrous_rate)`).
* `TimeDistributedDense` -> `Dense`, which Keras 2 and 3 apply to the last
  axis of a 3D input exactly as TimeDistributedDense did (keras 1.2.2
  keras/layers/core.py `TimeDistributedDense.call`: reshape to 2D, `dot(x, W)
  + b`, reshape back). Keras 2 dropped the class without a replacement.

Boundary: Keras 2.0.0 (the Keras 1 names are gone from Keras 2.2 and 3).
The other Keras 1 names (`Convolution2D`, …) are aliases Keras 3 still
lists (class-aliases handles them).
"""

from kerasmigrate.passes.registry import layer_pass

ATROUS = {"AtrousConvolution1D": "Conv1D", "AtrousConvolution2D": "Conv2D"}


@layer_pass("keras1-class-names", classes={*ATROUS, "TimeDistributedDense"}, since="keras-2.0.0")
def keras1_class_names(layer: dict) -> dict:
    cls = layer["class_name"]
    if cls not in ATROUS and cls != "TimeDistributedDense":
        return layer
    config = dict(layer["config"])
    if cls in ATROUS:
        rate = config.pop("atrous_rate", 1)
        config["dilation_rate"] = rate
        return {**layer, "class_name": ATROUS[cls], "config": config}
    config.pop("input_length", None)  # the time axis is part of the input shape
    return {**layer, "class_name": "Dense", "config": config}
