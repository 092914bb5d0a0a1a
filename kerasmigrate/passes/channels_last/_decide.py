"""One layer call under `--channels-last`: rewritten, passed through, or fed its original layout.

The rules of passes/channels_last/_layouts.py applied in order: a channels_first layer that
takes `data_format` is made channels_last; a layer on tensors held channels_last either
gets an exact rewrite (an axis moved, a Flatten -> Dense kernel reordered, an elementwise
layer passing the layout on) or, as anything else (Reshape, Permute, Dense on a feature
map, Lambda, custom classes, RNNs, nested models…), its inputs in the original layout:
a Permute back before it, exact by construction.
"""

from __future__ import annotations

from collections.abc import Callable

from kerasmigrate.core.layout import ROWS_CHANNELS_FIRST_KEY
from kerasmigrate.passes.channels_last._layouts import (
    AXIS_CLASSES,
    DATA_FORMAT_CLASSES,
    ELEMENTWISE_MERGES,
    Decision,
    Flat,
    Tensor,
    axis_layer,
    channels_first,
    channels_to_last,
    data_format_layer,
    is_elementwise,
    nests_channels_first,
    refuse_channels_first,
)

SHAPE_KEEPING = AXIS_CLASSES - {"Concatenate"}


def decide(entry: dict, tensors: list[Tensor], where: str, only_dense_after: Callable[[], bool]) -> Decision:
    """The rewrite of one call of `entry` on `tensors`; `only_dense_after()` tells whether the
    call's output reaches only Dense layers (through elementwise ones), never a model output."""
    cls = entry["class_name"]
    if cls in DATA_FORMAT_CLASSES and channels_first(entry):
        return data_format_layer(entry, tensors[0] if tensors else Tensor())
    if (channels_first(entry) and cls != "Flatten") or nests_channels_first(entry):
        refuse_channels_first(entry, where)
    if all(t.layout is None for t in tensors):
        return Decision(entry, tuple(None for _ in tensors), _kept(entry, tensors))
    if cls == "Flatten":
        return _flatten(entry, tensors[0], only_dense_after)
    if cls == "Dense" and isinstance(tensors[0].layout, Flat):
        rewritten = {**entry, ROWS_CHANNELS_FIRST_KEY: tensors[0].layout.channels}
        return Decision(rewritten, (tensors[0].layout,), Tensor())
    if cls in AXIS_CLASSES and all(isinstance(t.layout, tuple) for t in tensors):
        decision = axis_layer(entry, tensors)
        if decision is not None:
            return decision
    same = len({t.layout for t in tensors}) == 1
    if same and (is_elementwise(entry) or (cls in ELEMENTWISE_MERGES and len(tensors) > 1)):
        return Decision(entry, tuple(t.layout for t in tensors), tensors[0])
    return _in_original_layout(entry, tensors)


def _kept(entry: dict, tensors: list[Tensor]) -> Tensor:
    """The output of a layer left as it is: its channels are known where it keeps the shape."""
    if tensors and (is_elementwise(entry) or entry["class_name"] in SHAPE_KEEPING):
        return Tensor(None, tensors[0].channels)
    return Tensor()


def _in_original_layout(entry: dict, tensors: list[Tensor]) -> Decision:
    if any(isinstance(t.layout, Flat) for t in tensors):
        # only_dense_after() let no other layer see a Flat tensor
        raise AssertionError(f"{entry['class_name']} given a flattened channels_last map")
    return Decision(entry, tuple(None for _ in tensors), _kept(entry, tensors))


def _flatten(entry: dict, tensor: Tensor, only_dense_after: Callable[[], bool]) -> Decision:
    """Flatten of a map held channels_last.

    Keras 2.1.5+ and Keras 3 `Flatten(data_format="channels_first")` move the channels last
    before flattening (keras-team/keras 2.2.4 keras/layers/core.py `Flatten.call`; Keras 3
    keras/src/layers/reshaping/flatten.py `call`), so it flattens in channels_last order
    already: it becomes channels_last and its output is as before. Any other Flatten (Keras 1
    has no data_format; channels_last) flattens in C·S order: its Dense consumers get their
    kernel rows reordered instead, or, where something else reads it, it gets the original map.
    """
    perm = tensor.layout
    if not isinstance(perm, tuple) or perm != channels_to_last(len(perm)):
        return _in_original_layout(entry, [tensor])
    if channels_first(entry):
        rewritten = {**entry, "config": {**entry["config"], "data_format": "channels_last"}}
        return Decision(rewritten, (perm,), Tensor())
    if tensor.channels and only_dense_after():
        return Decision(entry, (perm,), Tensor(Flat(tensor.channels)))
    return _in_original_layout(entry, [tensor])
