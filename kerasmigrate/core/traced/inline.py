"""One traced function as a flat graph: nested function calls inlined, identities and control
edges dropped, captured variables resolved to the object graph's variables, and what only
depends on constants and static shapes folded.

Semantics followed (tensorflow/core/ops/*.cc op registrations and their api_def texts):
`StatefulPartitionedCall` / `PartitionedCall` call the function named by their `f` attr on
their inputs and return its outputs (functional_ops.cc); `Identity`, `Snapshot`,
`StopGradient` return their input (array_ops.cc); `ReadVariableOp` the value of the
resource variable it is given (resource_variable_ops.cc); `Const` its `value` attr;
`Shape` the input's shape, `StridedSlice` / `Pack` of shape elements as numpy would
(array_ops.cc). Function inputs and outputs are named as function.proto says: an input
arg name (`x` or `x:0`), or `node:output_arg:index`. A function's captured inputs are its
last inputs, bound in order to the object graph nodes of SavedConcreteFunction.bound_inputs
(saved_object_graph.proto).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from kerasmigrate.core.traced.library import FunctionDef, Library, NodeDef

BATCH = "batch"  # the unknown batch size, as a shape element


class TracedRefusal(Exception):
    """What cannot be translated: the op, the function and the object (layer) it belongs to."""

    def __init__(self, message: str, op: str = "", function: str = "", scope: str = "", unknown: list | None = None):
        self.op, self.function, self.scope = op, function, scope
        self.unknown = list(unknown or [])  # every (op, function, layer) without a translation, when that is why
        super().__init__(message)


@dataclass(frozen=True)
class Arg:
    """A model input, with its signature's shape (-1: unknown)."""

    index: int
    shape: tuple | None = None


@dataclass(frozen=True)
class Variable:
    """A resource variable: its object graph node."""

    node_id: int


@dataclass(frozen=True)
class Read:
    """The value of a variable (ReadVariableOp)."""

    node_id: int


@dataclass(frozen=True)
class Dims:
    """A shape known but for the batch size (BATCH)."""

    values: tuple


@dataclass(eq=False)
class Const:
    value: np.ndarray


@dataclass(frozen=True)
class Filled:
    """Fill(shape, value) of a shape known but for the batch size: an RNN's zero initial state."""

    shape: tuple
    value: float


@dataclass(eq=False)
class Op:
    """One op of the flat graph."""

    op: str
    inputs: list
    attrs: dict
    name: str
    function: str
    scope: str  # the layers it was traced in, outermost first ("dqn/sequential/conv2d")

    def output_shape(self, index: int = 0) -> list | None:
        shapes = (self.attrs.get("_output_shapes") or {}).get("shape") or []
        return shapes[index] if index < len(shapes) else None


@dataclass(frozen=True, eq=False)
class Out:
    op: Op
    index: int


Value = Arg | Variable | Read | Dims | Const | Filled | Out

PASS_THROUGH = {"Identity", "Snapshot", "StopGradient", "PreventGradient", "EnsureShape"}
CALLS = {"StatefulPartitionedCall", "PartitionedCall"}
# Ops with several output args: their names in order (tensorflow/core/ops/nn_ops.cc).
OUTPUT_ARGS = {
    "FusedBatchNormV3": ("y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2", "reserve_space_3"),
    "FusedBatchNorm": ("y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2"),
    "FusedBatchNormV2": ("y", "batch_mean", "batch_variance", "reserve_space_1", "reserve_space_2"),
}
# A Keras LSTM/GRU's loop function, kept whole as one op (its translation: recurrent.py).
_LAYER_FUNCTION = re.compile(r"^__inference_(.+?)_layer_call_(?:and_return_conditional_losses|fn)_\d+$")


def object_name(function: str) -> str:
    """The layer a Keras-traced function belongs to (`__inference_dense_1_layer_call_fn_12` -> dense_1)."""
    match = _LAYER_FUNCTION.match(function)
    return match.group(1) if match else ""


@dataclass
class Inliner:
    library: Library
    depth_limit: int = 64
    ops: list[Op] = field(default_factory=list)

    def call(self, function: str, inputs: list, scope: str, depth: int = 0) -> list:
        """The values of `function`'s outputs, called on `inputs`."""
        fdef = self.library.functions.get(function)
        if fdef is None:
            raise TracedRefusal(f"calls function {function!r}, which is not in the library", function=function)
        if depth > self.depth_limit:
            raise TracedRefusal("nests function calls too deeply", function=function, scope=scope)
        if len(inputs) != len(fdef.input_args):
            raise TracedRefusal(
                f"is called with {len(inputs)} inputs for {len(fdef.input_args)}", function=function, scope=scope
            )
        frame = _Frame(self, fdef, dict(zip(fdef.input_args, inputs)), scope, depth)
        return [frame.resolve(fdef.ret.get(arg, "")) for arg in fdef.output_args]


