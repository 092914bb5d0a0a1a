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

from kerasmigrate.keras3 import TABLE, LayoutEntry, VariableSpec
from kerasmigrate.passes.registry import is_op_entry, model_layers
from kerasmigrate.reader import WeightRef

# Legacy variable names that Keras 3 renamed, per class.
# Keras 3 DepthwiseConv*D call the depthwise kernel `kernel`
# (keras/src/layers/convolutional/base_depthwise_conv.py `build`).
VARIABLE_ALIASES: dict[str, dict[str, str]] = {
    "DepthwiseConv1D": {"depthwise_kernel": "kernel"},
    "DepthwiseConv2D": {"depthwise_kernel": "kernel"},
    # keras/src/applications/convnext.py LayerScale.build: an unnamed weight
    "LayerScale": {"gamma": "variable"},
}

# Variables that exist only when a config flag is on: (class set, flag, variable).
OPTIONAL_VARIABLES = [
    (None, "use_bias", "bias"),
    ({"BatchNormalization", "LayerNormalization", "GroupNormalization"}, "center", "beta"),
    ({"BatchNormalization", "LayerNormalization", "GroupNormalization"}, "scale", "gamma"),
]

MODEL_SNAKE = {"Functional": "functional", "Sequential": "sequential"}

# Bookkeeping keys a user mapping leaves on a layer entry (removed before writing):
# the layer's Keras 3 weight layout as measured on the user's class, and
# "match its stored weights by order".
LAYOUT_KEY = "_km_layout"
ORDER_KEY = "_km_weights_by_order"

# Lookup layers in "tf_idf" mode store their IDF weights by name, outside the
# tracked variables; TextVectorization stores them twice, for itself and for its
# inner lookup layer (keras/src/layers/preprocessing/index_lookup.py and
# text_vectorization.py `save_own_variables`). Legacy writers store one variable.
TF_IDF_CLASSES = {"StringLookup", "IntegerLookup", "TextVectorization"}


class LayoutError(Exception):
    """A model that the Keras 3 layout cannot be derived for (reported with the file)."""


# Layers whose config holds other layers: where each child lands in Keras 3
# (the attribute `_save_state` walks) in the order legacy writers store their
# weights. keras/src/layers/rnn/bidirectional.py (`forward_layer`,
# `backward_layer`; legacy: forward weights, then backward),
# keras/src/layers/core/wrapper.py (`layer`), keras/src/layers/rnn/rnn.py
# (`cell`), keras/src/layers/rnn/stacked_rnn_cells.py (`cells`, a list).
COMPOSITE_CLASSES = {"Bidirectional", "TimeDistributed", "RNN", "StackedRNNCells"}

# Sub-layers a class creates itself, in the order legacy writers created them
# (the Keras 3 walk visits attributes sorted by name instead).
# tf_keras/layers/attention/multi_head_attention.py `_build_from_signature`.
LEGACY_SUBLAYER_ORDER = {
    "MultiHeadAttention": ["query_dense", "key_dense", "value_dense", "output_dense"],
}


@dataclass
class Slot:
    """One Keras 3 variable: where it is written and which legacy layer owns it."""

    vars_path: str
    var_name: str
    owner: str  # name of the legacy layer whose group stores it (top-level or nested leaf)
    owner_class: str
    trainable: bool  # in the legacy sense: variable, layer and enclosing models trainable
    sub_name: str = ""  # name of the sub-layer inside the owner ("forward_lstm", "query")
    # the stored weight; or a legacy_weights.Computed (several stored weights and the
    # steps that give the Keras 3 value), or an array, for values the converter computes
    ref: WeightRef | None = None
    keras3_key: tuple = ()  # sorts slots into Keras 3's `model.variables` order
    store_key: str | None = None  # dataset name when Keras 3 stores it by name, not by index
    copy_of: "Slot | None" = None  # written with the value of another slot of the same layer


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
    # trainable variables in the order of the legacy model's `trainable_weights`
    legacy_trainable: list[Slot] = field(default_factory=list)
    # per top-level legacy layer: the weights computed rather than copied, described
    transforms: dict[str, list[str]] = field(default_factory=dict)

    def keras3_trainable(self) -> list[Slot]:
        """Trainable variables in Keras 3's `model.trainable_variables` order: own variables,
        then tracked sub-layers, recursively (keras/src/layers/layer.py `variables`)."""
        slots = [s for g in self.groups for s in g.slots if s.trainable and s.keras3_key]
        return sorted(slots, key=lambda s: s.keras3_key)

    def total_bytes(self) -> int:
        return sum(s.ref.nbytes for g in self.groups for s in g.slots
                   if s.ref is not None and s.copy_of is None)

    def assigned(self) -> int:
        return sum(1 for g in self.groups for s in g.slots
                   if s.ref is not None and s.copy_of is None and not g.path.startswith("optimizer/"))

    def stored_refs(self) -> list:
        """The stored weights the model's variables are made of (computed ones count their inputs)."""
        refs = []
        for g in self.groups:
            if g.path.startswith("optimizer/"):
                continue
            for s in g.slots:
                if s.ref is not None and s.copy_of is None:
                    refs.extend(getattr(s.ref, "inputs", None) or [s.ref])
        return refs


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


