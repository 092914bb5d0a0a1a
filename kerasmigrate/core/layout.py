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

from kerasmigrate.core.configs import model_layers
from kerasmigrate.core.graph import LayoutError, keras3_model_layers
from kerasmigrate.core.keras3 import TABLE, LayoutEntry, VariableSpec
from kerasmigrate.core.reader import WeightRef

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
# Bookkeeping key a pass leaves on a layer entry whose stored weights are to be scaled
# while writing: {Keras 3 variable name: [factor, parts, [indices of the scaled parts]]},
# the parts being equal slices of the variable's last axis (passes/upgrade/hard_sigmoid_fold.py).
SCALE_KEY = "_km_scale"
# Bookkeeping key a pass leaves on a layer it replaced by what the old one computed at inference
# (an augmentation layer Keras 3 lacks or runs otherwise): the old class name, for the report.
INFERENCE_ONLY_KEY = "_km_inference_only"
# Bookkeeping keys of `--channels-last` (passes/channels_last/): on a Dense whose kernel rows
# are to be reordered from C·S to S·C while writing, the channel count C; on a Permute the
# pass inserted, True (the top-model pass may take such Permutes out at inputs and outputs);
# on a layer made channels_last, True (its stored weights are read as channels_first ones).
ROWS_CHANNELS_FIRST_KEY = "_km_rows_channels_first"
INSERTED_PERMUTE_KEY = "_km_inserted_permute"
STORED_CHANNELS_FIRST_KEY = "_km_stored_channels_first"
# On the top model with `--channels-last=io`: {"inputs": [...], "outputs": [...]}, per model
# input and output the axes `a` such that it is now transpose(original, a) (None: unchanged).
IO_AXES_KEY = "_km_io_axes"

# Lookup layers in "tf_idf" mode store their IDF weights by name, outside the
# tracked variables; TextVectorization stores them twice, for itself and for its
# inner lookup layer (keras/src/layers/preprocessing/index_lookup.py and
# text_vectorization.py `save_own_variables`). Legacy writers store one variable.
TF_IDF_CLASSES = {"StringLookup", "IntegerLookup", "TextVectorization"}


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
    copy_of: Slot | None = None  # written with the value of another slot of the same layer
    scale: tuple | None = None  # (factor, parts, indices) from the entry's SCALE_KEY, applied while writing
    config: dict | None = None  # the config of the layer that creates the variable (for shape checks)


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
        return sum(s.ref.nbytes for g in self.groups for s in g.slots if s.ref is not None and s.copy_of is None)

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
# Slots
# ---------------------------------------------------------------------------


def config_name(entry: dict) -> str:
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


def _scale_of(entry: dict, var_name: str) -> tuple | None:
    rule = (entry.get(SCALE_KEY) or {}).get(var_name)
    if rule is None:
        return None
    factor, parts, indices = rule
    return (float(factor), int(parts), tuple(int(i) for i in indices))


def unique_name(name: str, used: dict[str, int]) -> str:
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
        return [("forward_layer", _renamed(forward, "forward_")), ("backward_layer", _renamed(backward, "backward_"))]
    if cls == "TimeDistributed":
        return [("layer", config["layer"])]
    if cls == "RNN":
        return [("cell", config["cell"])]
    if cls == "StackedRNNCells":
        used: dict[str, int] = {}
        return [(f"cells/{unique_name(TABLE.classes[c['class_name']].snake_name, used)}", c) for c in config["cells"]]
    return []


def _renamed(entry: dict, prefix: str) -> dict:
    # Keras 3 Bidirectional names its copies forward_<name> / backward_<name>.
    name = entry["config"]["name"]
    for old in ("forward_", "backward_"):
        if name.startswith(old):
            name = name[len(old) :]
    return {**entry, "config": {**entry["config"], "name": prefix + name}}


