"""LeakyReLU: `alpha` -> `negative_slope`.

Boundary: Keras 2.x and tf.keras write `alpha`; Keras 3.0 renamed it
`negative_slope` (keras/src/layers/activations/leaky_relu.py) and rejects
`alpha` in configs ("Unrecognized keyword arguments").
"""

from kerasmigrate.passes.registry import layer_pass


@layer_pass("leaky-relu-negative-slope", classes={"LeakyReLU"}, since="keras-3.0")
def leaky_relu_negative_slope(layer: dict) -> dict:
    config = layer["config"]
    if "alpha" not in config:
        return layer
    new = {k: v for k, v in config.items() if k != "alpha"}
    new["negative_slope"] = config["alpha"]
    return {**layer, "config": new}
