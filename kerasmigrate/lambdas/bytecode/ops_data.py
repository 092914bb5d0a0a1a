"""Handlers of the opcodes that load, store, combine and display values.

Semantics from CPython's Doc/library/dis.rst and Python/ceval.c (3.12: Python/bytecodes.c)
of each release: which operands an opcode pops, in which order, and what it pushes.
"""

from __future__ import annotations

from kerasmigrate.lambdas.bytecode.decode import compare_operator, name_index
from kerasmigrate.lambdas.bytecode.machine import NULL, CellRef, Frame
from kerasmigrate.lambdas.expr import (
    Arg,
    Attribute,
    BinOp,
    Compare,
    Const,
    Dict,
    List,
    Name,
    Slice,
    Subscript,
    Tuple,
    UnaryOp,
)
from kerasmigrate.lambdas.expr import (
    Call as CallExpr,
)

EXPR_TYPES = (Arg, Attribute, BinOp, Compare, Const, Dict, List, Name, Slice, Subscript, Tuple, UnaryOp, CallExpr)
BINARY = {
    "ADD": "+",
    "SUBTRACT": "-",
    "MULTIPLY": "*",
    "TRUE_DIVIDE": "/",
    "FLOOR_DIVIDE": "//",
    "MODULO": "%",
    "POWER": "**",
    "MATRIX_MULTIPLY": "@",
    "AND": "&",
    "OR": "|",
    "XOR": "^",
    "LSHIFT": "<<",
    "RSHIFT": ">>",
}
UNARY = {"UNARY_NEGATIVE": "-", "UNARY_POSITIVE": "+", "UNARY_INVERT": "~", "UNARY_NOT": "not"}
PY2_CONSTANTS = {"True": True, "False": False, "None": None}  # globals in Python 2
# CPython 3.12 Include/internal/pycore_intrinsics.h
INTRINSIC_UNARY_POSITIVE, INTRINSIC_LIST_TO_TUPLE = 5, 6


def is_expr(value) -> bool:
    return isinstance(value, EXPR_TYPES)


def expr(frame: Frame, value, what: str = "an operand"):
    if not is_expr(value):
        frame.refuse(f"{what} is a {type(value).__name__.lower()}, not a value")
    return value


def pop_expr(frame: Frame, what: str = "an operand"):
    return expr(frame, frame.pop(), what)


def tuple_of(items: list):
    """Const of a tuple when every item is constant (as CPython folds them), else Tuple."""
    if all(isinstance(i, Const) for i in items):
        return Const(tuple(i.value for i in items))
    return Tuple(tuple(items))


def items_of(frame: Frame, value) -> list:
    """The items of a displayed or constant sequence (`*args`, LIST_EXTEND)."""
    if isinstance(value, (Tuple, List)):
        return list(value.items)
    if isinstance(value, Const) and isinstance(value.value, tuple):
        return [Const(v) for v in value.value]
    frame.refuse("unpacking a sequence that is not a constant or a display")


def dict_items(frame: Frame, value) -> list:
    if isinstance(value, Dict):
        return list(value.items)
    frame.refuse("unpacking a mapping that is not a dict display")


# -- loads and stores ---------------------------------------------------------------------------
def load_const(frame: Frame, ins):
    frame.push(frame.const(ins.arg))


def load_global(frame: Frame, ins):
    name = frame.code.names[name_index(ins, frame.table)]
    if ins.name == "LOAD_GLOBAL" and frame.new_layout and ins.arg & 1:
        frame.push(NULL)
    if frame.code.layout == "2.7" and name in PY2_CONSTANTS:
        frame.push(Const(PY2_CONSTANTS[name]))
    else:
        frame.push(Name(name))


def attribute_of(frame: Frame, value, attr: str):
    value = expr(frame, value, "an attribute's owner")
    return Name(f"{value.dotted}.{attr}") if isinstance(value, Name) else Attribute(value, attr)


def load_attr(frame: Frame, ins):
    attr = frame.code.names[name_index(ins, frame.table)]
    value = attribute_of(frame, frame.pop(), attr)
    method = ins.name == "LOAD_METHOD" or (frame.table.numeric >= (3, 12) and ins.arg & 1)
    if method:
        frame.push(NULL)  # as [NULL, callable]: CALL / CALL_METHOD then see a plain call
    frame.push(value)