def _own_slots(entry: dict, path: str, trainable: bool, owner: str, groups: list[VarsGroup], key: tuple) -> list[Slot]:
    class_name = entry["class_name"]
    config = entry["config"]
    spec = TABLE.classes.get(class_name)
    if spec is None:
        raise LayoutError(f"no Keras 3 weight layout is known for class {class_name!r}")
    layout = spec.layout
    if LAYOUT_KEY in entry:  # measured on the user's own class, for this layer
        layout = tuple(
            LayoutEntry(p, tuple(VariableSpec(n, bool(t)) for n, t in variables), name)
            for p, variables, name in entry[LAYOUT_KEY]
        )
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
        present = (
            {v.name for v in layout_entry.variables}
            if LAYOUT_KEY in entry
            else _present_variables(class_name, config, [v.name for v in layout_entry.variables])
        )
        for var_index, var in enumerate(layout_entry.variables):
            if var.name in present:
                slot = Slot(
                    vars_path,
                    var.name,
                    owner,
                    class_name,
                    trainable and var.trainable,
                    sub_name if layout_entry.path else config["name"],
                    keras3_key=key + (0, entry_index, var_index),
                    scale=_scale_of(entry, var.name),
                    config=config,
                )
                group.slots.append(slot)
                slots.append(slot)
        if class_name in TF_IDF_CLASSES and config.get("output_mode") in ("tf_idf", "tf-idf"):
            first = next((s for s in slots if s.store_key == "idf_weights"), None)
            slot = Slot(
                vars_path,
                "idf_weights",
                owner,
                class_name,
                False,
                config["name"],
                store_key="idf_weights",
                copy_of=first,
            )
            group.slots.append(slot)
            slots.append(slot)
        groups.append(group)
    return slots


def layer_groups(
    entry: dict, path: str, trainable: bool, groups: list[VarsGroup], owner: str | None = None, key: tuple = ()
) -> list[Slot]:
    """Vars groups of one layer (recursing into models and composites); its slots in legacy order."""
    class_name = entry["class_name"]
    config = entry["config"]
    trainable = trainable and config.get("trainable", True) is not False
    if class_name in MODEL_SNAKE:
        groups.append(VarsGroup(f"{path}/vars" if path else "vars", config_name(entry)))
        used: dict[str, int] = {}
        children = []
        for index, layer in enumerate(keras3_model_layers(entry)):
            snake = MODEL_SNAKE.get(layer["class_name"]) or TABLE.classes[layer["class_name"]].snake_name
            child_path = f"{path}/layers/{unique_name(snake, used)}" if path else f"layers/{unique_name(snake, used)}"
            children.append((layer, child_path, key + (1, index)))
        # Legacy order follows the config's layer order, Keras 3 paths follow its own order.
        by_name = {config_name(layer): (layer, p, k) for layer, p, k in children}
        slots: list[Slot] = []
        for layer in model_layers(entry):
            if config_name(layer) in by_name:
                child, child_path, child_key = by_name[config_name(layer)]
                slots.extend(layer_groups(child, child_path, trainable, groups, key=child_key))
        return [s for s in slots if s.trainable] + [s for s in slots if not s.trainable]
    owner = owner or legacy_name(entry)
    slots = _own_slots(entry, path, trainable, owner, groups, key)
    for child_index, (rel, child) in enumerate(_children(entry)):
        slots.extend(layer_groups(child, f"{path}/{rel}", trainable, groups, owner, key + (1 + child_index,)))
    # A legacy layer lists its own trainable variables before its non-trainable ones.
    return [s for s in slots if s.trainable] + [s for s in slots if not s.trainable]


def _contains(parts: list[str], sub: list[str]) -> bool:
    return any(parts[i : i + len(sub)] == sub for i in range(len(parts) - len(sub) + 1))


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
            candidates = [i for i in candidates if _contains(ref.components[:-1], slots[i].sub_name.split("/"))]
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
    groups.append(VarsGroup("vars", config_name(model)))
    used: dict[str, int] = {}
    trainable = model["config"].get("trainable", True) is not False
    slots_by_layer: dict[str, list[Slot]] = {}
    for index, layer in enumerate(keras3_model_layers(model)):
        snake = MODEL_SNAKE.get(layer["class_name"]) or TABLE.classes[layer["class_name"]].snake_name
        slots = layer_groups(layer, f"layers/{unique_name(snake, used)}", trainable, groups, key=(1, index))
        slots_by_layer[config_name(layer)] = slots
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
                    f"{len(slots)} ({', '.join(f'{s.owner}/{s.var_name}' for s in slots) or 'none'})"
                )
            pairs = list(zip(slots, refs))
            how = "order"
        for slot, ref in pairs:
            slot.ref = ref
        for slot in copies:
            slot.ref = slot.copy_of.ref
        matching[name] = how
    legacy_trainable = [
        s for layer in model_layers(model) for s in slots_by_layer.get(config_name(layer), []) if s.trainable
    ]
    return WeightPlan(groups, matching, legacy_trainable, transforms)
