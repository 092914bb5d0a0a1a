"""The structure the passes rely on: one walk over a model config, as the passes walk it.

Every layer entry is a dict with a string `class_name` and a dict `config` (a list for Keras <= 2.2
Sequential models); names are strings; wrappers hold layer entries; functional models pass
graph.check_graph; nesting depth and size are bounded. The walk goes where core/configs.py goes
(models' layers, and the layers a layer holds); the Keras wrappers must hold the layer or cell
they are built around.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from kerasmigrate.core.configs import CHILD_KEYS, MODEL_CLASSES, child_entries, model_layers
from kerasmigrate.core.validate.fields import check_layer_fields
from kerasmigrate.core.validate.graph import check_graph
from kerasmigrate.core.validate.kinds import Refusal, check_name, declared_name, depth_first, json_children
from kerasmigrate.core.validate.limits import MAX_JSON_DEPTH, MAX_LAYERS, MAX_MODEL_DEPTH
from kerasmigrate.errors import MalformedConfigError

# The Keras wrappers and the child each cannot be without (None: the base class, which may be empty).
KERAS_WRAPPERS = {
    "Bidirectional": "layer",
    "TimeDistributed": "layer",
    "RNN": "cell",
    "StackedRNNCells": "cells",
    "Wrapper": None,
}
OPTIONAL_STRINGS = ("module", "registered_name")  # beside class_name in an entry or a serialized object


def _deeper(item: tuple) -> list[tuple]:
    value, depth = item
    return [(v, depth + 1) for v in json_children(value)]


def json_depth(value) -> int:
    """Depth of a JSON value; stops counting once it is over the limit."""
    deepest = 0
    for _, depth in depth_first((value, 1), _deeper):
        if depth > deepest:
            deepest = depth
            if deepest > MAX_JSON_DEPTH:
                break
    return deepest


def check_json_value(path, value, what: str = "model_config") -> None:
    """Bounds every JSON value the tool reads: nesting depth."""
    if json_depth(value) > MAX_JSON_DEPTH:
        raise MalformedConfigError(path, f"{what} is nested more than {MAX_JSON_DEPTH} levels deep")


def _is_model(entry) -> bool:
    return isinstance(entry, dict) and isinstance(entry.get("class_name"), str) and entry["class_name"] in MODEL_CLASSES


def _wrapped(cls: str, config: dict, label: str) -> Iterator[tuple[str, int | None, object]]:
    """(key, index, entry) of what a Keras wrapper holds, refusing what it cannot hold."""
    required = KERAS_WRAPPERS[cls]
    for key in CHILD_KEYS:
        value = config.get(key)
        if value is None and key != required:
            continue
        if cls != "TimeDistributed" and any(_is_model(c) for c in (value if isinstance(value, list) else [value])):
            raise Refusal(f"{label}: '{key}' holds a model; a {cls} takes a layer or a cell")
        if key == "cells":
            if not isinstance(value, list) or not value:
                raise Refusal(f"{label}: 'cells' must be a non-empty list of layer entries")
            yield from ((key, i, cell) for i, cell in enumerate(value))
        elif not isinstance(value, dict):
            raise Refusal(f"{label}: '{key}' must be a layer entry, found {type(value).__name__}")
        else:
            yield key, None, value


class ConfigWalk:
    """One walk of a model config; counts the layer entries it meets."""

    def __init__(self):
        self.count = 0

    def entry(self, entry, stack: tuple[str, ...], depth: int) -> None:
        """One layer entry and what it holds."""
        where = "/".join(stack) if stack else "the model"
        if not isinstance(entry, dict):
            raise Refusal(f"{where}: a layer entry must be an object, found {type(entry).__name__}")
        self.count += 1
        if self.count > MAX_LAYERS:
            raise Refusal(f"the config holds more than {MAX_LAYERS} layers")
        if depth > MAX_MODEL_DEPTH:
            raise Refusal(f"{where}: models and wrappers are nested more than {MAX_MODEL_DEPTH} deep")
        cls = entry.get("class_name")
        if not isinstance(cls, str) or not cls or "\x00" in cls:
            raise Refusal(f"{where}: 'class_name' must be a non-empty string, found {cls!r:.60}")
        name = declared_name(entry)
        label = f"layer {name!r} ({cls})" if name else f"{where} ({cls})"
        for key in OPTIONAL_STRINGS:
            if key in entry and not isinstance(entry[key], (str, type(None))):
                raise Refusal(f"{label}: '{key}' must be a string")
        config = entry.get("config")
        if cls in MODEL_CLASSES:
            return self.model(entry, stack, depth, label)
        if not isinstance(config, dict):
            raise Refusal(f"{label}: 'config' must be an object, found {type(config).__name__}")
        if "name" in config:
            check_name(config["name"], label)
        if isinstance(config.get("layers"), list) or "output_layers" in config:
            # a model under another class name (a subclassed model of a .keras file): the walks
            # of the passes and the layout still go into its layers, so check them as a model's
            return self.model(entry, stack, depth, label)
        check_layer_fields(label, cls, config)
        children = _wrapped(cls, config, label) if cls in KERAS_WRAPPERS else child_entries(entry)
        for key, index, child in children:
            part = f"{name or cls}.{key}" if index is None else f"{name or cls}.{key}[{index}]"
            self.entry(child, stack + (part,), depth + 1)

    def model(self, entry: dict, stack: tuple[str, ...], depth: int, label: str) -> None:
        """A model's layers, their names once each, and its graph."""
        cls, config = entry["class_name"], entry.get("config")
        if isinstance(config, dict):
            if "name" in config:
                check_name(config["name"], label)
            layers = config.get("layers")
            if not isinstance(layers, list) and not (layers is None and cls == "Sequential"):
                raise Refusal(f"{label}: 'layers' must be a list, found {type(layers).__name__}")
        elif not (cls == "Sequential" and isinstance(config, list)):
            raise Refusal(f"{label}: 'config' must be an object, found {type(config).__name__}")
        elif "name" in entry:  # Keras <= 2.2 kept a Sequential's name beside its list of layers
            check_name(entry["name"], label)
        inner = stack + (declared_name(entry) or cls,)
        seen: set[str] = set()
        for layer in model_layers(entry):
            self.entry(layer, inner, depth + 1)
            layer_name = declared_name(layer)
            if layer_name is not None:
                # Keras: "All layer names should be unique" (weights are found by these names)
                if layer_name in seen:
                    raise Refusal(f"{label}: two layers are named {layer_name!r}")
                seen.add(layer_name)
        if cls != "Sequential" and (cls in MODEL_CLASSES or "output_layers" in config):
            check_graph(config, label)