@dataclass
class _Frame:
    inliner: Inliner
    fdef: FunctionDef
    args: dict
    scope: str
    depth: int
    done: dict = field(default_factory=dict)  # node name -> list of output values (or a callable)

    def resolve(self, ref: str):
        """The value `ref` names (an input arg, or `node:output_arg:index`), its node evaluated first."""
        parts = ref.split(":")
        if parts[0] in self.args and len(parts) <= 2:
            return self.args[parts[0]]
        node = self.fdef.nodes.get(parts[0])
        if node is None:
            raise TracedRefusal(f"refers to {ref!r}, which it does not define", function=self.fdef.name)
        self._evaluate(node)
        outputs = self.done[node.name]
        arg = parts[1] if len(parts) > 1 else ""
        index = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 0
        names = OUTPUT_ARGS.get(node.op)
        if names and arg in names:
            index += names.index(arg)
        if callable(outputs):
            return outputs(index)
        if index >= len(outputs):
            raise TracedRefusal(f"refers to output {index} of {node.name!r}, which has {len(outputs)}", op=node.op)
        return outputs[index]

    def _evaluate(self, node: NodeDef) -> None:
        """Evaluate `node` after what it depends on, without recursion (a function may chain
        thousands of nodes); a cycle is refused."""
        stack, expanded = [(node, False)], set()
        while stack:
            current, ready = stack.pop()
            if current.name in self.done:
                continue
            if ready:
                self.done[current.name] = self._value(current)
                continue
            if current.name in expanded:
                raise TracedRefusal(f"has a cycle through {current.name!r}", op=current.op, function=self.fdef.name)
            expanded.add(current.name)
            stack.append((current, True))
            for ref in current.inputs:
                dependency = self.fdef.nodes.get(ref.split(":")[0])
                if dependency is not None and ref.split(":")[0] not in self.args and dependency.name not in self.done:
                    stack.append((dependency, False))

    def _value(self, node: NodeDef):
        inputs = [self.resolve(i) for i in node.inputs]
        if node.op in PASS_THROUGH:
            return inputs[:1]
        if node.op == "IdentityN":
            return inputs
        if node.op in CALLS:
            callee = (node.attrs.get("f") or {}).get("func", "")
            rnn = rnn_call(
                callee, self.inliner.library.functions.get(callee), inputs, node.name, self.fdef.name, self.scope
            )
            if rnn is not None:  # a Keras LSTM/GRU layer's loop, kept whole (recurrent.py)
                rnn.attrs["_output_shapes"] = node.attrs.get("_output_shapes")
                self.inliner.ops.append(rnn)
                return lambda index: Out(rnn, index)
            layer = object_name(callee)
            scope = f"{self.scope}/{layer}" if layer and self.scope else layer or self.scope
            return self.inliner.call(callee, inputs, scope, self.depth + 1)
        if node.op == "Const":
            value = node.attrs.get("value")
            if not isinstance(value, np.ndarray):
                raise TracedRefusal("is a constant of a type not read", op="Const", function=self.fdef.name)
            return [Const(value)]
        if node.op == "ReadVariableOp" and isinstance(inputs[0], Variable):
            return [Read(inputs[0].node_id)]
        op = Op(node.op, inputs, node.attrs, node.name, self.fdef.name, self.scope)
        folded = fold(op)
        if folded is not None:
            return [folded]
        self.inliner.ops.append(op)
        return lambda index: Out(op, index)


STANDARD_RNN = re.compile(r"^__inference_standard_(lstm|gru)_\d+$")
INPUTS = {"lstm": 6, "gru": 5}  # without a mask
OP = {"lstm": "KerasLSTM", "gru": "KerasGRU"}


def rnn_call(callee: str, fdef: FunctionDef | None, inputs: list, name: str, function: str, scope: str) -> Op | None:
    """The op standing for a Keras RNN layer's standard function call, or None when `callee` is none."""
    match = STANDARD_RNN.match(callee)
    if match is None or fdef is None:
        return None
    kind = match.group(1)
    body = list(fdef.nodes.values())
    attrs = {
        "kind": kind,
        "masked": len(inputs) != INPUTS[kind],
        "go_backwards": any(n.op == "ReverseV2" for n in body),
        "batch_major": any(n.op == "Transpose" and n.inputs[:1] == ("inputs",) for n in body),
    }
    return Op(OP[kind], list(inputs), attrs, name, function, scope)


def static_shape(value) -> list | None:
    if isinstance(value, Arg):
        return list(value.shape) if value.shape is not None else None
    if isinstance(value, Out):
        return value.op.output_shape(value.index)
    if isinstance(value, Const):
        return list(value.value.shape)
    return None


def fold(op: Op):
    """What an op computes when it depends only on constants and known shapes; None otherwise."""
    ins = op.inputs
    if op.op == "Shape" and ins:
        shape = static_shape(ins[0])
        if shape and all(d >= 0 for d in shape[1:]):
            return Dims((BATCH, *shape[1:]) if shape[0] < 0 else tuple(shape))
        return None
    if op.op == "StridedSlice" and isinstance(ins[0], Dims) and all(isinstance(i, Const) for i in ins[1:]):
        begin, end, strides = (i.value.tolist() for i in ins[1:])
        if op.attrs.get("shrink_axis_mask") == 1 and strides == [1]:
            return Dims((ins[0].values[begin[0]],))
        start = None if op.attrs.get("begin_mask", 0) & 1 else begin[0]
        stop = None if op.attrs.get("end_mask", 0) & 1 else end[0]
        return Dims(tuple(ins[0].values[slice(start, stop, strides[0])]))
    if op.op == "Fill" and len(ins) == 2 and isinstance(ins[0], Dims) and isinstance(ins[1], Const):
        return Filled(ins[0].values, float(ins[1].value)) if ins[1].value.ndim == 0 else None
    if op.op == "Pack" and ins and all(isinstance(i, (Dims, Const)) for i in ins):
        values = []
        for i in ins:
            if isinstance(i, Const) and i.value.ndim == 0:
                values.append(int(i.value))
            elif isinstance(i, Dims) and len(i.values) == 1:
                values.append(i.values[0])
            else:
                return None
        return Dims(tuple(values))
    return None
