"""InputLayer: `batch_input_shape` -> `batch_shape`; drop `ragged: false`.

Boundary: every legacy writer stores `batch_input_shape`; Keras 3.0 renamed it
`batch_shape` (keras/src/layers/core/input_layer.py; 3.1 added a shim that
only the legacy deserializer uses). `ragged` (TF ≥ 2.0) is unknown to Keras
3.0–3.9 InputLayer and False is its meaning everywhere, so it is dropped.
"""

from kerasmigrate.passes.registry import layer_pass


@layer_pass("input-layer-batch-shape", classes={"InputLayer"}, since="keras-3.0")
def input_layer_batch_shape(layer: dict) -> dict:
    config = layer["config"]
    if "batch_input_shape" not in config and config.get("ragged") is not False:
        return layer
    new = {k: v for k, v in config.items() if k not in ("batch_input_shape", "ragged")}
    if "batch_input_shape" in config:
        new["batch_shape"] = config["batch_input_shape"]
    if config.get("ragged"):
        new["ragged"] = True
    return {**layer, "config": new}
