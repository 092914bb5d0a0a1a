"""Where each legacy weight goes in a Keras 3 `model.weights.h5`.

Keras 3 writes weights by walking the model object (keras/src/saving/
saving_lib.py `_save_state`): for a Functional or Sequential, first its
`layers` list, each element at `layers/<snake_case(class name)>` with a
counter per class name (`dense`, `dense_1`, …), then attributes in sorted
order; a layer's own variables go to `<path>/vars/0, 1, …` in the order of
`save_own_variables`. The per-class part (which sub-saveables, which
variables, in which order) is data derived from Keras itself
(kerasmigrate/data/keras3.json); the model part is reproduced here:

* Sequential.layers: the config's layers without the leading InputLayer
  (keras/src/models/sequential.py `layers`).
* Functional.layers: operations in the order of `map_graph`
  (keras/src/ops/function.py): decreasing depth from the outputs, ties
  broken by first traversal from the outputs.

Legacy weights are matched to these slots by name (the owning layer's name
and the variable name, which every tf.keras and Keras 2 writer records), and
otherwise by the legacy order: for a nested model, every trainable weight of
its layers first, then every non-trainable one (tf_keras/saving/legacy/
hdf5_format.py `_legacy_weights`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kerasmigrate.keras3 import TABLE, to_snake_case
from kerasmigrate.passes.registry import model_layers
from kerasmigrate.reader import WeightRef

# Legacy variable names that Keras 3 renamed, per class.
# Keras 3 DepthwiseConv*D call the depthwise kernel `kernel`
# (keras/src/layers/convolutional/base_depthwise_conv.py `build`).
VARIABLE_ALIASES: dict[str, dict[str, str]] = {
    "DepthwiseConv1D": {"depthwise_kernel": "kernel"},
    "DepthwiseConv2D": {"depthwise_kernel": "kernel"},
}

# Variables that exist only when a config flag is on: (class set, flag, variable).
OPTIONAL_VARIABLES = [
    (None, "use_bias", "bias"),
    ({"BatchNormalization", "LayerNormalization", "GroupNormalization"}, "center", "beta"),
    ({"BatchNormalization", "LayerNormalization", "GroupNormalization"}, "scale", "gamma"),
]

MODEL_SNAKE = {"Functional": "functional", "Sequential": "sequential"}


class LayoutError(Exception):
    """A model that the Keras 3 layout cannot be derived for (reported with the file)."""


@dataclass
class Slot:
    """One Keras 3 variable: where it is written and which legacy layer owns it."""

    vars_path: str
    var_name: str
    owner: str  # name of the layer that owns it (leaf layer)
    owner_class: str
    trainable: bool  # in the legacy sense: variable, layer and enclosing models trainable
    ref: WeightRef | None = None


@dataclass
class VarsGroup:
    path: str  # ".../vars"
    name: str  # the saveable's name (the `name` attribute Keras ≥ 3.6 writes)
    slots: list[Slot] = field(default_factory=list)


@dataclass
class WeightPlan:
    groups: list[VarsGroup]
    # per top-level legacy layer group: how its weights were matched ("name"/"order")
    matching: dict[str, str]

    def total_bytes(self) -> int:
        return sum(s.ref.nbytes for g in self.groups for s in g.slots if s.ref is not None)

    def assigned(self) -> int:
        return sum(1 for g in self.groups for s in g.slots if s.ref is not None)


# ---------------------------------------------------------------------------
# Keras 3 layer order
# ---------------------------------------------------------------------------

def _tensors(value, out: list) -> list:
    """Keras tensor references in `value`, in keras.tree.flatten order (dict keys sorted)."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            out.append(tuple(value["config"]["keras_history"]))
        else:
            for key in sorted(value):
                _tensors(value[key], out)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _tensors(v, out)
    return out


