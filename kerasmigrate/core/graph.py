"""The node graph Keras 3 builds from a Functional config, and what follows from it.

Keras 3 orders a Functional's layers by its `map_graph` (keras/src/ops/function.py):
decreasing depth from the outputs, ties broken by first traversal. Output masks
that Keras 3 computes with keras.ops calls add op nodes to that graph and so to
the depths; merges of masked inputs compute masks differently from Keras 2.
Used by the weight layout (where each weight goes), the upgrade checks and the
Keras 3 release targets.
"""

from __future__ import annotations

from kerasmigrate.core.configs import is_op_entry, model_layers
from kerasmigrate.core.keras3 import TABLE


class LayoutError(Exception):
    """A model that the Keras 3 layout cannot be derived for (reported with the file)."""


def tensor_refs(value, out: list) -> list:
    """Keras tensor references in `value`, in keras.tree.flatten order (dict keys sorted)."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            out.append(tuple(value["config"]["keras_history"]))
        else:
            for key in sorted(value):
                tensor_refs(value[key], out)
    elif isinstance(value, (list, tuple)):
        for v in value:
            tensor_refs(v, out)
    return out


def io_refs(refs) -> list[tuple]:
    if isinstance(refs, list) and len(refs) == 3 and isinstance(refs[0], str):
        return [tuple(refs)]
    if isinstance(refs, dict):
        return [r for key in sorted(refs) for r in io_refs(refs[key])]
    return [r for ref in refs for r in io_refs(ref)]


# Output masks that Keras 3 computes with ops (keras.ops calls in `compute_mask`),
# as the chain of op nodes between the mask's source and its consumers; those
# op nodes count in `map_graph`'s depths. keras/src/layers/core/embedding.py
# (not_equal), keras/src/layers/core/masking.py (not_equal, any),
# keras/src/layers/merging/base_merge.py (logical_or of the masks, None if an
# input is unmasked), keras/src/layers/merging/concatenate.py (per input
# logical_or(expand_dims(mask), zeros_like(input)) or ones_like(input), then
# concatenate, any).
RECURRENT_MASK_CLASSES = {"LSTM", "GRU", "SimpleRNN", "RNN", "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "Bidirectional"}
MERGE_MASK_CLASSES = {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"}
PASS_THROUGH_MASK_CLASSES = {"Attention", "AdditiveAttention"}  # the query's mask


def layer_spec(layer: dict):
    """The Keras 3 class table entry of a layer entry; None for keras.ops nodes and unknown classes."""
    return None if is_op_entry(layer) else TABLE.classes.get(layer["class_name"])


def passes_input_mask(layer: dict) -> bool:
    """The output carries the (first) input's mask unchanged: the base `compute_mask`
    of a masking-aware layer, or attention's query mask."""
    spec = layer_spec(layer)
    return layer["class_name"] in PASS_THROUGH_MASK_CLASSES or (
        spec is not None and spec.supports_masking and not spec.own_compute_mask
    )


