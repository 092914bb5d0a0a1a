"""What a translation computes with: tensors (inputs or outputs of emitted steps), the steps,
and the refusal of an expression that has no exact Keras 3 form."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Writer:
    """What wrote the file, as it records it: some functions computed differently by release
    (tf.image.resize) or backend (K.l2_normalize on Theano)."""

    keras_version: str | None = None
    backend: str | None = None


class Untranslatable(Exception):
    """The expression uses something with no exact Keras 3 form; the message names it."""


@dataclass(frozen=True)
class Tensor:
    """A tensor of the translation: an input of the Lambda's call (`source` is its keras tensor
    dict) or the output of step number `step`."""

    source: object = None
    step: int | None = None


@dataclass
class Step:
    module: str  # "keras.src.ops.numpy", or "keras.layers" for a built-in layer
    class_name: str
    attributes: dict
    args: list  # Tensors, constants and lists of them
    label: str  # what the step's node is named after


def is_tensor_structure(value) -> bool:
    if isinstance(value, Tensor):
        return True
    return isinstance(value, (list, tuple)) and any(is_tensor_structure(v) for v in value)


def constant_argument(value, what: str, dotted: str):
    """`value`, which must not be computed from a tensor (an axis, a shape, a size)."""
    if is_tensor_structure(value):
        raise Untranslatable(f"{dotted} with a tensor as its {what}")
    return value
