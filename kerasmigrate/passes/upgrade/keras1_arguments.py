"""Keras 1 argument names and values -> Keras 2/3 (`output_dim` -> `units`, `init`, `border_mode`…).

Boundary: Keras 2.0.0 renamed the constructor arguments; Keras 2 kept
reading Keras 1 configs through the conversion tables of
keras-team/keras 2.3.1 keras/legacy/interfaces.py (`legacy_dense_support`,
`legacy_conv2d_support` and `conv2d_args_preprocessor`,
`legacy_recurrent_support` and `recurrent_args_preprocessor`,
`legacy_batchnorm_support` and `batchnorm_args_preprocessor`,
`legacy_input_support`, …), which this pass reproduces: the same renames,
the same value conversions (`dim_ordering` 'th'/'tf' -> 'channels_first'/
'channels_last', `consume_less` -> `implementation`), `nb_row`/`nb_col` ->
`kernel_size`, `forget_bias_init='one'` -> `unit_forget_bias`,
BatchNormalization `mode` 0 dropped and modes 1/2 refused (no Keras 2/3
equivalent: they normalise per sample or with batch statistics at test time).
Keras 3 has no legacy interface, so without this pass every Keras 1 layer
fails with errors like `Dense.__init__() missing … 'units'`.

Like Keras 2's interfaces, a rename fires on the presence of the old key;
Keras 2 configs never hold these keys for these classes. Arguments that
only mattered for training and that Keras 2 dropped (Embedding `dropout`)
are dropped; `input_dim`/`input_length` are dropped because Keras 1 also
records the input shape as `batch_input_shape`, which later passes read.
"""

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import layer_pass

DIM_ORDERING = {"tf": "channels_last", "th": "channels_first", "default": None}
CONSUME_LESS = {"cpu": 0, "mem": 1, "gpu": 2}

WEIGHTS = [
    ("init", "kernel_initializer"),
    ("W_regularizer", "kernel_regularizer"),
    ("b_regularizer", "bias_regularizer"),
    ("W_constraint", "kernel_constraint"),
    ("b_constraint", "bias_constraint"),
    ("bias", "use_bias"),
]
CONV = [
    ("nb_filter", "filters"),
    ("subsample", "strides"),
    ("border_mode", "padding"),
    ("dim_ordering", "data_format"),
] + WEIGHTS
RECURRENT = [
    ("output_dim", "units"),
    ("init", "kernel_initializer"),
    ("inner_init", "recurrent_initializer"),
    ("inner_activation", "recurrent_activation"),
    ("W_regularizer", "kernel_regularizer"),
    ("b_regularizer", "bias_regularizer"),
    ("U_regularizer", "recurrent_regularizer"),
    ("dropout_W", "dropout"),
    ("dropout_U", "recurrent_dropout"),
    ("consume_less", "implementation"),
]
DIM = [("dim_ordering", "data_format")]

# class (Keras 1 and Keras 2 names) -> (old, new) renames, from legacy/interfaces.py
RENAMES = {
    "Dense": [("output_dim", "units")] + WEIGHTS,
    "Dropout": [("p", "rate")],
    "GaussianDropout": [("p", "rate")],
    "GaussianNoise": [("sigma", "stddev")],
    "SpatialDropout1D": [("p", "rate")],
    "SpatialDropout2D": [("p", "rate")] + DIM,
    "SpatialDropout3D": [("p", "rate")] + DIM,
    "Embedding": [
        ("init", "embeddings_initializer"),
        ("W_regularizer", "embeddings_regularizer"),
        ("W_constraint", "embeddings_constraint"),
    ],
    "PReLU": [("init", "alpha_initializer")],
    "MaxPooling1D": [("pool_length", "pool_size"), ("stride", "strides"), ("border_mode", "padding")],
    "AveragePooling1D": [("pool_length", "pool_size"), ("stride", "strides"), ("border_mode", "padding")],
    "UpSampling1D": [("length", "size")],
    "Conv1D": [
        ("nb_filter", "filters"),
        ("filter_length", "kernel_size"),
        ("subsample_length", "strides"),
        ("border_mode", "padding"),
    ]
    + WEIGHTS,
    "Conv2D": CONV,
    "Conv3D": CONV,
    "SeparableConv2D": [c for c in CONV if c[0] not in ("init", "W_regularizer", "W_constraint")],
    "ConvLSTM2D": CONV
    + [
        ("inner_init", "recurrent_initializer"),
        ("U_regularizer", "recurrent_regularizer"),
        ("inner_activation", "recurrent_activation"),
        ("dropout_W", "dropout"),
        ("dropout_U", "recurrent_dropout"),
    ],
    "LSTM": RECURRENT,
    "GRU": RECURRENT,
    "SimpleRNN": RECURRENT,
    "BatchNormalization": [("beta_init", "beta_initializer"), ("gamma_init", "gamma_initializer")],
}
for _dims in ("2D", "3D"):
    for _cls in ("MaxPooling", "AveragePooling"):
        RENAMES[_cls + _dims] = [("border_mode", "padding")] + DIM
    for _cls in ("GlobalMaxPooling", "GlobalAveragePooling", "UpSampling", "ZeroPadding", "Cropping"):
        RENAMES[_cls + _dims] = DIM
