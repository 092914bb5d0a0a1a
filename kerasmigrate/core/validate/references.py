"""Every reference a config makes to code resolves to Keras, or to what the user named.

A serialized object names code: `module` + `class_name` (a layer, an initializer, an optimizer...),
`registered_name`, a function object `{"class_name": "function", "config": NAME}`, an activation
string. Keras 3 before 3.9 imports whatever module a `.keras` file's config.json names, even with
`safe_mode=True` (CVE-2025-1550): `{"module": "subprocess", "class_name": "Popen"}` runs a
program on load. Since 3.9 Keras imports only its own packages
(keras/src/saving/serialization_lib.py `_retrieve_class_or_fn`: keras, keras_hub, keras_cv,
keras_nlp), and finds functions named under `builtins` only in its own modules of built-ins
(`BUILTIN_MODULES`) or among registered objects.

The rule, for configs from every door (legacy `.h5`, SavedModel metadata, `.keras` archives,
what a mapping makes): a module is one of Keras's packages (or tf_keras, the legacy writers'
own), or the user's (a mapping's or `--custom-module`'s); a function or activation named without
a Keras module is one of Keras's built-ins (kerasmigrate/data/keras3.json), kerasmigrate's own
(`kerasmigrate>hard_sigmoid_keras2`) or the user's; a registered `Package>Name` is kerasmigrate's or the user's.
Anything else is refused, naming the layer and the reference.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from kerasmigrate.core.configs import CHILD_KEYS
from kerasmigrate.core.keras3 import TABLE
from kerasmigrate.core.validate.kinds import depth_first
from kerasmigrate.errors import ForeignCodeError

# The packages Keras 3 itself imports from (serialization_lib `_retrieve_class_or_fn`), and tf_keras,
# whose `.h5` and `.keras` files name `tf_keras.src...` modules.
KERAS_PACKAGES = frozenset({"keras", "tf_keras", "keras_hub", "keras_cv", "keras_nlp"})
# A legacy file's modules are only read, never imported (its config is rewritten, and the result held
# to the whole rule before it is written): tf.keras 2.x recorded TensorFlow's own classes there too
# (initializers as `tensorflow.python.ops.init_ops_v2`, layers as `tensorflow.python.keras...`).
LEGACY_WRITER_PACKAGES = KERAS_PACKAGES | {"tensorflow"}
FUNCTION_MODULE = "builtins"  # Keras 3's module for a function found by name (serialize_keras_object)
OWN_FUNCTIONS = frozenset({"kerasmigrate>hard_sigmoid_keras2"})  # kerasmigrate/keras_objects.py registers them
ACTIVATION_KEYS = ("activation", "recurrent_activation")
# Where a config holds layer entries, as core/configs.py walks them (None: the model itself;
# "config": the list of layers an old Sequential stores).
LAYER_KEYS = frozenset({None, "layers", "config", *CHILD_KEYS})
KERAS_FUNCTIONS = TABLE.activations | TABLE.losses | TABLE.metrics
SHOWN = 5  # references named in one refusal


@dataclass(frozen=True)
class UserNames:
    """What the user's mapping and custom module name: their modules (and the modules under
    them), and the registered names of their classes and functions."""

    modules: frozenset[str] = frozenset()
    registered: frozenset[str] = frozenset()

    def has_module(self, module: str) -> bool:
        return any(module == own or module.startswith(own + ".") for own in self.modules)


NO_USER_NAMES = UserNames()


def _is_keras_module(module: str, legacy: bool = False) -> bool:
    return module.split(".", 1)[0] in (LEGACY_WRITER_PACKAGES if legacy else KERAS_PACKAGES)


def _is_known_name(name: str, user: UserNames) -> bool:
    """A function or registered name Keras, kerasmigrate or the user resolves."""
    return name in KERAS_FUNCTIONS or name in OWN_FUNCTIONS or name in user.registered


def _object_problem(item: dict, user: UserNames, modules_only: bool) -> str | None:
    """What in one serialized object resolves to no known code, or None."""
    cls, module, registered = item["class_name"], item.get("module"), item.get("registered_name")
    in_keras = isinstance(module, str) and _is_keras_module(module, legacy=modules_only)
    if cls == "function" and isinstance(item.get("config"), str):
        name = item["config"]
        if module in (None, FUNCTION_MODULE) and not modules_only and not _is_known_name(name, user):
            return f"function {name!r}" + (f" of module {module!r}" if module else "")
        if isinstance(module, str) and module != FUNCTION_MODULE and not in_keras and not user.has_module(module):
            return f"function {name!r} of module {module!r}"
    elif isinstance(module, str) and not in_keras and not user.has_module(module):
        return f"class {cls!r} of module {module!r}"
    if modules_only:
        return None
    if isinstance(registered, str) and ">" in registered and not _is_known_name(registered, user):
        return f"registered name {registered!r} (class {cls!r})"
    return None


def _activation_problems(item: dict, user: UserNames) -> Iterator[str]:
    config = item.get("config")
    if not isinstance(config, dict):
        return
    for key in ACTIVATION_KEYS:
        name = config.get(key)
        if isinstance(name, str) and not _is_known_name(name, user):
            yield f"{key} {name!r}"


def _own_name(value: dict, key: str | None) -> tuple[str, ...]:
    """The name a layer entry adds to the path (a policy's or an optimizer's name is no layer's)."""
    config = value.get("config")
    if key not in LAYER_KEYS or not isinstance(config, dict) or not isinstance(config.get("name"), str):
        return ()
    return (config["name"],)


def _children(item: tuple) -> list[tuple]:
    """(value, names of the layers holding it, the key it is under) for the values inside one."""
    value, names, key = item
    if isinstance(value, list):
        return [(v, names, key) for v in value]
    if not isinstance(value, dict):
        return []
    names = (*names, *_own_name(value, key)) if "class_name" in value else names
    return [(v, names, k) for k, v in value.items()]


def foreign_references(config, user: UserNames = NO_USER_NAMES, modules_only: bool = False) -> list[str]:
    """Every reference in `config` that resolves to no known code, each with the layer (path of
    names) holding it; with `modules_only`, only the modules named."""
    found = []
    for value, names, key in depth_first((config, (), None), _children):
        if not (isinstance(value, dict) and isinstance(value.get("class_name"), str)):
            continue
        where = "/".join((*names, *_own_name(value, key))) or "the model"
        problem = _object_problem(value, user, modules_only)
        if problem:
            found.append(f"{where}: {problem}")
        if not modules_only:
            found.extend(f"{where}: {p}" for p in _activation_problems(value, user))
    return found


def check_references(path, config, what: str = "model_config", user: UserNames = NO_USER_NAMES) -> None:
    """Refuse a config that names code outside Keras and outside what the user named."""
    _refuse(path, what, foreign_references(config, user))


def check_modules(path, config, what: str = "model_config", user: UserNames = NO_USER_NAMES) -> None:
    """Refuse a config whose objects name a module outside Keras and outside the user's: for a
    legacy file, whose functions and classes the mapping (and upgrade/checks.py) then resolve."""
    _refuse(path, what, foreign_references(config, user, modules_only=True))


def check_legacy_modules(path, model_config, training_config, user: UserNames = NO_USER_NAMES) -> None:
    """`check_modules` on both configs of a legacy file (`.h5`, SavedModel): what its reader
    refuses before any command reads further."""
    check_modules(path, model_config, "model_config", user)
    check_modules(path, training_config, "training_config", user)


def _refuse(path, what: str, found: list[str]) -> None:
    if not found:
        return
    more = f" and {len(found) - SHOWN} more" if len(found) > SHOWN else ""
    raise ForeignCodeError(
        path,
        f"{what} names code outside Keras: {'; '.join(found[:SHOWN])}{more}. kerasmigrate converts and "
        "vouches only for configs whose classes and functions are Keras's own, kerasmigrate's or those "
        "a mapping or --custom-module names (Keras before 3.9 imports any module a config names: CVE-2025-1550)",
    )