def _io_list(refs) -> list[tuple]:
    if isinstance(refs, list) and len(refs) == 3 and isinstance(refs[0], str):
        return [tuple(refs)]
    if isinstance(refs, dict):
        return [r for key in sorted(refs) for r in _io_list(refs[key])]
    return [r for ref in refs for r in _io_list(ref)]


def functional_layer_order(model: dict) -> list[dict]:
    """Keras 3 `Functional.layers` for a converted config (a port of `map_graph`)."""
    config = model["config"]
    layers = {layer["name"]: layer for layer in config["layers"]}

    def node_inputs(node_key):
        name, index = node_key
        nodes = layers[name].get("inbound_nodes") or []
        if index >= len(nodes):
            if layers[name]["class_name"] == "InputLayer" and index == 0:
                return []
            raise LayoutError(f"layer {name!r} has no call #{index}")
        node = nodes[index]
        return _tensors([node.get("args", []), node.get("kwargs", {})], [])

    def output_node(ref):
        name, index, _ = ref
        if layers[name]["class_name"] == "Functional":
            index -= 1  # Keras 3 input/output references count a built-in node
        return (name, index)

    finished: set = set()
    in_progress: set = set()
    ordered_nodes: list = []
    op_index: dict[str, int] = {}

    def visit(node_key):
        if node_key in finished:
            return
        if node_key in in_progress:
            raise LayoutError(f"the graph has a cycle through layer {node_key[0]!r}")
        name = node_key[0]
        if name not in op_index:
            op_index[name] = len(op_index)
        in_progress.add(node_key)
        for parent_name, parent_index, _ in node_inputs(node_key):
            visit((parent_name, parent_index))
        finished.add(node_key)
        in_progress.discard(node_key)
        ordered_nodes.append(node_key)

    for ref in _io_list(config["output_layers"]):
        visit(output_node(ref))

    in_graph = set(ordered_nodes)
    node_depth: dict = {}
    op_depth: dict[str, int] = {}
    for node_key in reversed(ordered_nodes):
        depth = node_depth.setdefault(node_key, 0)
        depth = max(depth, op_depth.get(node_key[0], 0))
        op_depth[node_key[0]] = depth
        node_depth[node_key] = depth
        for parent_name, parent_index, _ in node_inputs(node_key):
            parent = (parent_name, parent_index)
            if parent in in_graph:
                node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    for ref in _io_list(config["input_layers"]):
        name = ref[0]
        if name not in op_depth and layers[name]["class_name"] == "InputLayer":
            op_depth[name] = 0
            op_index[name] = -1

    order = sorted(op_depth, key=lambda n: (-op_depth[n], op_index[n]))
    return [layers[name] for name in order]


def keras3_model_layers(model: dict) -> list[dict]:
    if model["class_name"] == "Sequential":
        layers = model_layers(model)
        if layers and layers[0].get("class_name") == "InputLayer":
            return layers[1:]
        return layers
    return functional_layer_order(model)


# ---------------------------------------------------------------------------
# Slots
# ---------------------------------------------------------------------------

def _config_name(entry: dict) -> str:
    return entry["config"]["name"]


def _present_variables(class_name: str, config: dict, names: list[str]) -> set[str]:
    present = set(names)
    for classes, flag, var in OPTIONAL_VARIABLES:
        if (classes is None or class_name in classes) and config.get(flag) is False:
            present.discard(var)
    return present


def _unique(name: str, used: dict[str, int]) -> str:
    # keras/src/saving/saving_lib.py `_get_unique_name`
    if name in used:
        used[name] += 1
        return f"{name}_{used[name]}"
    used[name] = 0
    return name


