"""CategoryEncoding: TF 2.3-2.5 `max_tokens` -> `num_tokens`, output mode "binary" -> "multi_hot".

Boundary: TF 2.3-2.5 (tensorflow/python/keras/layers/preprocessing/
category_encoding.py) wrote `max_tokens` and the modes "binary", "count",
"tf-idf"; TF 2.6 renamed them `num_tokens` and "multi_hot" (tf_keras/layers/
preprocessing/category_encoding.py), the names Keras 3 takes
(keras/src/layers/preprocessing/category_encoding.py). Both expand a rank-1
input to (batch, 1) before encoding. "tf-idf", whose weights the layer held
itself, has no Keras 3 equivalent and is refused.
"""

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import layer_pass


@layer_pass("category-encoding-arguments", classes={"CategoryEncoding"}, since="keras-3.0")
def category_encoding_arguments(layer: dict) -> dict:
    config = layer["config"]
    if "max_tokens" not in config and config.get("output_mode") not in ("binary", "tf-idf"):
        return layer
    if config.get("output_mode") == "tf-idf":
        raise Refusal(
            f"layer {config.get('name')!r} (CategoryEncoding) computes TF-IDF, which Keras 3's CategoryEncoding "
            "does not: use a lookup layer with output_mode='tf_idf'"
        )
    new = {("num_tokens" if k == "max_tokens" else k): v for k, v in config.items()}
    if config.get("output_mode") == "binary":
        new["output_mode"] = "multi_hot"
    return {**layer, "config": new}
