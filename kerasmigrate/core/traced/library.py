"""The traced functions of a SavedModel, read as data: the function library of `saved_model.pb`
and the object graph's concrete functions (which object each belongs to, its input signature,
the variables bound to its captured inputs).

Field numbers (tensorflow/tensorflow, read with the search tools):

* tensorflow/core/protobuf/saved_model.proto: SavedModel {meta_graphs 2};
  meta_graph.proto: MetaGraphDef {graph_def 2, object_graph_def 7}.
* tensorflow/core/framework/graph.proto: GraphDef {node 1, library 2};
  function.proto: FunctionDefLibrary {function 1}, FunctionDef {signature 1 (an OpDef),
  node_def 3, ret 4 (map<string, string>)}; op_def.proto: OpDef {name 1, input_arg 2,
  output_arg 3}, ArgDef {name 1}.
* node_def.proto: NodeDef {name 1, op 2, input 3 ("node:out:index", "^control"), attr 5
  (map<string, AttrValue>)}. A protobuf map is a repeated entry message {key 1, value 2}.
* attr_value.proto: AttrValue {list 1, s 2, i 3, f 4 (fixed32), b 5, type 6, shape 7,
  tensor 8, func 10 (NameAttrList {name 1})}; ListValue {s 2, i 3, f 4, b 5, type 6,
  shape 7, tensor 8} (numbers packed).
* tensor_shape.proto: TensorShapeProto {dim 2 {size 1}, unknown_rank 3};
  tensor.proto: TensorProto {dtype 1, tensor_shape 2, tensor_content 4, float_val 5,
  double_val 6, int_val 7, int64_val 10, bool_val 11} (one value fills the shape).
* saved_object_graph.proto: SavedObjectGraph {nodes 1, concrete_functions 2 (map)},
  SavedObject {function 6, bare_concrete_function 8}, SavedFunction {concrete_functions 1},
  SavedBareConcreteFunction {concrete_function_name 1}, SavedConcreteFunction
  {bound_inputs 2 (packed int32), canonicalized_input_signature 3, output_signature 4};
  struct.proto: StructuredValue {none_value 1, bool_value 14, tensor_spec_value 33
  (TensorSpecProto {name 1, shape 2, dtype 3}), list_value 51, tuple_value 52, dict_value 53
  (DictValue {fields 1: map})}, ListValue/TupleValue {values 1}.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from kerasmigrate.core import protowire
from kerasmigrate.core.protowire import Message, ProtoError
from kerasmigrate.core.savedmodel_graph import SAVED_MODEL_PB, parse_file
from kerasmigrate.core.tensor_bundle import DTYPES
from kerasmigrate.errors import TruncatedFileError


@dataclass(frozen=True)
class NodeDef:
    name: str
    op: str
    inputs: tuple[str, ...]  # data inputs; control inputs ("^node") are dropped
    attrs: dict


@dataclass(frozen=True)
class FunctionDef:
    name: str
    input_args: tuple[str, ...]
    output_args: tuple[str, ...]
    nodes: dict[str, NodeDef]
    ret: dict[str, str]  # output arg -> "node:out:index" or an input arg


@dataclass
class TensorSpec:
    name: str
    shape: list | None  # None: unknown rank; -1 entries: unknown sizes
    dtype: int


@dataclass
class ConcreteFunction:
    name: str
    bound_inputs: list[int]  # object graph node ids of the captured inputs, in order
    args: list  # the positional arguments' structure (TensorSpec, bool, None, lists)
    kwargs: dict
    outputs: object  # the output structure


@dataclass
class Library:
    path: Path
    functions: dict[str, FunctionDef]
    concrete: dict[str, ConcreteFunction]
    object_functions: dict[int, list[str]] = field(default_factory=dict)  # SavedFunction node -> names


def _map(msg: Message, number: int) -> dict[str, bytes]:
    return {protowire.text(e, 1): protowire.first(e, 2, b"") for e in protowire.messages(msg, number)}


def _packed(values: list, fmt: str) -> list:
    """Packed repeated numbers (one bytes value) or unpacked ones (several ints)."""
    out: list = []
    for value in values:
        if not isinstance(value, bytes):
            out.append(value)
        elif fmt == "varint":
            pos = 0
            while pos < len(value):
                number, pos = protowire.read_varint(value, pos)
                out.append(number - (1 << 64) if number >= 1 << 63 else number)
        else:
            out.extend(struct.unpack(f"<{len(value) // struct.calcsize(fmt)}{fmt}", value))
    return out


def shape_of(msg: Message) -> list | None:
    if protowire.integer(msg, 3):
        return None
    return [protowire.integer(d, 1) for d in protowire.messages(msg, 2)]


@dataclass(frozen=True)
class OtherTensor:
    """A constant of a dtype not read here (strings of the save functions, resources)."""

    dtype: int


def tensor_of(msg: Message) -> np.ndarray | OtherTensor:
    """A TensorProto constant as an array (numeric dtypes only)."""
    dtype = protowire.integer(msg, 1)
    shape = shape_of(protowire.message(msg, 2)) or []
    if dtype not in DTYPES:
        return OtherTensor(dtype)
    np_dtype = np.dtype(DTYPES[dtype])
    content = protowire.first(msg, 4)
    if content:
        return np.frombuffer(content, dtype=np_dtype).reshape(shape).copy()
    typed = {"f": (5, "f"), "d": (6, "d"), "i": (7, "varint"), "u": (7, "varint"), "b": (11, "varint")}
    number, fmt = (10, "varint") if np_dtype.kind == "i" and np_dtype.itemsize == 8 else typed[np_dtype.kind]
    values = _packed(msg.get(number, []), fmt)
    size = int(np.prod(shape, dtype=np.int64))
    if len(values) < size:  # the last value fills the rest (tensor_util.MakeNdarray); none: zeros
        values = values + [values[-1] if values else 0] * (size - len(values))
    return np.array(values, dtype=np_dtype).reshape(shape)


def attr_value(raw: bytes):
    """An AttrValue as a Python value: int, float, bool, bytes, dtype number, shape, array,
    function name, or a dict of lists for `list(...)` values."""
    msg = protowire.parse(raw)
    if 3 in msg:
        return protowire.integer(msg, 3)
    if 4 in msg:
        return struct.unpack("<f", struct.pack("<I", protowire.first(msg, 4)))[0]
    if 5 in msg:
        return bool(protowire.integer(msg, 5))
    if 6 in msg:
        return protowire.integer(msg, 6)
    if 2 in msg:
        return protowire.first(msg, 2)
    if 7 in msg:
        return shape_of(protowire.message(msg, 7))
    if 8 in msg:
        return tensor_of(protowire.message(msg, 8))
    if 10 in msg:
        return {"func": protowire.text(protowire.message(msg, 10), 1)}
    if 1 in msg:
        lst = protowire.message(msg, 1)
        return {
            "i": _packed(lst.get(3, []), "varint"),
            "f": _packed(lst.get(4, []), "f"),
            "b": [bool(v) for v in _packed(lst.get(5, []), "varint")],
            "type": _packed(lst.get(6, []), "varint"),
            "s": list(lst.get(2, [])),
            "shape": [shape_of(protowire.parse(s)) for s in lst.get(7, [])],
        }
    return None


def _node(msg: Message) -> NodeDef:
    inputs = tuple(v.decode("utf-8") for v in msg.get(3, []))
    return NodeDef(
        name=protowire.text(msg, 1),
        op=protowire.text(msg, 2),
        inputs=tuple(i for i in inputs if not i.startswith("^")),
        attrs={k: attr_value(v) for k, v in _map(msg, 5).items()},
    )


def _function(msg: Message) -> FunctionDef:
    signature = protowire.message(msg, 1)
    nodes = [_node(n) for n in protowire.messages(msg, 3)]
    return FunctionDef(
        name=protowire.text(signature, 1),
        input_args=tuple(protowire.text(a, 1) for a in protowire.messages(signature, 2)),
        output_args=tuple(protowire.text(a, 1) for a in protowire.messages(signature, 3)),
        nodes={n.name: n for n in nodes},
        ret={k: v.decode("utf-8") for k, v in _map(msg, 4).items()},
    )


def structured(msg: Message):
    """A StructuredValue as Python: TensorSpec, bool, int, str, None, list, tuple, dict."""
    if 33 in msg:
        spec = protowire.message(msg, 33)
        return TensorSpec(protowire.text(spec, 1), shape_of(protowire.message(spec, 2)), protowire.integer(spec, 3))
    if 14 in msg:
        return bool(protowire.integer(msg, 14))
    if 12 in msg:
        value = protowire.integer(msg, 12, signed=False)
        return (value >> 1) ^ -(value & 1)  # sint64: zigzag
    if 13 in msg:
        return protowire.text(msg, 13)
    if 51 in msg or 52 in msg:
        values = [structured(v) for v in protowire.messages(protowire.message(msg, 51 if 51 in msg else 52), 1)]
        return values if 51 in msg else tuple(values)
    if 53 in msg:
        return {k: structured(protowire.parse(v)) for k, v in _map(protowire.message(msg, 53), 1).items()}
    if 54 in msg:  # a namedtuple: its values in order
        return tuple(structured(protowire.message(p, 2)) for p in protowire.messages(protowire.message(msg, 54), 2))
    return None


def _concrete(name: str, msg: Message) -> ConcreteFunction:
    signature = structured(protowire.message(msg, 3))
    args, kwargs = signature if isinstance(signature, tuple) and len(signature) == 2 else ((), {})
    return ConcreteFunction(
        name=name,
        bound_inputs=_packed(msg.get(2, []), "varint"),
        args=list(args) if isinstance(args, (list, tuple)) else [args],
        kwargs=kwargs if isinstance(kwargs, dict) else {},
        outputs=structured(protowire.message(msg, 4)),
    )


def read_library(path: Path) -> Library:
    """The function library and the concrete functions of `path/saved_model.pb`."""
    pb_path = path / SAVED_MODEL_PB
    saved_model = parse_file(pb_path, "SavedModel")
    try:
        meta = protowire.messages(saved_model, 2)[0]
        library = protowire.message(protowire.message(meta, 2), 2)
        functions = {f.name: f for f in (_function(m) for m in protowire.messages(library, 1))}
        graph = protowire.message(meta, 7)
        concrete = {k: _concrete(k, protowire.parse(v)) for k, v in _map(graph, 2).items()}
        object_functions = {}
        for node_id, node in enumerate(protowire.messages(graph, 1)):
            if 6 in node:
                names = protowire.message(node, 6).get(1, [])
                object_functions[node_id] = [n.decode("utf-8") for n in names]
            elif 8 in node:
                object_functions[node_id] = [protowire.text(protowire.message(node, 8), 1)]
    except (ProtoError, IndexError, UnicodeDecodeError, ValueError) as exc:
        raise TruncatedFileError(pb_path, f"its function library is garbled ({exc})") from None
    return Library(path, functions, concrete, object_functions)
