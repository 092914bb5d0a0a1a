"""StringLookup/IntegerLookup/TextVectorization: Keras 3 arguments; refuse a missing vocabulary.

Boundary: tf.keras 2.6+ writes `vocabulary_size`, a figure derived from the
vocabulary that its own `from_config` pops (tf_keras/layers/preprocessing/
index_lookup.py `get_config`/`from_config`); Keras 3.0's lookup layers do not
take it (keras/src/layers/preprocessing/index_lookup.py). TF 2.3-2.5 named
IntegerLookup's arguments `max_values`, `mask_value`, `oov_value` and the
output modes "binary" and "tf-idf" (tensorflow/python/keras/layers/
preprocessing/integer_lookup.py, text_vectorization.py); TF 2.6 renamed them
`max_tokens`, `mask_token`, `oov_token`, "multi_hot", "tf_idf", the names
Keras 3 takes; they also defaulted TextVectorization's `pad_to_max_tokens` to
true, which without `max_tokens` pads nothing and which Keras 3 refuses
("If pad_to_max_tokens is True, must set `max_tokens`"). A vocabulary learned with `adapt()` lives in TensorFlow lookup
tables, which the legacy `.h5` format never stored: such a layer's config has
`vocabulary: null` and cannot be converted faithfully. A SavedModel keeps the
tables; its reader puts their vocabularies into the configs
(core/savedmodel_lookups.py).
"""

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import layer_pass

LOOKUP_CLASSES = {"StringLookup", "IntegerLookup", "TextVectorization"}
TF25_ARGUMENTS = {"max_values": "max_tokens", "mask_value": "mask_token", "oov_value": "oov_token"}
TF25_OUTPUT_MODES = {"binary": "multi_hot", "tf-idf": "tf_idf"}


@layer_pass("lookup-vocabulary", classes=LOOKUP_CLASSES, since="keras-3.0")
def lookup_vocabulary(layer: dict) -> dict:
    config = layer["config"]
    if config.get("vocabulary") is None:
        raise Refusal(
            f"layer {config.get('name')!r} ({layer['class_name']}) has no vocabulary in "
            "the file (adapted vocabularies are not saved in .h5 files)"
        )
    new = {TF25_ARGUMENTS.get(k, k): v for k, v in config.items() if k != "vocabulary_size"}
    if config.get("output_mode") in TF25_OUTPUT_MODES:
        new["output_mode"] = TF25_OUTPUT_MODES[config["output_mode"]]
    if new.get("pad_to_max_tokens") and new.get("max_tokens") is None:
        new["pad_to_max_tokens"] = False
    return layer if new == config else {**layer, "config": new}