def _layer_groups(entry: dict, path: str, trainable: bool, groups: list[VarsGroup]) -> list[Slot]:
    """Vars groups of one layer (recursing into models); returns its slots in legacy order."""
    class_name = entry["class_name"]
    config = entry["config"]
    trainable = trainable and config.get("trainable", True) is not False
    if class_name in MODEL_SNAKE:
        groups.append(VarsGroup(f"{path}/vars" if path else "vars", _config_name(entry)))
        used: dict[str, int] = {}
        slots: list[Slot] = []
        children = []
        for layer in keras3_model_layers(entry):
            snake = MODEL_SNAKE.get(layer["class_name"]) or TABLE.classes[layer["class_name"]].snake_name
            child_path = f"{path}/layers/{_unique(snake, used)}" if path else f"layers/{_unique(snake, used)}"
            children.append((layer, child_path))
        # Legacy order follows the config's layer order, Keras 3 paths follow its own order.
        by_name = {_config_name(layer): (layer, p) for layer, p in children}
        for layer in model_layers(entry):
            if _config_name(layer) in by_name:
                child, child_path = by_name[_config_name(layer)]
                slots.extend(_layer_groups(child, child_path, trainable, groups))
        return [s for s in slots if s.trainable] + [s for s in slots if not s.trainable]
    spec = TABLE.classes.get(class_name)
    if spec is None:
        raise LayoutError(f"no Keras 3 weight layout is known for class {class_name!r}")
    slots = []
    for layout_entry in spec.layout:
        vars_path = f"{path}/{layout_entry.path}/vars" if layout_entry.path else f"{path}/vars"
        group = VarsGroup(vars_path, layout_entry.saveable_name(config["name"]))
        present = _present_variables(class_name, config, [v.name for v in layout_entry.variables])
        for var in layout_entry.variables:
            if var.name in present:
                slot = Slot(vars_path, var.name, config["name"], class_name,
                            trainable and var.trainable)
                group.slots.append(slot)
                slots.append(slot)
        groups.append(group)
    # A legacy layer lists its own trainable variables before its non-trainable ones.
    return [s for s in slots if s.trainable] + [s for s in slots if not s.trainable]


def _names_match(slot: Slot, ref: WeightRef) -> bool:
    base = VARIABLE_ALIASES.get(slot.owner_class, {}).get(ref.basename, ref.basename)
    return base == slot.var_name and slot.owner in ref.components[:-1]


def _match_by_name(slots: list[Slot], refs: list[WeightRef]) -> list[tuple[Slot, WeightRef]] | None:
    pairs = []
    taken: set[int] = set()
    for ref in refs:
        candidates = [i for i, s in enumerate(slots) if i not in taken and _names_match(s, ref)]
        if len(candidates) != 1:
            return None
        taken.add(candidates[0])
        pairs.append((slots[candidates[0]], ref))
    if len(taken) != len(slots):
        return None
    return pairs


def build_plan(model: dict, legacy_weights) -> WeightPlan:
    """Lay out a converted model's variables and match them with the file's weights.

    `legacy_weights(layer_name)` returns the weights stored for a top-level layer.
    """
    groups: list[VarsGroup] = []
    matching: dict[str, str] = {}
    groups.append(VarsGroup("vars", _config_name(model)))
    used: dict[str, int] = {}
    trainable = model["config"].get("trainable", True) is not False
    for layer in keras3_model_layers(model):
        snake = MODEL_SNAKE.get(layer["class_name"]) or TABLE.classes[layer["class_name"]].snake_name
        slots = _layer_groups(layer, f"layers/{_unique(snake, used)}", trainable, groups)
        name = _config_name(layer)
        refs = legacy_weights(name)
        if not slots and not refs:
            continue
        pairs = _match_by_name(slots, refs)
        how = "name"
        if pairs is None:
            if len(slots) != len(refs):
                raise LayoutError(
                    f"layer {name!r} ({layer['class_name']}): the file stores {len(refs)} weights "
                    f"({', '.join(r.name for r in refs) or 'none'}), Keras 3 expects "
                    f"{len(slots)} ({', '.join(f'{s.owner}/{s.var_name}' for s in slots) or 'none'})")
            pairs = list(zip(slots, refs))
            how = "order"
        for slot, ref in pairs:
            slot.ref = ref
        matching[name] = how
    return WeightPlan(groups, matching)
