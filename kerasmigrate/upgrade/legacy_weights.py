"""Weights that must be computed, not copied: Keras 1 and early Keras 2 layouts -> Keras 3.

Most legacy weights go to Keras 3 as they are (one dataset -> one variable,
copied block by block). A few layouts changed, and Keras 2 itself converted
them while loading (keras-team/keras 2.3.1 keras/engine/saving.py
`preprocess_weights_for_loading`, `_need_convert_kernel`,
`_convert_rnn_weights`); this module reproduces those conversions:

* Keras 1 LSTM (12 arrays, gates i, c, f, o) and GRU (9 arrays, z, r, h)
  joined into kernel / recurrent kernel / bias in Keras 2's gate order
  (LSTM i, f, c, o; GRU z, r, h); ConvLSTM2D likewise.
* Keras 1 Theano-ordered ('th', channels_first) kernels, stored as
  (filters, channels, rows, cols), transposed to (rows, cols, channels,
  filters); Keras 1 Conv1D kernels (length, 1, channels, filters) squeezed.
* Kernels of models trained with Theano, which convolves (flips the kernel)
  where TensorFlow, CNTK and Keras 3 correlate: the spatial axes are flipped
  (`conv_utils.convert_kernel`). Keras 2 decided this from the file's
  `backend` attribute; Keras 1 files have none, so the reader infers it from
  the variable names (`reader.infer_backend`).
* CuDNNLSTM / CuDNNGRU weights (Keras 2.0.9+) -> LSTM / GRU(reset_after=True):
  per-gate transposes, LSTM's two bias sets summed, GRU's biases reshaped.
* Weights a Keras 2 `hard_sigmoid` was folded into (passes/upgrade/
  hard_sigmoid_fold.py): the gates' slices of the last axis scaled by 1.2
  (`fold_scales`, after the weights are placed, nested models included).

A computed weight is a `Computed` (upgrade/computed_weights.py): the stored
datasets it reads and the named steps applied to them, evaluated lazily when
the weights file is written, so a plain copy stays a plain copy. The steps are
listed in the conversion report.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kerasmigrate.core.configs import child_entries, is_model_entry, model_layers
from kerasmigrate.upgrade.computed_weights import Computed, Scale, WeightTransformError, scaled, with_steps


@dataclass(frozen=True)
class Writer:
    """What the file says about its writer, as the conversions need it."""

    keras_version: str | None
    backend: str | None  # recorded or inferred; None when unknown

    @property
    def keras1(self) -> bool:
        major = (self.keras_version or "").split(".")[0]
        return not major.isdigit() or int(major) < 2

    @property
    def convolves(self) -> bool | None:
        """Theano convolves (flips kernels); TensorFlow and CNTK correlate, as Keras 3 does
        (saving.py `_need_convert_kernel`). None when the backend is unknown."""
        if self.backend is None:
            return None
        return self.backend == "theano"


FLIPPED_CONV = {"Conv1D", "Conv2D", "Conv3D", "Conv2DTranspose", "ConvLSTM2D"}
LSTM_GATES = ([0, 6, 3, 9], [1, 7, 4, 10], [2, 8, 5, 11])  # stored i, c, f, o -> i, f, c, o
GRU_GATES = ([0, 3, 6], [1, 4, 7], [2, 5, 8])  # stored z, r, h -> z, r, h
VARS = ("kernel", "recurrent_kernel", "bias")


def _join_gates(name: str, refs: list, groups, kernel_steps=()) -> list:
    return [
        Computed(f"{name}/{var}", tuple(refs[i] for i in group), each=tuple(kernel_steps) if var != "bias" else ())
        for var, group in zip(VARS, groups)
    ]


def _keras1_conv_kernel(cls: str, config: dict, name: str, kernel):
    shape = kernel.shape
    channels_first = config.get("data_format") == "channels_first"
    if cls == "Conv1D":
        size = config.get("kernel_size")
        size = size[0] if isinstance(size, (list, tuple)) else size
        filters = config.get("filters")
        if len(shape) != 4:
            return kernel
        if shape[:2] != (size, 1) or shape[3] != filters:
            # Keras 1.1: (filters, channels, length, 1)
            if not (shape[0] == filters and shape[2:] == (size, 1)):
                raise WeightTransformError(f"layer {name!r}: a Keras 1 Conv1D kernel of shape {shape}")
            kernel = with_steps(kernel, f"{name}/kernel", ("transpose", (2, 3, 1, 0)))
        return with_steps(kernel, f"{name}/kernel", ("squeeze", 1))
    if cls == "Conv2D" and channels_first:
        return with_steps(kernel, f"{name}/kernel", ("transpose", (2, 3, 1, 0)))
    if cls == "Conv3D" and channels_first:
        return with_steps(kernel, f"{name}/kernel", ("transpose", (2, 3, 4, 1, 0)))
    return kernel


def _from_cudnn(cls: str, config: dict, name: str, refs: list) -> list:
    """CuDNNLSTM/CuDNNGRU weights, recognised by their bias shape (saving.py `_convert_rnn_weights`):
    8·units (LSTM) or 6·units (GRU) where LSTM/GRU store 4·units / (2, 3·units)."""
    if len(refs[1].shape) != 2 or len(refs[2].shape) != 1:
        return refs  # not CuDNN's layout; the shape check names what is wrong
    units = refs[1].shape[0]
    gates = 4 if cls == "LSTM" else 3
    if tuple(refs[2].shape) != (2 * gates * units,):
        return refs
    if cls == "GRU" and config.get("reset_after") is False:
        raise WeightTransformError(f"layer {name!r}: CuDNNGRU weights fit GRU(reset_after=True) only")
    bias = ("sum_halves", None) if cls == "LSTM" else ("reshape", (2, -1))
    return [
        with_steps(refs[0], f"{name}/kernel", ("cudnn_input_kernel", gates)),
        with_steps(refs[1], f"{name}/recurrent_kernel", ("per_gate_transpose", gates)),
        with_steps(refs[2], f"{name}/bias", bias),
    ]


def _spatial_axes(ref) -> tuple[int, ...]:
    return tuple(range(len(ref.shape) - 2))  # convert_kernel: every axis but the last two


def adapt_leaf(entry: dict, refs: list, writer: Writer) -> list:
    """The weights of one (non-model) layer in Keras 2/3 layout and order."""
    cls = entry["class_name"]
    config = entry["config"]
    name = config.get("name", "?")
    refs = list(refs)
    if cls == "Bidirectional":
        half = len(refs) // 2
        forward = config["layer"]
        backward = config.get("backward_layer") or forward
        return adapt_leaf(forward, refs[:half], writer) + adapt_leaf(backward, refs[half:], writer)
    if cls == "TimeDistributed":
        return adapt_leaf(config["layer"], refs, writer)
    if cls in ("LSTM", "GRU") and len(refs) == 3:
        refs = _from_cudnn(cls, config, name, refs)
    if writer.keras1:
        if cls == "LSTM" and len(refs) == 12:
            refs = _join_gates(name, refs, LSTM_GATES)
        elif cls == "GRU" and len(refs) == 9:
            refs = _join_gates(name, refs, GRU_GATES)
        elif cls == "ConvLSTM2D" and len(refs) == 12:
            # 'th' gate kernels are (filters, channels, rows, cols): each is transposed before
            # the join (Keras 2's loader joined them first, along the columns)
            th = config.get("data_format") == "channels_first"
            refs = _join_gates(name, refs, LSTM_GATES, [("transpose", (2, 3, 1, 0))] if th else [])
        elif cls in ("Conv1D", "Conv2D", "Conv3D") and refs:
            refs[0] = _keras1_conv_kernel(cls, config, name, refs[0])
    if cls in FLIPPED_CONV and refs:
        convolves = writer.convolves
        if convolves is None:
            raise WeightTransformError(
                f"layer {name!r} ({cls}): the file does not record the backend that trained it, and "
                "Theano (which convolves) and TensorFlow (which correlates) need different kernels"
            )
        if convolves:
            flipped = [0, 1] if cls == "ConvLSTM2D" else [0]
            for i in flipped:
                refs[i] = with_steps(refs[i], f"{name}/{VARS[i]}", ("flip", _spatial_axes(refs[i])))
    return refs


# Layers whose stored weights some writers lay out differently from Keras 3.
RESHAPED = FLIPPED_CONV | {"LSTM", "GRU"}


def _leaves(entry: dict):
    for layer in model_layers(entry):
        yield layer
        yield from _leaves(layer)
        for _, _, child in child_entries(layer):
            yield child


def _cudnn_leaves(leaves: list, refs: list) -> set:
    """LSTM/GRU layers of a nested model whose stored bias has the CuDNN shape."""
    found = set()
    for leaf in leaves:
        units = (leaf.get("config") or {}).get("units")
        gates = {"LSTM": 4, "GRU": 3}.get(leaf.get("class_name"))
        if not gates or not isinstance(units, int):
            continue
        name = leaf["config"].get("name")
        if any(r.basename == "bias" and name in r.components and tuple(r.shape) == (2 * gates * units,) for r in refs):
            found.add(name)
    return found


def adapt_layer(entry: dict, refs: list, writer: Writer) -> list:
    """A top-level layer's stored weights, brought to the Keras 2/3 layout.

    Nested models are passed through when none of their layers can need a
    conversion; otherwise refused, since their weights are stored in one
    group that the legacy writers split by trainability, not by layer.
    """
    if not is_model_entry(entry):
        return adapt_leaf(entry, refs, writer)
    leaves = list(_leaves(entry))
    risky = {
        leaf["config"].get("name", "?")
        for leaf in leaves
        if leaf.get("class_name") in RESHAPED and (writer.keras1 or writer.convolves is not False)
    }
    risky |= _cudnn_leaves(leaves, refs)
    risky = sorted(risky)
    if risky and refs:
        raise WeightTransformError(
            f"nested model {entry['config'].get('name')!r} holds layers whose stored weights may need a "
            f"layout conversion ({', '.join(risky)}); converting them inside a nested model is not "
            "supported yet"
        )
    return refs


def fold_scales(plan) -> set[str]:
    """Apply the scales a pass asked for (Slot.scale) to the placed weights, lazily; the
    descriptions go to plan.transforms. Returns the names of the layers concerned."""
    by_owner: dict[str, list] = {}
    folded: set[str] = set()
    for group in plan.groups:
        for slot in group.slots:
            if slot.copy_of is None and slot.ref is not None:
                by_owner.setdefault(slot.owner, []).append(slot)
    for owner, slots in by_owner.items():
        for slot in slots:
            if slot.scale is None:
                continue
            scale = Scale(*slot.scale)
            if isinstance(slot.ref, np.ndarray):
                slot.ref = scaled(slot.ref, scale)
            else:
                slot.ref = with_steps(slot.ref, f"{owner}/{slot.var_name}", ("scale", scale))
            folded.add(owner)
        if any(s.scale is not None for s in slots):
            plan.transforms[owner] = [s.ref.describe() for s in slots if isinstance(s.ref, Computed)]
    return folded
