"""How each layer sees the layout of its inputs under `--channels-last`: the rules the graph pass applies.

A tensor's *layout* is how the rewritten model holds what the original model held:
`None` (as the original), a permutation `perm` (the rewritten tensor is
`transpose(original, perm)`, batch axis first and fixed), or `Flat(channels)`
(a channels_first feature map flattened in channels_last order: its C·S entries
in S·C order). `decide` gives, for one layer call, the rewritten entry, the layout
each input must have and the layout of its output.

Sources (keras-team/keras): the layers named in DATA_FORMAT_CLASSES take
`data_format` and compute the same function in either format, on the transposed
input (keras/src/layers/convolutional/base_conv.py, base_conv_transpose.py,
base_separable_conv.py, base_depthwise_conv.py, pooling/base_pooling.py,
pooling/base_global_pooling.py, reshaping/zero_padding2d.py, cropping2d.py,
up_sampling2d.py, regularization/spatial_dropout.py, rnn/conv_lstm.py); their
kernels have one layout, (k…, in, out), in both formats (base_conv.py `build`:
`kernel_shape = self.kernel_size + (input_channel // self.groups, self.filters)`),
so no weight changes. The axis-taking layers (normalization/batch_normalization.py,
layer_normalization.py, unit_normalization.py, activations/softmax.py,
merging/concatenate.py) compute the same function with the axis moved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kerasmigrate.core.layout import STORED_CHANNELS_FIRST_KEY
from kerasmigrate.passes.refusal import Refusal

Perm = tuple[int, ...]


@dataclass(frozen=True)
class Flat:
    """A flattened channels_first map whose C·S entries come in S·C order."""

    channels: int


@dataclass(frozen=True)
class Tensor:
    """What the pass knows of one tensor: its layout and, for a feature map, the size of the
    original's axis 1 (its channels), when known."""

    layout: Perm | Flat | None = None
    channels: int | None = None


@dataclass(frozen=True)
class Decision:
    """One layer call rewritten: the new entry, the layout each input must arrive in, the output."""

    entry: dict
    inputs: tuple
    output: Tensor


