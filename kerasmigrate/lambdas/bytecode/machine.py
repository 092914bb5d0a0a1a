"""The stack machine: one code object evaluated over Expr values, never executed.

Values on the stack are Expr (kerasmigrate/lambdas/expr.py) or the few things bytecode
handles that are not expressions: NULL (3.7+ method calls, 3.11+ calls), a code
constant, a function made by MAKE_FUNCTION, a cell reference (LOAD_CLOSURE). Each
opcode's handler (ops_data.py, ops_flow.py) pops and pushes them; anything without a
handler is refused by name (REFUSED says why).

Control flow is followed only forwards: a jump to an earlier offset is a loop and refused;
a conditional jump is taken or not only when its condition is a constant.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kerasmigrate.lambdas.bytecode.decode import Instruction, Undecodable, decode
from kerasmigrate.lambdas.bytecode.lines import exception_table_start, line_at, line_starts
from kerasmigrate.lambdas.bytecode.opcodes import OpcodeTable
from kerasmigrate.lambdas.bytecode.stream import CodeObject, MarshalSet
from kerasmigrate.lambdas.expr import Const, LambdaRefusal

MAX_INLINE_DEPTH = 8
MAX_STEPS = 20000  # instructions evaluated in all, nested helpers included

LOOP = "a loop"
EXCEPTIONS = "exception handling (try, with, raise or assert)"
GENERATOR = "a generator or coroutine (yield or await)"
STORE = "a write outside the function's own locals"
REFUSED = {
    **dict.fromkeys(
        "SETUP_LOOP FOR_ITER GET_ITER GET_AITER GET_ANEXT BREAK_LOOP CONTINUE_LOOP END_FOR "
        "LIST_APPEND SET_ADD MAP_ADD LOAD_FAST_AND_CLEAR JUMP_BACKWARD JUMP_BACKWARD_NO_INTERRUPT".split(),
        LOOP,
    ),
    **dict.fromkeys(
        "SETUP_EXCEPT SETUP_FINALLY SETUP_WITH SETUP_ASYNC_WITH BEFORE_WITH BEFORE_ASYNC_WITH POP_BLOCK "
        "POP_EXCEPT END_FINALLY WITH_CLEANUP WITH_CLEANUP_START WITH_CLEANUP_FINISH CALL_FINALLY "
        "BEGIN_FINALLY POP_FINALLY RAISE_VARARGS RERAISE PUSH_EXC_INFO CHECK_EXC_MATCH CHECK_EG_MATCH "
        "JUMP_IF_NOT_EXC_MATCH LOAD_ASSERTION_ERROR WITH_EXCEPT_START PREP_RERAISE_STAR CLEANUP_THROW".split(),
        EXCEPTIONS,
    ),
    **dict.fromkeys(
        "YIELD_VALUE YIELD_FROM GET_AWAITABLE GET_YIELD_FROM_ITER GEN_START RETURN_GENERATOR SEND "
        "ASYNC_GEN_WRAP END_ASYNC_FOR END_SEND".split(),
        GENERATOR,
    ),
    **dict.fromkeys(
        "STORE_ATTR STORE_GLOBAL STORE_SUBSCR STORE_NAME STORE_SLICE STORE_SLICE+0 STORE_SLICE+1 "
        "STORE_SLICE+2 STORE_SLICE+3 DELETE_ATTR DELETE_GLOBAL DELETE_SUBSCR DELETE_NAME DELETE_FAST "
        "DELETE_DEREF DELETE_SLICE+0 DELETE_SLICE+1 DELETE_SLICE+2 DELETE_SLICE+3 STORE_ANNOTATION "
        "SETUP_ANNOTATIONS".split(),
        STORE,
    ),
    **dict.fromkeys(
        "PRINT_ITEM PRINT_NEWLINE PRINT_ITEM_TO PRINT_NEWLINE_TO PRINT_EXPR".split(), "print, a side effect"
    ),
    "EXEC_STMT": "exec, dynamic code",
    "IMPORT_STAR": "`import *`",
}
# co_flags (CPython Include/code.h).
CO_VARARGS, CO_VARKEYWORDS = 0x04, 0x08
CO_GENERATORS = 0x20 | 0x80 | 0x100 | 0x200


class Null:
    """The NULL CPython pushes below a callable (3.11+) or a method (LOAD_METHOD, 3.7+)."""


NULL = Null()


@dataclass(frozen=True)
class CodeConst:
    code: CodeObject


@dataclass(frozen=True)
class CellRef:
    name: str  # a cell of the frame that made it (LOAD_CLOSURE)


@dataclass
class Function:
    """A nested function made by MAKE_FUNCTION: called, its code is evaluated inline."""

    code: CodeObject
    defaults: tuple = ()
    kwdefaults: dict = field(default_factory=dict)
    closure: tuple = ()  # the maker's cell names for its free variables, in co_freevars order
    env: dict = field(default_factory=dict)  # the maker's variables: cells are read when called


class Context:
    """What the frames of one evaluation share: the handlers and the instructions counted."""

    def __init__(self, handlers: dict):
        self.handlers = handlers
        self.steps = 0


@dataclass
class Frame:
    code: CodeObject
    table: OpcodeTable
    env: dict  # local and cell variables by name
    context: Context
    depth: int = 0
    stack: list = field(default_factory=list)
    kw_names: tuple | None = None  # 3.11+ KW_NAMES, for the next CALL
    returned: object = None
    instruction: Instruction | None = None
    starts: list = field(default_factory=list)

    # -- the stack ------------------------------------------------------------
    def push(self, value) -> None:
        self.stack.append(value)

    def pop(self):
        if not self.stack:
            raise Undecodable(f"stack underflow at {self._where()}")
        return self.stack.pop()

    def pop_n(self, n: int) -> list:
        if n < 0 or n > len(self.stack):
            raise Undecodable(f"stack underflow at {self._where()}")
        items = self.stack[len(self.stack) - n :]
        del self.stack[len(self.stack) - n :]
        return items

    def peek_n(self, n: int) -> list:
        if n < 0 or n > len(self.stack):
            raise Undecodable(f"stack underflow at {self._where()}")
        return self.stack[len(self.stack) - n :]

    def peek(self, n: int = 1):
        if n < 1 or n > len(self.stack):
            raise Undecodable(f"stack underflow at {self._where()}")
        return self.stack[-n]

    # -- names ----------------------------------------------------------------
    @property
    def new_layout(self) -> bool:
        return self.table.numeric >= (3, 11)

    def fast_name(self, arg: int) -> str:
        return (self.code.localsplusnames if self.new_layout else self.code.varnames)[arg]

    def deref_name(self, arg: int) -> str:
        if self.new_layout:
            return self.code.localsplusnames[arg]
        return (self.code.cellvars + self.code.freevars)[arg]

    def const(self, arg: int):
        return constant(self.code.consts[arg], self)

    # -- refusals -------------------------------------------------------------
    def line(self) -> int | None:
        return line_at(self.starts, self.instruction.offset) if self.instruction else None

    def refuse(self, reason: str):
        name = self.instruction.name if self.instruction else None
        raise LambdaRefusal(reason, instruction=name, line=self.line())

    def _where(self) -> str:
        ins = self.instruction
        return f"{ins.name} at offset {ins.offset}" if ins else "the start"


def constant(value, frame: Frame):
    """The stack value of a co_consts entry: Const, or the code object of a nested function."""
    if isinstance(value, CodeObject):
        return CodeConst(value)
    if isinstance(value, bytes) and frame.code.layout == "2.7":
        return Const(value.decode("utf-8", errors="replace"))  # a Python 2 str
    plain = plain_value(value)
    if plain is _NOT_PLAIN:
        kind = "set" if isinstance(value, MarshalSet) else type(value).__name__
        frame.refuse(f"a {kind} constant")
    return Const(plain)


_NOT_PLAIN = object()


def plain_value(value):
    """The Python constant Const holds, tuples of them included; _NOT_PLAIN otherwise."""
    if value is None or value is Ellipsis or isinstance(value, (bool, int, float, complex, str, bytes)):
        return value
    if isinstance(value, tuple):
        items = tuple(plain_value(v) for v in value)
        return _NOT_PLAIN if any(i is _NOT_PLAIN for i in items) else items
    return _NOT_PLAIN


def run(frame: Frame):
    """Evaluate frame.code from its first instruction to RETURN_VALUE; the value returned."""
    code = frame.code
    instructions = decode(code, frame.table)
    frame.starts = line_starts(code, frame.table)
    index = {ins.offset: i for i, ins in enumerate(instructions)}
    _refuse_by_flags(frame, instructions)
    pc = 0
    while True:
        if pc >= len(instructions):
            raise Undecodable("the code runs past its end")
        ins = frame.instruction = instructions[pc]
        frame.context.steps += 1
        if frame.context.steps > MAX_STEPS:
            frame.refuse("too many instructions to evaluate")
        handler = frame.context.handlers.get(ins.name)
        if handler is None:
            frame.refuse(REFUSED.get(ins.name, f"{ins.name} is not in the vocabulary"))
        jump = handler(frame, ins)
        if jump is RETURN:
            return frame.returned
        if jump is None:
            pc += 1
            continue
        if jump <= ins.offset:
            frame.refuse(LOOP + " (a backward jump)")
        pc = index[jump]


RETURN = object()


def _refuse_by_flags(frame: Frame, instructions: list) -> None:
    code = frame.code
    if code.flags & CO_GENERATORS:
        yields = [i for i in instructions if i.name in ("YIELD_VALUE", "YIELD_FROM", "GET_AWAITABLE")]
        frame.instruction = next(iter(yields or [i for i in instructions if REFUSED.get(i.name) == GENERATOR]), None)
        frame.refuse(GENERATOR)
    start = exception_table_start(code) if frame.new_layout else None
    if start is not None:  # 3.11+ `try` and `with` leave no instruction, only this table
        frame.instruction = next((i for i in instructions if i.offset >= start), None)
        frame.refuse(EXCEPTIONS)
    if code.flags & (CO_VARARGS | CO_VARKEYWORDS):
        frame.instruction = None
        frame.refuse("a function taking *args or **kwargs")