def load_fast(frame: Frame, ins):
    name = frame.fast_name(ins.arg)
    if name not in frame.env:
        frame.refuse(f"the local variable {name!r} is read before it is assigned")
    frame.push(frame.env[name])


def store_fast(frame: Frame, ins):
    frame.env[frame.fast_name(ins.arg)] = frame.pop()


def load_deref(frame: Frame, ins):
    name = frame.deref_name(ins.arg)
    if name not in frame.env:
        frame.refuse(f"the closure variable {name!r} has no value")
    frame.push(frame.env[name])


def store_deref(frame: Frame, ins):
    frame.env[frame.deref_name(ins.arg)] = frame.pop()


def load_closure(frame: Frame, ins):
    frame.push(CellRef(frame.deref_name(ins.arg)))


# -- the stack ----------------------------------------------------------------------------------
def nop(frame: Frame, ins):
    return None


def pop_top(frame: Frame, ins):
    frame.pop()


def rotate(n: int):
    def handler(frame: Frame, ins):
        items = frame.pop_n(n)
        frame.stack.extend([items[-1], *items[:-1]])

    return handler


def dup_top(frame: Frame, ins):
    frame.push(frame.peek())


def dup_top_two(frame: Frame, ins):
    frame.stack.extend([frame.peek(2), frame.peek(1)])


def copy(frame: Frame, ins):
    frame.push(frame.peek(ins.arg))


def swap(frame: Frame, ins):
    top = frame.peek(1)
    frame.peek(ins.arg)
    frame.stack[-1], frame.stack[-ins.arg] = frame.stack[-ins.arg], top


def push_null(frame: Frame, ins):
    frame.push(NULL)


# -- operators ----------------------------------------------------------------------------------
def binary(op: str):
    def handler(frame: Frame, ins):
        right, left = pop_expr(frame), pop_expr(frame)
        frame.push(BinOp(op, left, right))

    return handler


def classic_divide(frame: Frame, ins):
    """Python 2's `/` without `from __future__ import division`: floor division of two ints."""
    right, left = pop_expr(frame), pop_expr(frame)
    if all(isinstance(v, Const) and isinstance(v.value, int) for v in (left, right)):
        frame.refuse("Python 2 division of two integers")
    frame.push(BinOp("/", left, right))


def binary_op(frame: Frame, ins):
    op = frame.table.nb_ops[ins.arg]
    binary(op[:-1] if op.endswith("=") else op)(frame, ins)


def unary(op: str):
    def handler(frame: Frame, ins):
        frame.push(UnaryOp(op, pop_expr(frame)))

    return handler


def compare_op(frame: Frame, ins):
    op = compare_operator(ins, frame.table)
    if op in ("exception match", "BAD"):
        frame.refuse(f"the comparison {op!r}")
    right, left = pop_expr(frame), pop_expr(frame)
    frame.push(Compare(op, left, right))


def is_op(frame: Frame, ins):
    right, left = pop_expr(frame), pop_expr(frame)
    frame.push(Compare("is not" if ins.arg else "is", left, right))


def contains_op(frame: Frame, ins):
    right, left = pop_expr(frame), pop_expr(frame)
    frame.push(Compare("not in" if ins.arg else "in", left, right))


def call_intrinsic_1(frame: Frame, ins):
    if ins.arg == INTRINSIC_UNARY_POSITIVE:
        frame.push(UnaryOp("+", pop_expr(frame)))
    elif ins.arg == INTRINSIC_LIST_TO_TUPLE:
        list_to_tuple(frame, ins)
    else:
        frame.refuse(f"the intrinsic function {ins.arg}")


# -- subscripts ---------------------------------------------------------------------------------
def binary_subscr(frame: Frame, ins):
    index, value = pop_expr(frame), pop_expr(frame)
    frame.push(Subscript(value, index))


def build_slice(frame: Frame, ins):
    if ins.arg not in (2, 3):
        frame.refuse(f"BUILD_SLICE of {ins.arg}")
    parts = [expr(frame, v) for v in frame.pop_n(ins.arg)]
    frame.push(Slice(*parts) if len(parts) == 3 else Slice(parts[0], parts[1], Const(None)))


def binary_slice(frame: Frame, ins):
    stop, start, value = pop_expr(frame), pop_expr(frame), pop_expr(frame)
    frame.push(Subscript(value, Slice(start, stop, Const(None))))


