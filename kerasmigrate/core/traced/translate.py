"""A flat traced graph (inline.py) as a Functional config: one layer or `keras.ops` node per op
(or per fused pattern: MatMul + BiasAdd + activation is one Dense), nodes in the Keras 3 form
(`{"args", "kwargs"}` with `__keras_tensor__` entries, keras/src/models/functional.py
`serialize_node`), and per layer the checkpoint weights it takes, in the legacy order.

The op table is op_table.py; this module walks the graph, names the layers, counts each
tensor's consumers (a pattern is fused only when its inner tensors have no other use) and
writes constants inline (small ones; a larger constant operand is refused).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from kerasmigrate.core.traced.inline import Arg, Const, Dims, Op, Out, Read, TracedRefusal, Variable
from kerasmigrate.core.weight_ref import WeightRef

INLINE_CONSTANT_LIMIT = 64  # elements: larger constants are refused rather than written into the config
TF_FLOAT_DTYPES = {1: "float32", 2: "float64", 19: "float16", 3: "int32", 9: "int64", 10: "bool"}


@dataclass(frozen=True)
class VariableInfo:
    """A captured variable: its name, checkpoint key, shape and dtype."""

    name: str
    key: str
    shape: tuple
    dtype: str


def keras_tensor(name: str, index: int = 0) -> dict:
    return {
        "class_name": "__keras_tensor__",
        "config": {"shape": [], "dtype": "float32", "keras_history": [name, 0, index]},
    }


@dataclass
class Graph:
    """What translating one function builds."""

    variables: Callable[[int], VariableInfo]
    layers: list[dict] = field(default_factory=list)
    weights: dict[str, list[WeightRef]] = field(default_factory=dict)
    transposed: dict[str, str] = field(default_factory=dict)  # dataset path -> checkpoint key (read transposed)
    tensors: dict = field(default_factory=dict)  # (id(op) | ("arg", i), index) -> keras tensor
    consumers: dict = field(default_factory=dict)  # (id(op), index) -> [ops]
    absorbed: set = field(default_factory=set)  # ids of ops a pattern took in
    names: set = field(default_factory=set)
    inputs: list = field(default_factory=list)  # input layer names, in order
    sources: dict = field(default_factory=dict)  # layer name -> (function, scope) it came from
    uses: dict = field(default_factory=dict)  # checkpoint key -> how many layers take a copy of it

    def shared(self) -> list[str]:
        """Variables several translated layers use: each gets its own copy."""
        return sorted(key for key, count in self.uses.items() if count > 1)

    def unique(self, wanted: str) -> str:
        base = re.sub(r"[^A-Za-z0-9_.\-]", "_", wanted) or "op"
        name, i = base, 0
        while name in self.names:
            i += 1
            name = f"{base}_{i}"
        self.names.add(name)
        return name

    def users(self, value) -> list[Op]:
        return self.consumers.get((id(value.op), value.index), []) if isinstance(value, Out) else []

    def only_user(self, value, op_names: set[str]) -> Op | None:
        """The one op reading `value`, if it is one of `op_names` (a pattern may take it in)."""
        users = self.users(value)
        return users[0] if len(users) == 1 and users[0].op in op_names else None

    def tensor(self, value, op: Op) -> dict:
        """The Keras tensor a value is; refused for what is not a layer output."""
        if isinstance(value, Arg):
            return self.tensors[("arg", value.index)]
        if isinstance(value, Out) and (id(value.op), value.index) in self.tensors:
            return self.tensors[(id(value.op), value.index)]
        raise TracedRefusal(
            f"reads {_what(value)} where a tensor is expected", op=op.op, function=op.function, scope=op.scope
        )

    def operand(self, value, op: Op):
        """A tensor, or a constant written inline (a number or nested list)."""
        if isinstance(value, Const):
            if value.value.size > INLINE_CONSTANT_LIMIT:
                raise TracedRefusal(
                    f"has a constant operand of {value.value.size} elements (more than {INLINE_CONSTANT_LIMIT})",
                    op=op.op,
                    function=op.function,
                    scope=op.scope,
                )
            return value.value.tolist()
        return self.tensor(value, op)

    def constant(self, value, op: Op, what: str):
        if isinstance(value, Const):
            return value.value.tolist()
        if isinstance(value, Dims):
            return list(value.values)
        raise TracedRefusal(f"takes its {what} from a computed tensor", op=op.op, function=op.function, scope=op.scope)

    def weight(self, value, op: Op, layer: str, var: str, transpose: bool = False) -> WeightRef:
        if not isinstance(value, Read):
            raise TracedRefusal(
                f"takes its {var} from {_what(value)}, not a variable", op=op.op, function=op.function, scope=op.scope
            )
        info = self.variables(value.node_id)
        shape, path = info.shape, info.key
        if transpose:
            shape, path = tuple(reversed(shape)), f"{info.key}#transposed"
            self.transposed[path] = info.key
        self.uses[info.key] = self.uses.get(info.key, 0) + 1
        ref = WeightRef(f"{layer}/{var}:0", path, shape, info.dtype)
        self.weights.setdefault(layer, []).append(ref)
        return ref

    def add_layer(
        self, op: Op, class_name: str, config: dict, inputs: list, outputs: list[Out], module: str = ""
    ) -> str:
        """A layer (or, with `module`, a keras.ops node) called once on `inputs`; `outputs` are the
        values it gives, in order."""
        name = config.get("name") or self.unique(_layer_name(op, class_name))
        entry = {"class_name": class_name, "config": {**config, "name": name}, "name": name}
        if module:
            entry.update(module=module, registered_name=class_name)
        args = inputs if module else ([inputs[0]] if len(inputs) == 1 else [inputs])
        entry["inbound_nodes"] = [{"args": args, "kwargs": {}}]
        self.layers.append(entry)
        self.sources[name] = (op.function, op.scope)
        for i, out in enumerate(outputs):
            self.tensors[(id(out.op), out.index)] = keras_tensor(name, i)
        return name


def _what(value) -> str:
    if isinstance(value, Read):
        return "a variable"
    if isinstance(value, Variable):
        return "a variable's handle (not its value)"
    if isinstance(value, (Const, Dims)):
        return "a constant"
    if isinstance(value, Out):
        return f"the output of {value.op.op} {value.op.name!r}, which has no translation"
    return "a value"


def owner_name(op: Op) -> str:
    """The layer an op belongs to: the scope of its node name (`head/MatMul` -> head, where a
    model's function holds its layers' ops, TF 2.2), else the layer function it was traced in."""
    if "/" in op.name:
        return op.name.rsplit("/", 2)[-2]
    return op.scope.rsplit("/", 1)[-1]


def _layer_name(op: Op, class_name: str) -> str:
    """Built-in layers are named after the layer object they were traced in (`dense`);
    ops after their node."""
    layer = op.scope.rsplit("/", 1)[-1]
    if class_name in ("Dense", "Conv2D", "BatchNormalization", "DepthwiseConv2D") and layer:
        return layer
    return f"{layer}_{op.name}" if layer else op.name


def reachable(outputs: list) -> list[Op]:
    """The ops the outputs depend on, inputs before users."""
    seen: dict[int, Op] = {}
    order: list[Op] = []
    stack = [(v.op, False) for v in reversed(outputs) if isinstance(v, Out)]
    while stack:
        op, expanded = stack.pop()
        if expanded:
            if id(op) not in seen:
                seen[id(op)] = op
                order.append(op)
            continue
        if id(op) in seen:
            continue
        stack.append((op, True))
        stack.extend((v.op, False) for v in reversed(op.inputs) if isinstance(v, Out) and id(v.op) not in seen)
    return order


def count_consumers(graph: Graph, ops: list[Op], outputs: list) -> None:
    for op in ops:
        for value in op.inputs:
            if isinstance(value, Out):
                graph.consumers.setdefault((id(value.op), value.index), []).append(op)
    for value in outputs:
        if isinstance(value, Out):  # a model output is a use no pattern may absorb
            graph.consumers.setdefault((id(value.op), value.index), []).append(OUTPUT)


OUTPUT = Op("<model output>", [], {}, "", "", "")  # the use a model output is


def input_layer(graph: Graph, index: int, name: str, shape: list | None, dtype: int) -> None:
    if shape is None:
        raise TracedRefusal(f"input {name!r} has an unknown rank")
    layer = graph.unique(name or f"input_{index + 1}")
    dims = [None if d < 0 else d for d in shape]
    graph.layers.append(
        {
            "class_name": "InputLayer",
            "config": {
                "batch_input_shape": dims,
                "dtype": TF_FLOAT_DTYPES.get(dtype, "float32"),
                "sparse": False,
                "ragged": False,
                "name": layer,
            },
            "name": layer,
            "inbound_nodes": [],
        }
    )
    graph.inputs.append(layer)
    graph.tensors[("arg", index)] = keras_tensor(layer)


def functional_config(graph: Graph, name: str, outputs: list) -> dict:
    refs = []
    for value in outputs:
        tensor = graph.tensor(value, OUTPUT) if isinstance(value, (Arg, Out)) else None
        if tensor is None:
            raise TracedRefusal("returns a constant or a variable, not a computed tensor")
        refs.append(tensor["config"]["keras_history"])
    inputs = [[n, 0, 0] for n in graph.inputs]
    return {
        "class_name": "Functional",
        "config": {
            "name": name,
            "layers": graph.layers,
            # one input or output: the bare reference, as Keras 3 writes it (passes/upgrade/functional_nodes.py)
            "input_layers": inputs[0] if len(inputs) == 1 else inputs,
            "output_layers": refs[0] if len(refs) == 1 else refs,
        },
    }


def read_transposed(array: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(array.T)
