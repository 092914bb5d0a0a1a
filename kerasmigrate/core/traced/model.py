"""The entries core/savedmodel.py calls: a subclassed model, or a layer saved without a config
inside a Functional model, translated from its traced inference function.

Which function: the object's `call_and_return_conditional_losses` (under `keras_api`, or
`call_and_return_all_conditional_losses` on the object), a SavedFunction whose concrete
functions record their input signature `((inputs, …), {"training": …})` — the one traced with
training=False (or without a training argument) is the inference computation
(tf_keras/saving/legacy/saved_model/save_impl.py `wrap_layer_functions`; its outputs are
`(outputs, losses)`). Its captured inputs are bound to the variables of
SavedConcreteFunction.bound_inputs; each variable's checkpoint key comes from the paired
checkpoint object graph (core/savedmodel_graph.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kerasmigrate.core.savedmodel_graph import Node
from kerasmigrate.core.savedmodel_weights import VARIABLE_VALUE, Graphs
from kerasmigrate.core.tensor_bundle import DTYPES
from kerasmigrate.core.traced.inline import Arg, Inliner, TracedRefusal, Variable
from kerasmigrate.core.traced.library import ConcreteFunction, Library, TensorSpec, read_library
from kerasmigrate.core.traced.op_table import TABLE, translate_op
from kerasmigrate.core.traced.translate import (
    OUTPUT,
    Graph,
    VariableInfo,
    count_consumers,
    functional_config,
    input_layer,
    keras_tensor,
    reachable,
)
from kerasmigrate.core.weight_ref import WeightRef

CALL_FUNCTIONS = ("call_and_return_conditional_losses", "call_and_return_all_conditional_losses")
INFERENCE_NOTE = (
    "translated from the functions TensorFlow traced at saving (no Keras config): {what}; the result is "
    "the inference computation (training=False: no dropout, no regularization losses)"
)


@dataclass
class Translated:
    config: dict
    layer_names: list[str]
    weights: dict[str, list[WeightRef]]
    transposed: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    parts: list[dict] = field(default_factory=list)  # what came from traced functions: part(...) each


def part(name: str, class_name: str, whole_model: bool) -> dict:
    """One object translated from its traced inference function (for the report and `inspect`)."""
    return {"object": name, "class_name": class_name, "whole_model": whole_model, "computation": "inference"}


def _flatten(structure) -> list:
    if isinstance(structure, (list, tuple)):
        return [x for item in structure for x in _flatten(item)]
    if isinstance(structure, dict):
        return [x for key in sorted(structure) for x in _flatten(structure[key])]
    return [structure]


def _training(function: ConcreteFunction):
    if "training" in function.kwargs:
        return function.kwargs["training"]
    return function.args[1] if len(function.args) > 1 and isinstance(function.args[1], bool) else None


def inference_function(library: Library, nodes: list[Node], node_id: int) -> ConcreteFunction:
    """The concrete function an object computes at inference."""
    node = nodes[node_id]
    keras_api = node.child("keras_api")
    holders = [nodes[keras_api].child(CALL_FUNCTIONS[0])] if keras_api is not None else []
    holders += [node.child(name) for name in CALL_FUNCTIONS]
    for holder in holders:
        names = library.object_functions.get(holder, []) if holder is not None else []
        functions = [library.concrete[n] for n in names if n in library.concrete]
        for function in sorted(functions, key=lambda f: _training(f) is not False):
            if _training(function) is not True:
                return function
    raise TracedRefusal("records no inference function (call_and_return_conditional_losses with training=False)")


def _variables(graphs: Graphs):
    def info(node_id: int) -> VariableInfo:
        saved = graphs.saved[node_id] if 0 <= node_id < len(graphs.saved) else None
        ck_id = graphs.pairs.get(node_id)
        attrs = graphs.checkpoint[ck_id].attributes if ck_id is not None else {}
        if saved is None or saved.variable_name is None or VARIABLE_VALUE not in attrs:
            raise TracedRefusal(f"captures object {node_id}, which is not a variable with a checkpoint value")
        full_name, key = attrs[VARIABLE_VALUE]
        entry = graphs.bundle.entries.get(key)
        if entry is None or entry.numpy_dtype is None:
            raise TracedRefusal(f"captures variable {saved.variable_name or full_name}, which the checkpoint lacks")
        return VariableInfo(saved.variable_name or full_name, key, tuple(entry.shape), entry.numpy_dtype)

    return info


def _trace(graphs: Graphs, library: Library, node_id: int, scope: str, graph: Graph, inputs: list | None = None):
    """Inline the object's inference function; its outputs' values. `inputs`: the values its
    tensor inputs are (default: model inputs, as InputLayers)."""
    function = inference_function(library, graphs.saved, node_id)
    specs = _flatten(function.args[:1])
    if not all(isinstance(s, TensorSpec) for s in specs):
        raise TracedRefusal("takes inputs that are not tensors", function=function.name, scope=scope)
    if inputs is None:
        for i, spec in enumerate(specs):
            input_layer(graph, i, spec.name, spec.shape, spec.dtype)
        inputs = [Arg(i, tuple(s.shape)) for i, s in enumerate(specs)]
    captured = [Variable(n) for n in function.bound_inputs]
    inliner = Inliner(library)
    try:
        values = inliner.call(function.name, inputs + captured, scope)
    except TracedRefusal as exc:
        exc.function = exc.function or function.name
        exc.scope = exc.scope or scope
        raise
    outputs = values[: len(_flatten(function.outputs[0] if isinstance(function.outputs, tuple) else function.outputs))]
    ops = reachable(outputs)
    _refuse_unknown_ops(ops)
    count_consumers(graph, ops, outputs)
    for op in ops:
        translate_op(graph, op)
    return outputs


# Control flow ops (tensorflow/core/ops/functional_ops.cc): a loop or a conditional whose body
# is a function of its own. Only a Keras LSTM/GRU layer's loop has a known pattern (recurrent.py,
# recognised by its standard_lstm/standard_gru call before any While is met).
CONTROL_FLOW = {"While", "StatelessWhile", "If", "StatelessIf", "Case", "StatelessCase", "For"}
CONTROL_FLOW_WHY = "is control flow of no known pattern (only a Keras LSTM/GRU layer's loop is translated)"


def untranslatable(ops: list) -> list[tuple[str, str, str]]:
    """The ops of a flat graph without a translation, as (op, function, layer), once each;
    control flow first (it is what stops the translation, what it carries does not matter)."""
    unknown = list(dict.fromkeys((op.op, op.function, op.scope) for op in ops if op.op not in TABLE))
    return sorted(unknown, key=lambda u: u[0] not in CONTROL_FLOW)


def _refuse_unknown_ops(ops: list) -> None:
    """Every op of the inference computation without a translation, named at once (with the
    function and the layer of each), the first one as the refusal's op."""
    unknown = untranslatable(ops)
    if not unknown:
        return
    op, function, scope = unknown[0]
    others = sorted({u[0] for u in unknown[1:]} - {op})
    also = f" (also without one: {', '.join(others)})" if others else ""
    why = f"; it {CONTROL_FLOW_WHY}" if op in CONTROL_FLOW else ""
    raise TracedRefusal(
        f"has no Keras 3 translation{also}{why}", op=op, function=function, scope=scope, unknown=unknown
    )


