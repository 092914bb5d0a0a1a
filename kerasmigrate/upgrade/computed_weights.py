"""Weights computed from stored datasets: named steps (transpose, flip, gate joins, scales…)
applied lazily when the weights file is written.

A `Computed` records the stored datasets it reads and the steps applied to them, so a plain
copy stays a plain copy and each conversion can be described in the report
(upgrade/legacy_weights.py decides which layers need which steps). `saving.py` below is
keras-team/keras 2.3.1 keras/engine/saving.py, whose loader these steps reproduce.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kerasmigrate.core.reader import WeightRef


class WeightTransformError(Exception):
    """Stored weights that cannot be brought to the Keras 3 layout exactly."""


# ---------------------------------------------------------------------------
# Steps: (name, argument) pairs; each has a value function and a shape function
# ---------------------------------------------------------------------------


def _cudnn_input_kernel(kernel: np.ndarray, n_gates: int) -> np.ndarray:
    # saving.py `transform_kernels(weights[0], transpose_input(from_cudnn=True), n_gates)`
    return np.hstack([k.T.reshape(k.shape, order="F") for k in np.hsplit(kernel, n_gates)])


def _per_gate_transpose(kernel: np.ndarray, n_gates: int) -> np.ndarray:
    # saving.py `transform_kernels(weights[1], lambda k: k.T, n_gates)`
    return np.hstack([k.T for k in np.hsplit(kernel, n_gates)])


@dataclass(frozen=True)
class Scale:
    """Multiply some of the `parts` equal slices of the last axis by `factor`."""

    factor: float
    parts: int
    indices: tuple[int, ...]

    def __str__(self) -> str:
        if self.parts == 1:
            return f"x{self.factor}"
        return f"x{self.factor} on parts {', '.join(map(str, self.indices))} of {self.parts} (last axis)"


def scaled(array: np.ndarray, scale: Scale) -> np.ndarray:
    array = np.asarray(array)
    if array.shape[-1] % scale.parts:
        raise WeightTransformError(f"a weight of shape {array.shape} does not split into {scale.parts} gates")
    width = array.shape[-1] // scale.parts
    out = np.array(array, copy=True)
    for i in scale.indices:
        part = array[..., i * width : (i + 1) * width]
        out[..., i * width : (i + 1) * width] = (part.astype(np.float64) * scale.factor).astype(array.dtype)
    return out


def _transpose_shape(s, perm):
    if sorted(perm) != list(range(len(s))):
        raise WeightTransformError(f"a weight of shape {s} cannot be transposed by {perm}")
    return tuple(s[i] for i in perm)


def _squeeze_shape(s, axis):
    if not -len(s) <= axis < len(s) or s[axis] != 1:
        raise WeightTransformError(f"axis {axis} of a weight of shape {s} is not of size 1")
    return s[:axis] + s[axis + 1 :]


def _flip_shape(s, axes):
    if any(not -len(s) <= a < len(s) for a in axes):
        raise WeightTransformError(f"a weight of shape {s} has no axes {axes} to flip")
    return s


def _gates_shape(s, n):
    if len(s) != 2 or s[-1] % n:
        raise WeightTransformError(f"a weight of shape {s} does not split into {n} gates")
    return s


def _square_gates_shape(s, n):
    if _gates_shape(s, n)[0] != s[1] // n:
        raise WeightTransformError(f"a recurrent weight of shape {s} does not split into {n} square gates")
    return s


def _halves_shape(s, _):
    if len(s) < 1 or s[0] % 2:
        raise WeightTransformError(f"a weight of shape {s} does not split into two halves")
    return (s[0] // 2,) + s[1:]


STEPS = {
    "scale": (scaled, lambda s, _: s),
    "transpose": (lambda a, perm: np.transpose(a, perm), _transpose_shape),
    "flip": (lambda a, axes: np.flip(a, axis=tuple(axes)), _flip_shape),
    "squeeze": (lambda a, axis: np.squeeze(a, axis=axis), _squeeze_shape),
    "cudnn_input_kernel": (_cudnn_input_kernel, _gates_shape),
    "per_gate_transpose": (_per_gate_transpose, _square_gates_shape),
    "sum_halves": (lambda a, _: np.sum(np.split(a, 2, axis=0), axis=0), _halves_shape),
    "reshape": (lambda a, shape: np.reshape(a, shape), lambda s, shape: _reshaped(s, shape)),
}


def _reshaped(shape, target):
    size = int(np.prod(shape))
    known = int(np.prod([d for d in target if d != -1]))
    if known <= 0 or size % known:
        raise WeightTransformError(f"a weight of shape {tuple(shape)} cannot be reshaped to {tuple(target)}")
    return tuple(size // known if d == -1 else d for d in target)


@dataclass(frozen=True)
class Computed:
    """A Keras 3 variable computed from stored datasets: joined along the last axis
    (several inputs), then the steps applied in order."""

    name: str  # what it is, e.g. "lstm/kernel"
    inputs: tuple[WeightRef, ...]
    steps: tuple[tuple[str, object], ...] = ()
    each: tuple[tuple[str, object], ...] = ()  # steps applied to every input before the join

    @property
    def dtype(self) -> str:
        return self.inputs[0].dtype

    @property
    def shape(self) -> tuple[int, ...]:
        shapes = []
        for ref in self.inputs:
            shape = tuple(ref.shape)
            for step, arg in self.each:
                shape = STEPS[step][1](shape, arg)
            shapes.append(shape)
        first = shapes[0]
        if len(shapes) > 1 and (not all(shapes) or any(s[:-1] != first[:-1] for s in shapes)):
            names = ", ".join(f"{r.name} {tuple(r.shape)}" for r in self.inputs)
            raise WeightTransformError(f"{self.name}: the stored parts cannot be joined ({names})")
        shape = first[:-1] + (sum(s[-1] for s in shapes),) if len(shapes) > 1 else first
        for step, arg in self.steps:
            shape = STEPS[step][1](shape, arg)
        return tuple(shape)

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * np.dtype(self.dtype).itemsize

    @property
    def basename(self) -> str:
        return self.name.split("/")[-1]

    @property
    def components(self) -> list[str]:
        return self.name.split("/")

    def describe(self) -> str:
        names = [r.name for r in self.inputs]
        for step, arg in self.each:
            names = [f"{step}({n}, {arg})" for n in names]
        what = f"join({', '.join(names)})" if len(names) > 1 else names[0]
        for step, arg in self.steps:
            what = f"{step}({what}, {arg})" if arg is not None else f"{step}({what})"
        return f"{self.name} = {what}"

    def evaluate(self, read) -> np.ndarray:
        """The value, reading each input with `read(ref)` (an h5py dataset or array)."""
        arrays = [np.asarray(read(r)) for r in self.inputs]
        for step, arg in self.each:
            arrays = [STEPS[step][0](a, arg) for a in arrays]
        value = np.concatenate(arrays, axis=-1) if len(arrays) > 1 else arrays[0]
        for step, arg in self.steps:
            value = STEPS[step][0](value, arg)
        value = np.ascontiguousarray(value)
        if value.shape != self.shape:  # the shape functions and the values must agree
            raise WeightTransformError(f"{self.describe()} gave shape {value.shape}, expected {self.shape}")
        return value


def with_steps(ref, name: str, *steps) -> Computed:
    if isinstance(ref, Computed):
        return Computed(ref.name, ref.inputs, ref.steps + tuple(steps), ref.each)
    return Computed(name, (ref,), tuple(steps))