for _cls in ("GlobalMaxPooling1D", "GlobalAveragePooling1D"):
    RENAMES[_cls] = []
KERAS1_ALIASES = {
    "Convolution1D": "Conv1D",
    "Convolution2D": "Conv2D",
    "Convolution3D": "Conv3D",
    "SeparableConvolution2D": "SeparableConv2D",
}
VALUES = {"data_format": DIM_ORDERING, "implementation": CONSUME_LESS}
# Keys a Keras 1 layer records that Keras 2 turned into the input shape or dropped.
DROPPED = {"input_dim", "input_length"}
OLD_KEYS = (
    {old for renames in RENAMES.values() for old, _ in renames}
    | DROPPED
    | {"input_dtype", "nb_row", "nb_col", "kernel_dim1", "mode", "forget_bias_init"}
)


def _kernel_size(cls: str, config: dict, name: str):
    if "nb_row" in config or "nb_col" in config:
        return [config.pop("nb_row"), config.pop("nb_col")]
    if "kernel_dim1" in config:
        return [config.pop("kernel_dim1"), config.pop("kernel_dim2"), config.pop("kernel_dim3")]
    return None


@layer_pass("keras1-arguments", since="keras-2.0.0")
def keras1_arguments(layer: dict) -> dict:
    cls = layer["class_name"]
    config = layer.get("config")
    if not isinstance(config, dict) or not any(key in config for key in OLD_KEYS):
        return layer
    name = config.get("name")
    cls = KERAS1_ALIASES.get(cls, cls)
    config = dict(config)
    if "input_dtype" in config:
        dtype = config.pop("input_dtype")
        if cls == "InputLayer":  # legacy_input_support
            config.setdefault("dtype", dtype)
        # elsewhere it was the input placeholder's dtype (keras1-sequential-input moves it
        # to the InputLayer); the layer itself computed in floatx
    if (cls in RENAMES or cls in KERAS1_ALIASES) and cls != "Embedding":  # its input_dim is the vocabulary
        for key in DROPPED:
            config.pop(key, None)
    if cls == "BatchNormalization" and "mode" in config:
        mode = config.pop("mode")
        if mode != 0:
            raise Refusal(
                f"BatchNormalization layer {name!r} uses mode={mode}, which normalises "
                "per sample (1) or with batch statistics at test time (2): Keras 2 and 3 "
                "have no such mode"
            )
    if cls == "Embedding":
        config.pop("dropout", None)
    if cls == "SeparableConv2D" and "init" in config:  # separable_conv2d_args_preprocessor
        init = config.pop("init")
        config["depthwise_initializer"] = config["pointwise_initializer"] = init
    if cls in ("LSTM", "ConvLSTM2D") and "forget_bias_init" in config:
        if config.pop("forget_bias_init") == "one":
            config["unit_forget_bias"] = True
    size = _kernel_size(cls, config, name)
    if size is not None:
        config["kernel_size"] = size
    for old, new in RENAMES.get(cls, []):
        if old not in config:
            continue
        value = config.pop(old)
        if new in VALUES and isinstance(value, str):
            if value not in VALUES[new]:
                raise Refusal(f"layer {name!r} ({cls}): {old}={value!r} is not a Keras 1 value")
            value = VALUES[new][value]
        config[new] = value
    if config.get("padding") == "full":
        raise Refusal(f"layer {name!r} ({cls}) uses border_mode='full' (Theano only), which Keras 2 and 3 do not have")
    return layer if config == layer["config"] else {**layer, "config": config}