def translate_subclassed(graphs: Graphs, class_name: str, name: str) -> Translated:
    """A subclassed model as the Functional model its inference function computes."""
    library = read_library(graphs.path)
    graph = Graph(_variables(graphs))
    outputs = _trace(graphs, library, 0, name, graph)
    config = functional_config(graph, name, outputs)
    layer_names = [layer["name"] for layer in graph.layers]
    note = INFERENCE_NOTE.format(what=f"the whole model ({class_name}, {len(layer_names)} layers and ops)")
    parts = [part(name, class_name, whole_model=True)]
    return Translated(config, layer_names, graph.weights, graph.transposed, [note + shared_note(graph)], parts)


def shared_note(graph: Graph) -> str:
    shared = graph.shared()
    if not shared:
        return ""
    return "; variables used by several layers, each given its own copy (no longer tied): " + ", ".join(shared)


def translate_layer(graphs: Graphs, library: Library, node_id: int, entry: dict, taken: set[str]) -> tuple[list, Graph]:
    """A layer saved without a config, called once in a Functional model (legacy node form), as
    the layers its inference function computes; the last one takes the layer's name."""
    name = entry["name"]
    nodes = entry.get("inbound_nodes") or []
    if len(nodes) != 1 or len(nodes[0]) != 1:
        raise TracedRefusal(f"is called {len(nodes)} times or on several tensors", scope=name)
    source, node_index, tensor_index = nodes[0][0][:3]
    graph = Graph(_variables(graphs))
    graph.names |= taken
    graph.tensors[("arg", 0)] = keras_tensor(source, tensor_index)
    graph.tensors[("arg", 0)]["config"]["keras_history"][1] = node_index
    outputs = _trace(graphs, library, node_id, name, graph, [Arg(0)])
    if len(outputs) != 1:
        raise TracedRefusal(f"returns {len(outputs)} tensors", scope=name)
    last = graph.tensor(outputs[0], OUTPUT)["config"]["keras_history"][0]
    _rename(graph, last, name)
    return graph.layers, graph


def _rename(graph: Graph, old: str, new: str) -> None:
    for layer in graph.layers:
        if layer["name"] == old:
            layer["name"] = new
            layer["config"]["name"] = new
        for node in layer["inbound_nodes"]:
            for tensor in _tensors(node):
                if tensor["config"]["keras_history"][0] == old:
                    tensor["config"]["keras_history"][0] = new
    if old in graph.weights:
        graph.weights[new] = [
            WeightRef(r.name.replace(f"{old}/", f"{new}/", 1), r.dataset_path, r.shape, r.dtype)
            for r in graph.weights.pop(old)
        ]


def _tensors(value):
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            yield value
        else:
            for v in value.values():
                yield from _tensors(v)
    elif isinstance(value, list):
        for v in value:
            yield from _tensors(v)


__all__ = ["DTYPES", "Translated", "translate_layer", "translate_subclassed", "inference_function", "TracedRefusal"]
