"""What a field of a config may hold: one predicate per kind, and the one walk of nested JSON."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from kerasmigrate.core.validate.limits import MAX_NAME_LENGTH

T = TypeVar("T")


class Refusal(Exception):
    """A structural problem found inside a walk; the entry point reports it with the file."""


def is_integer(value) -> bool:
    """An integer, not a bool (JSON true/false load as bools, which are ints in Python)."""
    return isinstance(value, int) and not isinstance(value, bool)


def is_integer_text(value) -> bool:
    """An integer, or the decimal string protobuf's JSON form writes for a 64-bit one."""
    return is_integer(value) or (isinstance(value, str) and value.lstrip("-").isdigit())


def is_size(value) -> bool:
    return is_integer(value) and value >= 0


def is_optional_size(value) -> bool:
    return value is None or is_size(value)


def is_integral(value) -> bool:
    """An integer, or a float with an integral value (`23.0`: some writers stored every number
    of a config as a float, and every old loader read them); passes/upgrade/integral_floats.py
    writes them as integers."""
    return is_integer(value) or (isinstance(value, float) and value.is_integer())


def is_optional_integral_size(value) -> bool:
    return value is None or (is_integral(value) and value >= 0)


def is_integers(value) -> bool:
    """An integer or a list of them (`kernel_size=3` or `[3, 3]`), integral floats included, or unset."""
    if isinstance(value, list):
        return all(is_integral(v) for v in value)
    return value is None or is_integral(value)


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_optional_number(value) -> bool:
    return value is None or is_number(value)


def is_optional_flag(value) -> bool:
    """true/false, or 0/1 (the old loaders only test these fields for truth), or unset."""
    return value is None or isinstance(value, bool) or (is_integer(value) and value in (0, 1))


def is_bool(value) -> bool:
    return isinstance(value, bool)


def is_name_or_code(value) -> bool:
    """A mode by name, or by number as Keras 1 wrote some (BatchNormalization `mode=0`)."""
    return value is None or isinstance(value, (str, int))


def is_activation(value) -> bool:
    """An activation's name (Keras 1/2) or its serialized object (tf.keras 2.13+, Keras 3)."""
    return value is None or isinstance(value, (str, dict))


def is_dtype(value) -> bool:
    return value is None or isinstance(value, (str, dict))


def is_shape(value) -> bool:
    """A batch or input shape: a list of sizes, None for an unknown one, or unset."""
    return value is None or (isinstance(value, list) and all(is_optional_size(d) for d in value))


def json_children(value) -> Iterable:
    """The values directly inside a JSON object or array."""
    if isinstance(value, dict):
        return value.values()
    if isinstance(value, list):
        return value
    return ()


def depth_first(root: T, children: Callable[[T], Iterable[T]]) -> Iterator[T]:
    """Every item under `root` (itself first), the last pushed popped first, without recursion:
    a hostile config may be nested thousands deep. A caller that raises stops the walk."""
    stack = [root]
    while stack:
        item = stack.pop()
        yield item
        stack.extend(children(item))


def check_name(value, where: str, field: str = "name") -> str:
    """A layer name: a string usable as an HDF5 group name and a path part."""
    if not isinstance(value, str):
        raise Refusal(f"{where}: '{field}' must be a string, found {type(value).__name__} {value!r:.60}")
    if value == "" or "\x00" in value or len(value) > MAX_NAME_LENGTH or value in (".", ".."):
        raise Refusal(f"{where}: '{field}' {value!r:.60} is not a usable layer name")
    return value


def declared_name(entry: dict) -> str | None:
    """The name a layer entry declares (in its config, or beside it), None if it declares no string
    (unlike configs.layer_name, which always returns something to print)."""
    config = entry.get("config")
    if isinstance(config, dict) and isinstance(config.get("name"), str):
        return config["name"]
    return entry.get("name") if isinstance(entry.get("name"), str) else None
