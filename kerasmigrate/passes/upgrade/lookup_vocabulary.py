"""StringLookup/IntegerLookup/TextVectorization: drop `vocabulary_size`; refuse a missing vocabulary.

Boundary: tf.keras 2.6+ writes `vocabulary_size`, a figure derived from the
vocabulary that its own `from_config` pops (tf_keras/layers/preprocessing/
index_lookup.py `get_config`/`from_config`); Keras 3.0's lookup layers do not
take it (keras/src/layers/preprocessing/index_lookup.py). A vocabulary learned
with `adapt()` lives in TensorFlow lookup tables, which the legacy `.h5`
format never stored: such a layer's config has `vocabulary: null` and cannot
be converted faithfully.
"""

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import layer_pass, without_keys

LOOKUP_CLASSES = {"StringLookup", "IntegerLookup", "TextVectorization"}


@layer_pass("lookup-vocabulary", classes=LOOKUP_CLASSES, since="keras-3.0")
def lookup_vocabulary(layer: dict) -> dict:
    config = layer["config"]
    if config.get("vocabulary") is None:
        raise Refusal(
            f"layer {config.get('name')!r} ({layer['class_name']}) has no vocabulary in "
            "the file (adapted vocabularies are not saved in .h5 files)"
        )
    return without_keys(layer, "vocabulary_size")
