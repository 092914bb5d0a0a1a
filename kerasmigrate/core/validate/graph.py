"""The references of a functional model: layer names, node indices, and no cycle.

Inbound nodes come in two forms: lists of `[layer name, node index, tensor index(, kwargs)]`
(Keras 1/2, tf.keras) and Keras 3 node dicts holding `__keras_tensor__` objects with a
`keras_history`. Each reference must name a layer of the same model and a call it has.
"""

from __future__ import annotations

from kerasmigrate.core.configs import MODEL_CLASSES
from kerasmigrate.core.validate.kinds import Refusal, check_name, declared_name, depth_first, is_integer, json_children

Ref = tuple[str, int, int]


def is_ref(value) -> bool:
    """`[layer name, node index, tensor index]`, with call arguments as a fourth item or not."""
    return (
        isinstance(value, list)
        and len(value) in (3, 4)
        and isinstance(value[0], str)
        and is_integer(value[1])
        and is_integer(value[2])
    )


def _keras_tensor_ref(item: dict, label: str) -> Ref:
    config = item.get("config")
    history = config.get("keras_history") if isinstance(config, dict) else None
    if not (isinstance(history, list) and len(history) == 3 and is_ref(history)):
        raise Refusal(f"{label}: a tensor has no readable keras_history")
    return tuple(history)


def _is_keras_tensor(item) -> bool:
    return isinstance(item, dict) and item.get("class_name") == "__keras_tensor__"


def _is_plain_ref(value) -> bool:
    return is_ref(value) and len(value) == 3


def _keyword_children(value):
    return () if _is_plain_ref(value) else json_children(value)


def _keyword_refs(kwargs) -> list[Ref]:
    """Tensors passed as keyword arguments (TF-op layers): references anywhere in the kwargs."""
    return [tuple(v) for v in depth_first(kwargs, _keyword_children) if _is_plain_ref(v)]


def _node_children(value):
    return () if _is_keras_tensor(value) else json_children(value)


def node_refs(node, label: str) -> list[Ref]:
    """Tensor references of one inbound node (legacy list form or Keras 3 dict form)."""
    if isinstance(node, dict):
        return [_keras_tensor_ref(v, label) for v in depth_first(node, _node_children) if _is_keras_tensor(v)]
    if not isinstance(node, list):
        raise Refusal(f"{label}: an inbound node must be a list, found {type(node).__name__}")
    if node and isinstance(node[0], str):
        node = [node]  # tf.keras >= 2.4: a single tensor, unwrapped
    refs: list[Ref] = []
    for item in node:
        if not is_ref(item):
            raise Refusal(f"{label}: inbound node entry {item!r:.80} is not [layer name, node index, tensor index]")
        if len(item) == 4 and not isinstance(item[3], (dict, type(None))):
            raise Refusal(f"{label}: the call arguments of inbound node entry {item[:3]!r} must be an object")
        refs.append((item[0], item[1], item[2]))
        if len(item) == 4 and item[3]:
            refs.extend(_keyword_refs(item[3]))
    return refs


def _looks_like_ref(value) -> bool:
    return isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)


def _io_children(value):
    return () if _looks_like_ref(value) else json_children(value)


def io_refs(value, label: str, key: str) -> list[Ref]:
    """The references of `input_layers` / `output_layers`, however nested."""
    refs: list[Ref] = []
    for item in depth_first(value, _io_children):
        if _looks_like_ref(item):
            if not (is_integer(item[1]) and is_integer(item[2])):
                raise Refusal(f"{label}: '{key}' entry {item!r:.80} is not [layer name, node index, tensor index]")
            refs.append(tuple(item))
        elif not isinstance(item, (dict, list)):
            raise Refusal(f"{label}: '{key}' holds {item!r:.60}, not [layer name, node index, tensor index]")
    return refs


def _layers_by_name(layers: list, label: str) -> dict[str, dict]:
    by_name: dict[str, dict] = {}
    for layer in layers:
        name = check_name(layer.get("name", declared_name(layer)), f"{label}: a layer entry ({layer['class_name']})")
        if name in by_name:
            raise Refusal(f"{label}: two layers are named {name!r}")
        by_name[name] = layer
    return by_name


