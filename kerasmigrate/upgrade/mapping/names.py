"""How a config entry names its class and the functions it calls, and how Keras 3 names a
registered function: what a mapping's rules are matched against."""

from __future__ import annotations

import re

from kerasmigrate.core.configs import MODEL_CLASSES, is_op_entry
from kerasmigrate.core.keras3 import TABLE

ACTIVATION_KEYS = ("activation", "recurrent_activation")
BASE_CONFIG_KEYS = ("name", "trainable", "dtype")
REGISTERED = re.compile(r"^[^>\s]+>[^>\s]+$")


def registered_function(name: str) -> dict:
    """A function reference as Keras 3 serializes a registered function."""
    return {"module": "builtins", "class_name": "function", "config": name, "registered_name": "function"}


def function_name(value) -> str | None:
    """The function an `activation` argument names (string or Keras 3 / tf.keras 2.13+ dict)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value.get("class_name") == "function" and isinstance(value.get("config"), str):
        return value["config"]
    return None


def is_known_function(value, registered=()) -> bool:
    """Whether Keras 3 resolves an activation argument: a built-in activation, or a registered
    function (`registered`: those a custom module was checked to register; kerasmigrate's own)."""
    name = function_name(value)
    if name is None:
        return True  # not a function reference (None, a layer's own object...)
    if isinstance(value, dict):
        return name in TABLE.activations or name.startswith("kerasmigrate>") or name in registered
    return name in TABLE.activations


def is_stored_lambda(entry: dict) -> bool:
    """A Lambda whose function is stored Python bytecode (or a module function by name), as
    every legacy writer stores it; not one calling a registered function (a mapped Lambda)."""
    if entry.get("class_name") != "Lambda":
        return False
    function = (entry.get("config") or {}).get("function")
    return not (
        isinstance(function, dict)
        and function.get("class_name") == "function"
        and isinstance(function.get("config"), str)
    )


def is_unknown_class(entry: dict) -> bool:
    """A class neither Keras 3 nor kerasmigrate knows: a custom class (or a stored Lambda)."""
    cls = entry.get("class_name")
    return not (cls in MODEL_CLASSES or cls in TABLE.builtin_classes or is_op_entry(entry))


def class_key_candidates(entry: dict) -> list[str]:
    """The names a mapping may use for an entry's class: class name, registered name, module path."""
    cls = str(entry.get("class_name"))
    keys = [cls]
    registered = entry.get("registered_name")
    if isinstance(registered, str) and registered not in keys:
        keys.append(registered)
    if ">" in cls:
        keys.append(cls.split(">", 1)[1])
    module = entry.get("module")
    if isinstance(module, str) and module and module != "builtins":
        keys.append(f"{module}.{cls.split('>')[-1]}")
    return keys
