"""Mixed-precision policy objects -> Keras 3 `DTypePolicy`.

Boundary: tf.keras 2.1–2.3 write `{"class_name": "Policy", "config": {"name":
..., "loss_scale": ...}}` (experimental policies), TF ≥ 2.4 `Policy`/`PolicyV1`,
Keras 2.13+ add `module: "keras.mixed_precision"`. Keras 3 knows only
`DTypePolicy` (keras/src/dtype_policies/__init__.py) and returns the bare
string for `Policy`, which fails later ("'str' object has no attribute
'quantization_mode'"). The loss scale belongs to the optimizer in Keras 3.
"""

from kerasmigrate.passes.registry import layer_pass, with_config

LEGACY_POLICY_CLASSES = {"Policy", "PolicyV1"}


@layer_pass("dtype-policy", since="keras-3.0")
def dtype_policy(layer: dict) -> dict:
    config = layer.get("config")
    if not isinstance(config, dict):
        return layer
    dtype = config.get("dtype")
    if not isinstance(dtype, dict) or dtype.get("class_name") not in LEGACY_POLICY_CLASSES:
        return layer
    name = (dtype.get("config") or {}).get("name", "float32")
    return with_config(
        layer, dtype={"module": "keras", "class_name": "DTypePolicy", "config": {"name": name}, "registered_name": None}
    )