def _nodes_of(by_name: dict[str, dict]) -> dict[str, list[list[Ref]]]:
    nodes_of = {}
    for name, layer in by_name.items():
        nodes = layer.get("inbound_nodes")
        if nodes is None:
            nodes = []
        if not isinstance(nodes, list):
            raise Refusal(f"layer {name!r}: 'inbound_nodes' must be a list, found {type(nodes).__name__}")
        nodes_of[name] = [node_refs(node, f"layer {name!r}") for node in nodes]
    return nodes_of


def _check_targets(refs: list[Ref], by_name: dict, nodes_of: dict, label: str) -> None:
    """Every reference names a layer of the model and one of its calls.

    Nested models: legacy writers number their calls from 0 or 1 (passes/upgrade/functional_nodes.py),
    Keras 3 configs from 0 in nodes and from 1 in input/output references: an index may be one past
    the calls. Any other layer is called as often as it has inbound nodes (an InputLayer has node 0).
    """
    indices_of: dict[str, list[int]] = {}
    for ref in refs:
        name, node_index, tensor_index = ref
        if name not in by_name:
            raise Refusal(f"{label}: a node refers to layer {name!r}, which the model does not have")
        if node_index < 0 or tensor_index < 0:
            raise Refusal(f"{label}: reference {list(ref)!r} has a negative index")
        indices_of.setdefault(name, []).append(node_index)
    for name, indices in indices_of.items():
        calls = len(nodes_of[name])
        limit = calls + 1 if by_name[name]["class_name"] in MODEL_CLASSES else max(calls, 1)
        bad = sorted({i for i in indices if i >= limit})
        if bad:
            raise Refusal(f"layer {name!r}: referenced with node index {bad[0]}, but it is called {calls} time(s)")


def _node_shifts(by_name: dict, nodes_of: dict, refs: list[Ref]) -> dict[str, int]:
    """For each nested model of a legacy config, whether its node indices count from 1 or 0."""
    shift = {}
    for name, layer in by_name.items():
        if layer["class_name"] in MODEL_CLASSES:
            used = [r[1] for r in refs if r[0] == name]
            calls = len(nodes_of[name])
            fits = [s for s in (1, 0) if all(s <= i < calls + s for i in used)]
            shift[name] = fits[0] if fits else 0
    return shift


def _check_acyclic(nodes_of: dict, shift: dict[str, int], label: str) -> None:
    """No node depends on itself through other nodes (iterative depth-first search)."""
    state: dict[tuple[str, int], int] = {}  # 1: on the current path, 2: done
    for start in [(n, i) for n, nodes in nodes_of.items() for i in range(len(nodes))]:
        if start in state:
            continue
        todo = [(start, False)]
        while todo:
            key, done = todo.pop()
            if done:
                state[key] = 2
                continue
            if state.get(key) == 2:
                continue
            state[key] = 1
            todo.append((key, True))
            name, index = key
            for parent, node_index, _ in nodes_of[name][index] if index < len(nodes_of[name]) else []:
                parent_key = (parent, node_index - shift.get(parent, 0))
                if parent_key[1] >= len(nodes_of[parent]):
                    continue  # a nested model's construction node: it has no inputs
                if state.get(parent_key) == 1:
                    raise Refusal(f"{label}: the graph has a cycle through layer {parent!r}")
                if state.get(parent_key) != 2:
                    todo.append((parent_key, False))


def check_graph(config: dict, label: str) -> None:
    """References of a functional model: layer names, node indices, and no cycle."""
    layers = config["layers"]
    by_name = _layers_by_name(layers, label)
    nodes_of = _nodes_of(by_name)
    io = {key: io_refs(config.get(key, []), label, key) for key in ("input_layers", "output_layers")}
    if not io["output_layers"]:
        raise Refusal(f"{label}: 'output_layers' names no output")
    all_node_refs = [r for nodes in nodes_of.values() for node in nodes for r in node]
    _check_targets(all_node_refs + io["input_layers"] + io["output_layers"], by_name, nodes_of, label)
    keras3_form = any(isinstance(node, dict) for layer in layers for node in layer.get("inbound_nodes") or [])
    shift = {} if keras3_form else _node_shifts(by_name, nodes_of, all_node_refs)
    _check_acyclic(nodes_of, shift, label)