DATA_FORMAT_CLASSES = {
    *(f"{kind}{n}D" for kind in ("Conv", "SeparableConv", "DepthwiseConv") for n in (1, 2, 3)),
    *(f"Conv{n}DTranspose" for n in (1, 2, 3)),
    *(f"{op}Pooling{n}D" for op in ("Max", "Average") for n in (1, 2, 3)),
    *(f"Global{op}Pooling{n}D" for op in ("Max", "Average") for n in (1, 2, 3)),
    *(f"{op}{n}D" for op in ("ZeroPadding", "Cropping", "UpSampling") for n in (2, 3)),
    "SpatialDropout2D",
    "SpatialDropout3D",
    *(f"ConvLSTM{n}D" for n in (1, 2, 3)),
}
AXIS_CLASSES = {"BatchNormalization", "LayerNormalization", "UnitNormalization", "Softmax", "Concatenate"}
# Elementwise, whatever the layout (a noise_shape or a non-elementwise activation aside).
ELEMENTWISE_CLASSES = {
    "Activation",
    "Dropout",
    "AlphaDropout",
    "GaussianDropout",
    "GaussianNoise",
    "ReLU",
    "LeakyReLU",
    "ELU",
    "ThresholdedReLU",
    "ActivityRegularization",
}
ELEMENTWISE_MERGES = {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"}
AXIS_ACTIVATIONS = {"softmax", "log_softmax"}


def channels_to_last(rank: int) -> Perm:
    """(batch, C, d1…) -> (batch, d1…, C)."""
    return (0, *range(2, rank), 1)


def steps_channels_to_last(rank: int) -> Perm:
    """(batch, time, C, d1…) -> (batch, time, d1…, C): the sequences ConvLSTM reads."""
    return (0, 1, *range(3, rank), 2)


def inverse(perm: Perm) -> Perm:
    out = [0] * len(perm)
    for position, axis in enumerate(perm):
        out[axis] = position
    return tuple(out)


def transposition(source: Perm | None, target: Perm | None, rank: int) -> Perm:
    """The axes that bring a tensor held in layout `source` to layout `target`."""
    back = inverse(source) if source else tuple(range(rank))
    forward = target or tuple(range(rank))
    return tuple(back[axis] for axis in forward)


def moved_axis(axis: int, perm: Perm) -> int:
    """Where the original's `axis` sits in a tensor held in layout `perm` (negative as given, and
    the last axis as -1, as channels_last layers write their channels: Keras 3.3 with the JAX of its
    time miscomputes a Softmax over a positive axis: passes/target/softmax_axis.py)."""
    position = perm.index(axis % len(perm))
    return position - len(perm) if axis < 0 or position == len(perm) - 1 else position


def spatial_rank(class_name: str) -> int:
    return int(re.search(r"([123])D", class_name).group(1))


def is_elementwise(entry: dict) -> bool:
    cls, config = entry["class_name"], entry["config"]
    if cls not in ELEMENTWISE_CLASSES or config.get("noise_shape") is not None:
        return False
    return cls != "Activation" or (
        isinstance(config.get("activation"), str) and config["activation"] not in AXIS_ACTIVATIONS
    )


def channels_first(entry: dict) -> bool:
    config = entry.get("config")
    return isinstance(config, dict) and config.get("data_format") == "channels_first"


def _out_channels(entry: dict, channels: int | None) -> int | None:
    config = entry["config"]
    if "filters" in config:
        return config["filters"]
    if entry["class_name"].startswith("DepthwiseConv"):
        return channels * config.get("depth_multiplier", 1) if channels else None
    return channels


def data_format_layer(entry: dict, tensor: Tensor) -> Decision:
    """A channels_first conv/pooling/padding/cropping/upsampling/ConvLSTM layer, made channels_last."""
    cls, config = entry["class_name"], entry["config"]
    spatial = spatial_rank(cls)
    recurrent = cls.startswith("ConvLSTM")
    wanted = steps_channels_to_last(spatial + 3) if recurrent else channels_to_last(spatial + 2)
    output = wanted
    if recurrent and not config.get("return_sequences"):
        output = channels_to_last(spatial + 2)
    if cls.startswith("Global") and not config.get("keepdims"):
        output = None
    rewritten = {**entry, "config": {**config, "data_format": "channels_last"}, STORED_CHANNELS_FIRST_KEY: True}
    return Decision(rewritten, (wanted,), Tensor(output, _out_channels(entry, tensor.channels)))


def axis_layer(entry: dict, tensors: list[Tensor]) -> Decision | None:
    """A layer taking `axis`, on inputs that all share one permutation; None when they do not."""
    layouts = {t.layout for t in tensors}
    perm = next(iter(layouts))
    axis = entry["config"].get("axis", -1)
    if len(layouts) != 1 or not isinstance(perm, tuple) or isinstance(axis, bool):
        return None
    if isinstance(axis, list):
        if len(axis) != 1:
            return None  # the weights of several normalised axes would be laid out anew
        new_axis = [moved_axis(axis[0], perm)]
    else:
        new_axis = moved_axis(axis, perm)
    channels = tensors[0].channels
    if entry["class_name"] == "Concatenate":
        joins_channels = axis % len(perm) == 1
        sizes = [t.channels for t in tensors]
        channels = sum(sizes) if joins_channels and None not in sizes else None if joins_channels else channels
    rewritten = {**entry, "config": {**entry["config"], "axis": new_axis}}
    return Decision(rewritten, (perm,) * len(tensors), Tensor(perm, channels))


def refuse_channels_first(entry: dict, where: str) -> None:
    """A channels_first layer (or wrapped layer) no rule rewrites."""
    cls = entry["class_name"]
    raise Refusal(
        f"layer {where!r} ({cls}): data_format channels_first cannot be rewritten to channels_last "
        "exactly here (a wrapped or unknown channels_first layer); convert without --channels-last"
    )


def nests_channels_first(entry: dict) -> bool:
    """Whether a wrapper's inner layers are channels_first."""
    config = entry.get("config")
    if not isinstance(config, dict):
        return False
    for key in ("layer", "backward_layer", "cell"):
        child = config.get(key)
        if isinstance(child, dict) and (channels_first(child) or nests_channels_first(child)):
            return True
    return False