# Output masks that Keras 3 computes with ops (keras.ops calls in `compute_mask`),
# as the chain of op nodes between the mask's source and its consumers; those
# op nodes count in `map_graph`'s depths. keras/src/layers/core/embedding.py
# (not_equal), keras/src/layers/core/masking.py (not_equal, any),
# keras/src/layers/merging/base_merge.py (logical_or of the masks, None if an
# input is unmasked), keras/src/layers/merging/concatenate.py (per input
# logical_or(expand_dims(mask), zeros_like(input)) or ones_like(input), then
# concatenate, any).
RECURRENT_MASK_CLASSES = {"LSTM", "GRU", "SimpleRNN", "RNN", "ConvLSTM1D", "ConvLSTM2D",
                          "ConvLSTM3D", "Bidirectional"}
MERGE_MASK_CLASSES = {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"}
PASS_THROUGH_MASK_CLASSES = {"Attention", "AdditiveAttention"}  # the query's mask


def _spec(layer: dict):
    """The Keras 3 class table entry of a layer entry; None for keras.ops nodes and unknown classes."""
    return None if is_op_entry(layer) else TABLE.classes.get(layer["class_name"])


def _passes_input_mask(layer: dict) -> bool:
    """The output carries the (first) input's mask unchanged: the base `compute_mask`
    of a masking-aware layer, or attention's query mask."""
    spec = _spec(layer)
    return layer["class_name"] in PASS_THROUGH_MASK_CLASSES or (
        spec is not None and spec.supports_masking and not spec.own_compute_mask)


class _Graph:
    """The node graph Keras 3 builds from a converted Functional config, mask ops included."""

    def __init__(self, model: dict):
        self.layers = {layer["name"]: layer for layer in model["config"]["layers"]}
        self._ops: dict = {}  # virtual op node -> parents
        self._masks: dict = {}  # layer node -> node producing its output mask (or None)
        self._values: dict = {}  # mask-producing node -> the mask it computes (as a node)

    def _op(self, parents: list) -> tuple:
        key = ("#op", len(self._ops))
        self._ops[key] = [p for p in parents if p is not None]
        return key

    def _node(self, key):
        name, index = key
        nodes = self.layers[name].get("inbound_nodes") or []
        if index >= len(nodes):
            if self.layers[name]["class_name"] == "InputLayer" and index == 0:
                return None
            raise LayoutError(f"layer {name!r} has no call #{index}")
        return nodes[index]

    def _first_arg_tensors(self, key) -> list:
        node = self._node(key)
        if not node:
            return []
        return _tensors(node.get("args", [])[:1], [])

    def mask_of(self, key):
        """The node whose output is the mask of this layer node's output, or None."""
        if key[0] == "#op" or self._node(key) is None or is_op_entry(self.layers[key[0]]):
            return None  # keras.ops nodes carry no masks
        if key in self._masks:
            return self._masks[key]
        self._masks[key] = None  # guards against cycles while computing
        layer = self.layers[key[0]]
        cls, config = layer["class_name"], layer["config"]
        inputs = [(t[0], t[1]) for t in self._first_arg_tensors(key)]
        in_masks = [self.mask_of(t) for t in inputs]
        mask = None
        if cls == "Embedding":
            mask = self._op(inputs) if config.get("mask_zero") else None
        elif cls == "Masking":
            mask = self._op([self._op(inputs)])
        elif cls in RECURRENT_MASK_CLASSES:
            returns_sequences = (config.get("layer", {}).get("config", config)
                                 if cls == "Bidirectional" else config).get("return_sequences")
            mask = in_masks[0] if in_masks and returns_sequences else None
        elif cls in MERGE_MASK_CLASSES and in_masks and all(in_masks):
            mask = in_masks[0]
            for m in in_masks[1:]:
                mask = self._op([mask, m])
            self._values[mask] = self._merged_value(in_masks, inputs, mask)
        elif cls == "Concatenate" and any(in_masks):
            parts = [self._op([self._op([m]), self._op([i])]) if m else self._op([i])
                     for i, m in zip(inputs, in_masks)]
            mask = self._op([self._op(parts)])
            self._values[mask] = self._merged_value(in_masks, inputs, mask)
        elif _passes_input_mask(layer):
            mask = in_masks[0] if in_masks else None
        self._masks[key] = mask
        return mask

    def prime_masks(self) -> None:
        """Compute every node's mask inputs first, so `mask_of` never recurses deeply
        (an EfficientNetB7 chains about 800 layers)."""
        order, seen = [], set()
        for name, layer in self.layers.items():
            for index in range(max(1, len(layer.get("inbound_nodes") or []))):
                stack = [((name, index), False)]
                while stack:
                    key, expanded = stack.pop()
                    if expanded:
                        order.append(key)
                        continue
                    if key in seen or key[0] not in self.layers:
                        continue
                    seen.add(key)
                    stack.append((key, True))
                    for t in self._first_arg_tensors(key) if self._node(key) else []:
                        stack.append(((t[0], t[1]), False))
        for key in order:
            self.mask_of(key)

    def mask_value(self, mask_node):
        """What a mask computes: merging one mask with itself gives that mask back."""
        return self._values.get(mask_node, mask_node)

    def _merged_value(self, in_masks, inputs, mask_node):
        values = {self.mask_value(m) for m in in_masks}
        return values.pop() if len(values) == 1 and None not in values else mask_node

    def parents(self, key) -> list:
        if key[0] == "#op":
            return self._ops[key]
        node = self._node(key)
        if node is None:
            return []
        args = [(t[0], t[1]) for t in _tensors(node.get("args", []), [])]
        kwargs = node.get("kwargs", {})
        spec = _spec(self.layers[key[0]])
        extra = {}
        if spec is not None and spec.call_takes_mask and "mask" not in kwargs:
            masks = [self.mask_of((t[0], t[1])) for t in self._first_arg_tensors(key)]
            if any(masks):
                extra["mask"] = [m for m in masks if m]
        ordered = []
        for k in sorted(set(kwargs) | set(extra)):  # keras.tree.flatten sorts dict keys
            if k in extra:
                ordered.extend(extra[k])
            else:
                ordered.extend((t[0], t[1]) for t in _tensors(kwargs[k], []))
        return args + ordered


class MaskSemanticsError(LayoutError):
    """A merge of differently masked inputs: Keras 2 and Keras 3 compute different masks."""


def check_merge_masks(model: dict) -> None:
    """Refuse merges whose output mask Keras 3 computes differently, where a layer uses it.

    Keras 2 / tf_keras combine the masks of merged inputs with AND, treating
    unmasked inputs as all-true (tf_keras/layers/merging/base_merge.py and
    concatenate.py `compute_mask`: `all`); Keras 3 uses OR, and drops the mask
    of Add & co. when one input is unmasked (keras/src/layers/merging/
    base_merge.py `logical_or`, concatenate.py `any`). The two agree when every
    input carries the same mask. Otherwise a mask-consuming layer downstream
    (an RNN, attention…) would compute other numbers.
    """
    graph = _Graph(model)
    differing = []
    for name, layer in graph.layers.items():
        if layer["class_name"] not in MERGE_MASK_CLASSES | {"Concatenate"} or is_op_entry(layer):
            continue
        for index in range(len(layer.get("inbound_nodes") or [])):
            masks = [graph.mask_of((t[0], t[1])) for t in graph._first_arg_tensors((name, index))]
            if any(masks) and len({graph.mask_value(m) for m in masks}) > 1:
                differing.append(name)
    if not differing:
        return
    consumers = {}
    for name, layer in graph.layers.items():
        spec = _spec(layer)
        if spec is None or not spec.call_takes_mask:
            continue
        for index in range(len(layer.get("inbound_nodes") or [])):
            for t in graph._first_arg_tensors((name, index)):
                if _mask_comes_from(graph, (t[0], t[1]), set(differing)):
                    consumers.setdefault(name, None)
    if consumers:
        raise MaskSemanticsError(
            f"merge layer(s) {', '.join(differing)} combine differently masked inputs, and "
            f"{', '.join(consumers)} use(s) the merged mask: Keras 3 merges masks with OR where "
            "Keras 2 used AND, so the converted model would compute other outputs")


def _mask_comes_from(graph: "_Graph", key, merges: set) -> bool:
    """Whether the mask of this tensor is the one a merge in `merges` produced (passed along)."""
    seen = set()
    while key is not None and key not in seen and key[0] != "#op":
        seen.add(key)
        if key[0] in merges:
            return True
        layer = graph.layers[key[0]]
        passes_mask = layer["class_name"] in RECURRENT_MASK_CLASSES or _passes_input_mask(layer)
        if is_op_entry(layer) or not passes_mask or graph.mask_of(key) is None:
            return False
        inputs = graph._first_arg_tensors(key)
        key = (inputs[0][0], inputs[0][1]) if inputs else None
    return False


def functional_layer_order(model: dict) -> list[dict]:
    """Keras 3 `Functional.layers` for a converted config (a port of `map_graph`)."""
    config = model["config"]
    graph = _Graph(model)
    graph.prime_masks()
    layers = graph.layers

    def output_node(ref):
        name, index, _ = ref
        if layers[name]["class_name"] == "Functional":
            index -= 1  # Keras 3 input/output references count a built-in node
        return (name, index)

    finished: set = set()
    in_progress: set = set()
    ordered_nodes: list = []
    op_index: dict = {}

    def visit(start):
        # `_build_map_helper`'s depth-first walk, iterative: first visits number the
        # operations, finished nodes are appended after their parents.
        stack = [(start, None)]
        while stack:
            node_key, parents = stack.pop()
            if parents is None:
                if node_key in finished:
                    continue
                if node_key in in_progress:
                    raise LayoutError(f"the graph has a cycle through layer {node_key[0]!r}")
                operation = node_key if node_key[0] == "#op" else node_key[0]
                if operation not in op_index:
                    op_index[operation] = len(op_index)
                in_progress.add(node_key)
                parents = iter(graph.parents(node_key))
            parent = next(parents, None)
            if parent is None:
                finished.add(node_key)
                in_progress.discard(node_key)
                ordered_nodes.append(node_key)
            else:
                stack.append((node_key, parents))
                stack.append((parent, None))

    for ref in _io_list(config["output_layers"]):
        visit(output_node(ref))

    in_graph = set(ordered_nodes)
    node_depth: dict = {}
    op_depth: dict = {}
    for node_key in reversed(ordered_nodes):
        operation = node_key if node_key[0] == "#op" else node_key[0]
        depth = node_depth.setdefault(node_key, 0)
        depth = max(depth, op_depth.get(operation, 0))
        op_depth[operation] = depth
        node_depth[node_key] = depth
        for parent in graph.parents(node_key):
            if parent in in_graph:
                node_depth[parent] = max(depth + 1, node_depth.get(parent, 0))
    for ref in _io_list(config["input_layers"]):
        name = ref[0]
        if name not in op_depth and layers[name]["class_name"] == "InputLayer":
            op_depth[name] = 0
            op_index[name] = -1

    order = sorted((op for op in op_depth if isinstance(op, str) and not is_op_entry(layers[op])),
                   key=lambda n: (-op_depth[n], op_index[n]))
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


def legacy_name(entry: dict) -> str:
    """The name the legacy file stores the layer's weights under (before any rename)."""
    return entry.get("_legacy_name") or entry["config"]["name"]


def _present_variables(class_name: str, config: dict, names: list[str]) -> set[str]:
    present = set(names)
    if class_name == "Normalization" and config.get("mean") is not None:
        # mean/variance given in the config: no state variables
        # (keras/src/layers/preprocessing/normalization.py `build`)
        return set()
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


def _children(entry: dict) -> list[tuple[str, dict]]:
    """(path relative to the layer, child entry) for composite layers, in legacy weight order."""
    cls = entry["class_name"]
    config = entry["config"]
    if cls == "Bidirectional":
        forward = config["layer"]
        backward = config.get("backward_layer") or forward
        return [("forward_layer", _renamed(forward, "forward_")),
                ("backward_layer", _renamed(backward, "backward_"))]
    if cls == "TimeDistributed":
        return [("layer", config["layer"])]
    if cls == "RNN":
        return [("cell", config["cell"])]
    if cls == "StackedRNNCells":
        used: dict[str, int] = {}
        return [(f"cells/{_unique(TABLE.classes[c['class_name']].snake_name, used)}", c)
                for c in config["cells"]]
    return []


def _renamed(entry: dict, prefix: str) -> dict:
    # Keras 3 Bidirectional names its copies forward_<name> / backward_<name>.
    name = entry["config"]["name"]
    for old in ("forward_", "backward_"):
        if name.startswith(old):
            name = name[len(old):]
    return {**entry, "config": {**entry["config"], "name": prefix + name}}


def _own_slots(entry: dict, path: str, trainable: bool, owner: str,
               groups: list[VarsGroup], key: tuple) -> list[Slot]:
    class_name = entry["class_name"]
    config = entry["config"]
    spec = TABLE.classes.get(class_name)
    if spec is None:
        raise LayoutError(f"no Keras 3 weight layout is known for class {class_name!r}")
    layout = spec.layout
    if LAYOUT_KEY in entry:  # measured on the user's own class, for this layer
        layout = tuple(LayoutEntry(p, tuple(VariableSpec(n, bool(t)) for n, t in variables), name)
                       for p, variables, name in entry[LAYOUT_KEY])
    if class_name in COMPOSITE_CLASSES:
        layout = tuple(e for e in layout if e.path == "")  # children come from the config
    order = LEGACY_SUBLAYER_ORDER.get(class_name)
    if order:
        layout = tuple(sorted(layout, key=lambda e: order.index(e.path) if e.path in order else -1))
    slots = []
    for entry_index, layout_entry in enumerate(layout):
        vars_path = f"{path}/{layout_entry.path}/vars" if layout_entry.path else f"{path}/vars"
        sub_name = layout_entry.saveable_name(config["name"])
        group = VarsGroup(vars_path, sub_name)
        present = {v.name for v in layout_entry.variables} if LAYOUT_KEY in entry else \
            _present_variables(class_name, config, [v.name for v in layout_entry.variables])
        for var_index, var in enumerate(layout_entry.variables):
            if var.name in present:
                slot = Slot(vars_path, var.name, owner, class_name, trainable and var.trainable,
                            sub_name if layout_entry.path else config["name"],
                            keras3_key=key + (0, entry_index, var_index))
                group.slots.append(slot)
                slots.append(slot)
        if class_name in TF_IDF_CLASSES and config.get("output_mode") in ("tf_idf", "tf-idf"):
            first = next((s for s in slots if s.store_key == "idf_weights"), None)
            slot = Slot(vars_path, "idf_weights", owner, class_name, False, config["name"],
                        store_key="idf_weights", copy_of=first)
            group.slots.append(slot)
            slots.append(slot)
        groups.append(group)
    return slots


def _layer_groups(entry: dict, path: str, trainable: bool, groups: list[VarsGroup],
                  owner: str | None = None, key: tuple = ()) -> list[Slot]:
    """Vars groups of one layer (recursing into models and composites); its slots in legacy order."""
    class_name = entry["class_name"]
    config = entry["config"]
    trainable = trainable and config.get("trainable", True) is not False
    if class_name in MODEL_SNAKE:
        groups.append(VarsGroup(f"{path}/vars" if path else "vars", _config_name(entry)))
        used: dict[str, int] = {}
        children = []
        for index, layer in enumerate(keras3_model_layers(entry)):
            snake = MODEL_SNAKE.get(layer["class_name"]) or TABLE.classes[layer["class_name"]].snake_name
            child_path = f"{path}/layers/{_unique(snake, used)}" if path else f"layers/{_unique(snake, used)}"
            children.append((layer, child_path, key + (1, index)))
        # Legacy order follows the config's layer order, Keras 3 paths follow its own order.
        by_name = {_config_name(layer): (layer, p, k) for layer, p, k in children}
        slots: list[Slot] = []
        for layer in model_layers(entry):
            if _config_name(layer) in by_name:
                child, child_path, child_key = by_name[_config_name(layer)]
                slots.extend(_layer_groups(child, child_path, trainable, groups, key=child_key))
        return [s for s in slots if s.trainable] + [s for s in slots if not s.trainable]
    owner = owner or legacy_name(entry)
    slots = _own_slots(entry, path, trainable, owner, groups, key)
    for child_index, (rel, child) in enumerate(_children(entry)):
        slots.extend(_layer_groups(child, f"{path}/{rel}", trainable, groups, owner,
                                   key + (1 + child_index,)))
    # A legacy layer lists its own trainable variables before its non-trainable ones.
    return [s for s in slots if s.trainable] + [s for s in slots if not s.trainable]


def _contains(parts: list[str], sub: list[str]) -> bool:
    return any(parts[i:i + len(sub)] == sub for i in range(len(parts) - len(sub) + 1))


def _variable_aliases(class_name: str) -> dict[str, str]:
    spec = TABLE.classes.get(class_name)
    if spec is not None and spec.variable_aliases:
        return dict(spec.variable_aliases)
    return VARIABLE_ALIASES.get(class_name, {})


def _names_match(slot: Slot, ref: WeightRef) -> bool:
    base = _variable_aliases(slot.owner_class).get(ref.basename, ref.basename)
    # legacy names may contain '/', so the owner can span several components
    return base == slot.var_name and _contains(ref.components[:-1], slot.owner.split("/"))


def _match_by_name(slots: list[Slot], refs: list[WeightRef]) -> list[tuple[Slot, WeightRef]] | None:
    pairs = []
    taken: set[int] = set()
    for ref in refs:
        candidates = [i for i, s in enumerate(slots) if i not in taken and _names_match(s, ref)]
        if len(candidates) > 1:  # e.g. forward and backward kernels: the sub-layer decides
            candidates = [i for i in candidates
                          if _contains(ref.components[:-1], slots[i].sub_name.split("/"))]
        if len(candidates) != 1:
            return None
        taken.add(candidates[0])
        pairs.append((slots[candidates[0]], ref))
    if len(taken) != len(slots):
        return None
    return pairs


def build_plan(model: dict, legacy_weights, adapt=None) -> WeightPlan:
    """Lay out a converted model's variables and match them with the file's weights.

    `legacy_weights(layer_name)` returns the weights stored for a top-level layer;
    `adapt(layer_entry, refs)`, if given, brings them to the Keras 2/3 layout
    (legacy_weights.adapt_layer), possibly as computed weights.
    """
    transforms: dict[str, list[str]] = {}
    groups: list[VarsGroup] = []
    matching: dict[str, str] = {}
    groups.append(VarsGroup("vars", _config_name(model)))
    used: dict[str, int] = {}
    trainable = model["config"].get("trainable", True) is not False
    slots_by_layer: dict[str, list[Slot]] = {}
    for index, layer in enumerate(keras3_model_layers(model)):
        snake = MODEL_SNAKE.get(layer["class_name"]) or TABLE.classes[layer["class_name"]].snake_name
        slots = _layer_groups(layer, f"layers/{_unique(snake, used)}", trainable, groups,
                              key=(1, index))
        slots_by_layer[_config_name(layer)] = slots
        name = legacy_name(layer)
        refs = legacy_weights(name)
        if adapt is not None and refs:
            refs = adapt(layer, refs)
            computed = [r.describe() for r in refs if hasattr(r, "describe")]
            if computed:
                transforms[name] = computed
        copies = [s for s in slots if s.copy_of is not None]
        slots = [s for s in slots if s.copy_of is None]
        if not slots and not refs:
            continue
        pairs = None if layer.get(ORDER_KEY) else _match_by_name(slots, refs)
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
        for slot in copies:
            slot.ref = slot.copy_of.ref
        matching[name] = how
    legacy_trainable = [s for layer in model_layers(model)
                        for s in slots_by_layer.get(_config_name(layer), []) if s.trainable]
    return WeightPlan(groups, matching, legacy_trainable, transforms)