class FunctionalGraph:
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
        node = nodes[index]
        if not isinstance(node, dict):
            raise LayoutError(f"layer {name!r}: call #{index} is not a Keras 3 node (a legacy node list?)")
        return node

    def first_arg_tensors(self, key) -> list:
        node = self._node(key)
        if not node:
            return []
        return tensor_refs(node.get("args", [])[:1], [])

    def mask_of(self, key):
        """The node whose output is the mask of this layer node's output, or None."""
        if key[0] == "#op" or self._node(key) is None or is_op_entry(self.layers[key[0]]):
            return None  # keras.ops nodes carry no masks
        if key in self._masks:
            return self._masks[key]
        self._masks[key] = None  # guards against cycles while computing
        layer = self.layers[key[0]]
        cls, config = layer["class_name"], layer["config"]
        inputs = [(t[0], t[1]) for t in self.first_arg_tensors(key)]
        in_masks = [self.mask_of(t) for t in inputs]
        mask = None
        if cls == "Embedding":
            mask = self._op(inputs) if config.get("mask_zero") else None
        elif cls == "Masking":
            mask = self._op([self._op(inputs)])
        elif cls in RECURRENT_MASK_CLASSES:
            returns_sequences = (
                config.get("layer", {}).get("config", config) if cls == "Bidirectional" else config
            ).get("return_sequences")
            mask = in_masks[0] if in_masks and returns_sequences else None
        elif cls in MERGE_MASK_CLASSES and in_masks and all(in_masks):
            mask = in_masks[0]
            for m in in_masks[1:]:
                mask = self._op([mask, m])
            self._values[mask] = self._merged_value(in_masks, inputs, mask)
        elif cls == "Concatenate" and any(in_masks):
            parts = [self._op([self._op([m]), self._op([i])]) if m else self._op([i]) for i, m in zip(inputs, in_masks)]
            mask = self._op([self._op(parts)])
            self._values[mask] = self._merged_value(in_masks, inputs, mask)
        elif passes_input_mask(layer):
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
                    for t in self.first_arg_tensors(key) if self._node(key) else []:
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
        args = [(t[0], t[1]) for t in tensor_refs(node.get("args", []), [])]
        kwargs = node.get("kwargs", {})
        spec = layer_spec(self.layers[key[0]])
        extra = {}
        if spec is not None and spec.call_takes_mask and "mask" not in kwargs:
            masks = [self.mask_of((t[0], t[1])) for t in self.first_arg_tensors(key)]
            if any(masks):
                extra["mask"] = [m for m in masks if m]
        ordered = []
        for k in sorted(set(kwargs) | set(extra)):  # keras.tree.flatten sorts dict keys
            if k in extra:
                ordered.extend(extra[k])
            else:
                ordered.extend((t[0], t[1]) for t in tensor_refs(kwargs[k], []))
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
    graph = FunctionalGraph(model)
    differing = []
    for name, layer in graph.layers.items():
        if layer["class_name"] not in MERGE_MASK_CLASSES | {"Concatenate"} or is_op_entry(layer):
            continue
        for index in range(len(layer.get("inbound_nodes") or [])):
            masks = [graph.mask_of((t[0], t[1])) for t in graph.first_arg_tensors((name, index))]
            if any(masks) and len({graph.mask_value(m) for m in masks}) > 1:
                differing.append(name)
    if not differing:
        return
    consumers = {}
    for name, layer in graph.layers.items():
        spec = layer_spec(layer)
        if spec is None or not spec.call_takes_mask:
            continue
        for index in range(len(layer.get("inbound_nodes") or [])):
            for t in graph.first_arg_tensors((name, index)):
                if mask_comes_from(graph, (t[0], t[1]), set(differing)):
                    consumers.setdefault(name, None)
    if consumers:
        raise MaskSemanticsError(
            f"merge layer(s) {', '.join(differing)} combine differently masked inputs, and "
            f"{', '.join(consumers)} use(s) the merged mask: Keras 3 merges masks with OR where "
            "Keras 2 used AND, so the converted model would compute other outputs"
        )


def mask_comes_from(graph: FunctionalGraph, key, merges: set) -> bool:
    """Whether the mask of this tensor is the one a merge in `merges` produced (passed along)."""
    seen = set()
    while key is not None and key not in seen and key[0] != "#op":
        seen.add(key)
        if key[0] in merges:
            return True
        layer = graph.layers[key[0]]
        passes_mask = layer["class_name"] in RECURRENT_MASK_CLASSES or passes_input_mask(layer)
        if is_op_entry(layer) or not passes_mask or graph.mask_of(key) is None:
            return False
        inputs = graph.first_arg_tensors(key)
        key = (inputs[0][0], inputs[0][1]) if inputs else None
    return False


def functional_layer_order(model: dict) -> list[dict]:
    """Keras 3 `Functional.layers` for a converted config (a port of `map_graph`)."""
    config = model["config"]
    graph = FunctionalGraph(model)
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

    for ref in io_refs(config["output_layers"]):
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
    for ref in io_refs(config["input_layers"]):
        name = ref[0]
        if name not in op_depth and layers[name]["class_name"] == "InputLayer":
            op_depth[name] = 0
            op_index[name] = -1

    order = sorted(
        (op for op in op_depth if isinstance(op, str) and not is_op_entry(layers[op])),
        key=lambda n: (-op_depth[n], op_index[n]),
    )
    return [layers[name] for name in order]


def keras3_model_layers(model: dict) -> list[dict]:
    if model["class_name"] == "Sequential":
        layers = model_layers(model)
        if layers and layers[0].get("class_name") == "InputLayer":
            return layers[1:]
        return layers
    return functional_layer_order(model)