def _object_children(item: tuple) -> list[tuple]:
    value, where = item
    if isinstance(value, list):
        return [(v, where) for v in value]
    if not isinstance(value, dict):
        return []
    if "class_name" in value and where.count("(") < 3:
        where = f"{where} ({value['class_name']})"
    return [(v, f"{where}.{k}" if len(where) < 200 else where) for k, v in value.items()]


def _check_object(item: dict, where: str) -> None:
    cls = item["class_name"]
    if not isinstance(cls, str) or not cls:
        raise Refusal(f"{where}: 'class_name' must be a non-empty string, found {cls!r:.60}")
    config = item.get("config")
    # Keras >= 2.13 and Keras 3 serialize a function as {"class_name": "function",
    # "config": "<its registered name>"} (keras/src/saving/serialization_lib.py
    # `serialize_keras_object`, the `types.FunctionType` branch).
    if not (
        config is None
        or isinstance(config, dict)
        or (cls == "Sequential" and isinstance(config, list))
        or (cls == "function" and isinstance(config, str))
    ):
        raise Refusal(f"{where} ({cls}): 'config' must be an object, found {type(config).__name__}")
    for key in OPTIONAL_STRINGS:
        if not isinstance(item.get(key), (str, type(None))):
            raise Refusal(f"{where} ({cls}): '{key}' must be a string")


def check_objects(value, what: str) -> None:
    """Every serialized object (a dict with `class_name`) names its class with a string and
    holds its arguments in an object: initializers, regularizers, constraints, policies,
    optimizers, schedules, losses, metrics."""
    for item, where in depth_first((value, what), _object_children):
        if isinstance(item, dict) and "class_name" in item:
            _check_object(item, where)


def check_model_config(path, config, what: str = "model_config", model_root: bool = False) -> None:
    """Refuse a config that is not the structure of a Keras model (see the module docstring).
    `model_root`: the config must be a Functional, Model or Sequential (legacy `.h5` files)."""
    if not isinstance(config, dict):
        raise MalformedConfigError(path, f"{what} must be a JSON object, found {type(config).__name__}")
    if model_root and not _is_model(config):
        raise MalformedConfigError(
            path, f"{what} is a {config.get('class_name')!r:.60}, not a model (Functional, Model or Sequential)"
        )
    check_json_value(path, config, what)
    try:
        ConfigWalk().entry(config, (), 0)
        check_objects(config, what)
    except Refusal as exc:
        raise MalformedConfigError(path, f"{what}: {exc}") from None


def check_layer_names(
    path, layer_names: Iterable[str], config_names: Iterable[str], holds_weights: Callable[[str], bool] | None = None
) -> None:
    """`model_weights/layer_names` must name layers of the config, each once. A name the config
    lacks is harmless when it holds no weights (`holds_weights`; None: every name counts): writers list input layers under names of their own
    (a SavedModel's object graph names its InputLayer apart from the config), and nothing is lost."""
    known = set(config_names)
    seen: set[str] = set()
    for name in layer_names:
        if name in seen:
            raise MalformedConfigError(path, f"model_weights lists layer {name!r} twice in layer_names")
        seen.add(name)
        if name not in known and (holds_weights is None or holds_weights(name)):
            raise MalformedConfigError(
                path, f"model_weights lists layer {name!r} in layer_names, but model_config has no such layer"
            )
