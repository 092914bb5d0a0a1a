"""Stated limits on untrusted input (README "Untrusted files")."""

MAX_CONFIG_BYTES = 64 << 20  # a model_config / config.json of 64 MiB (ResNet152's is 0.2 MiB)
MAX_JSON_DEPTH = 200  # nesting of JSON values; a model nested in a model adds about 10
MAX_MODEL_DEPTH = 32  # models and wrappers inside one another
MAX_LAYERS = 200_000  # layer entries in the whole config
MAX_NAME_LENGTH = 1024
MAX_VOCABULARY_TOKENS = 10_000_000  # entries of a SavedModel's lookup table (configs hold them)
MAX_DATASET_BYTES = 8 << 30  # one weight
MAX_TOTAL_WEIGHT_BYTES = 64 << 30  # all the weights of a model
MAX_COMPRESSION_RATIO = 1000  # declared bytes / stored bytes of a compressed dataset
MAX_ZIP_MEMBER_BYTES = MAX_TOTAL_WEIGHT_BYTES
MAX_ZIP_RATIO = 200  # a zip member may inflate 200 times, no more (zip bombs inflate millions of times)
MAX_ZIP_MEMBERS = 10_000
FLOAT32_MAX = 3.4e38  # an optimizer argument beyond it cannot be stored in a float32 variable