def py2_slice(kind: int):
    """SLICE+0..3 (Python 2): TOS[:], TOS1[TOS:], TOS1[:TOS], TOS2[TOS1:TOS]."""

    def handler(frame: Frame, ins):
        stop = pop_expr(frame) if kind & 2 else Const(None)
        start = pop_expr(frame) if kind & 1 else Const(None)
        frame.push(Subscript(pop_expr(frame), Slice(start, stop, Const(None))))

    return handler


# -- displays -----------------------------------------------------------------------------------
def unpack_sequence(frame: Frame, ins):
    """`x, y = value`: a display's items, or value[0], value[1]... of a computed value (the
    layer's list of inputs)."""
    value = pop_expr(frame, "the unpacked value")
    if isinstance(value, (Tuple, List)) or isinstance(value, Const) and isinstance(value.value, tuple):
        items = items_of(frame, value)
        if len(items) != ins.arg:
            frame.refuse(f"unpacking {len(items)} values into {ins.arg} names")
    else:
        items = [Subscript(value, Const(i)) for i in range(ins.arg)]
    frame.stack.extend(reversed(items))


def build_tuple(frame: Frame, ins):
    items = frame.peek_n(ins.arg) if ins.arg else []
    if items and all(isinstance(v, CellRef) for v in items):
        frame.push(tuple(frame.pop_n(ins.arg)))  # the cells of a closure, for MAKE_FUNCTION
        return
    frame.push(tuple_of([expr(frame, v, "a tuple item") for v in frame.pop_n(ins.arg)]))


def build_list(frame: Frame, ins):
    frame.push(List(tuple(expr(frame, v, "a list item") for v in frame.pop_n(ins.arg))))


def build_map(frame: Frame, ins):
    if frame.table.numeric < (3, 5):
        frame.push(Dict(()))  # up to 3.4 BUILD_MAP presizes; STORE_MAP fills it
        return
    flat = [expr(frame, v, "a dict item") for v in frame.pop_n(2 * ins.arg)]
    frame.push(Dict(tuple(zip(flat[0::2], flat[1::2]))))


def store_map(frame: Frame, ins):
    key, value = pop_expr(frame), pop_expr(frame)
    mapping = frame.pop()
    frame.push(Dict((*dict_items(frame, mapping), (key, value))))


def build_const_key_map(frame: Frame, ins):
    keys = pop_expr(frame)
    values = [expr(frame, v, "a dict item") for v in frame.pop_n(ins.arg)]
    if not isinstance(keys, Const) or not isinstance(keys.value, tuple) or len(keys.value) != ins.arg:
        frame.refuse("BUILD_CONST_KEY_MAP without a tuple of keys")
    frame.push(Dict(tuple((Const(k), v) for k, v in zip(keys.value, values))))


def list_extend(frame: Frame, ins):
    items = items_of(frame, frame.pop())
    target = frame.peek(ins.arg)
    if not isinstance(target, List):
        frame.refuse("LIST_EXTEND of something that is not a list display")
    frame.stack[-ins.arg] = List(target.items + tuple(items))


def list_to_tuple(frame: Frame, ins):
    frame.push(tuple_of(items_of(frame, frame.pop())))


def dict_update(frame: Frame, ins):
    items = dict_items(frame, frame.pop())
    target = frame.peek(ins.arg)
    frame.stack[-ins.arg] = Dict((*dict_items(frame, target), *items))


def build_unpack(kind: str):
    """BUILD_TUPLE_UNPACK / _WITH_CALL, BUILD_LIST_UNPACK, BUILD_MAP_UNPACK / _WITH_CALL (3.5-3.8;
    3.5's BUILD_MAP_UNPACK_WITH_CALL keeps the count in the low byte)."""

    def handler(frame: Frame, ins):
        low_byte = frame.table.version == "3.5" and ins.name == "BUILD_MAP_UNPACK_WITH_CALL"
        count = ins.arg & 0xFF if low_byte else ins.arg
        parts = frame.pop_n(count)
        if kind.startswith("map"):
            frame.push(Dict(tuple(item for part in parts for item in dict_items(frame, part))))
            return
        items = [item for part in parts for item in items_of(frame, part)]
        frame.push(List(tuple(items)) if kind == "list" else tuple_of(items))

    return handler
