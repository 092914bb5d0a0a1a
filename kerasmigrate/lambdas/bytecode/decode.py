"""Instructions of a code object under one opcode table, checked as they are decoded.

2.7 and 3.5: an opcode byte, then a 16-bit little-endian argument when the opcode is at
least HAVE_ARGUMENT, EXTENDED_ARG supplying the high 16 bits (CPython 3.5 Python/ceval.c
`NEXTOP`/`NEXTARG`). 3.6+: two bytes per instruction, EXTENDED_ARG prefixing 8 bits each
(python/cpython issue #26647). 3.10: jump arguments count instructions, not bytes (issue
#27129). 3.11+: each instruction is followed by its inline CACHE entries
(`_inline_cache_entries`, two zero bytes each) and jumps are relative, backward ones named
so (Lib/dis.py `_get_instructions_bytes` of each release). LOAD_GLOBAL (3.11+) and LOAD_ATTR
(3.12) keep a flag in the low bit of their argument, LOAD_SUPER_ATTR (3.12) in two bits.

A table under which the code does not decode (unknown opcode, an index out of range, a jump
into the middle of an instruction, non-zero cache bytes) raises Undecodable.
"""

from __future__ import annotations

from dataclasses import dataclass

from kerasmigrate.lambdas.bytecode.opcodes import OpcodeTable
from kerasmigrate.lambdas.bytecode.stream import CodeObject


class Undecodable(Exception):
    """The code is not bytecode of this table's Python."""

    def __init__(self, message: str, instruction: str | None = None):
        super().__init__(message)
        self.instruction = instruction


@dataclass(frozen=True)
class Instruction:
    offset: int
    name: str
    arg: int | None
    target: int | None = None  # a jump's destination offset


def decode(code: CodeObject, table: OpcodeTable) -> list[Instruction]:
    _check_line_table(code, table)
    raw = _wordcode(code.code, table) if table.wordcode else _bytecode(code.code, table)
    starts = {ins.offset for ins in raw}
    out = []
    for ins in raw:
        _check_arg(ins, code, table)
        target = _target(ins, ins.end, table)
        if target is not None and target not in starts:
            raise Undecodable(f"{ins.name} at {ins.offset} jumps to {target}, not an instruction")
        out.append(Instruction(ins.offset, ins.name, ins.arg, target))
    return out


@dataclass(frozen=True)
class _Raw:
    offset: int
    name: str
    arg: int | None
    end: int  # where the next instruction begins (after this one's CACHE entries)


def _check_line_table(code: CodeObject, table: OpcodeTable) -> None:
    """3.10's co_linetable covers the whole code (its address deltas add up to its length:
    CPython 3.10 Python/compile.c `assemble_line_range`); 3.9's co_lnotab stops at the last
    line's first instruction. The same bytes cannot be both."""
    if table.numeric >= (3, 11) or not code.code:
        return
    covered = sum(code.linetable[0::2])
    if table.numeric >= (3, 10) and covered != len(code.code):
        raise Undecodable("the line table is not a Python 3.10 co_linetable")
    if table.numeric < (3, 10) and covered >= len(code.code):
        raise Undecodable(f"the line table is not a Python {table.version} co_lnotab")


def _bytecode(co_code: bytes, table: OpcodeTable) -> list[_Raw]:
    out, i, ext, start = [], 0, 0, None
    while i < len(co_code):
        op = co_code[i]
        name = _name(op, table, i)
        arg, size = None, 1
        if op >= table.have_argument:
            if i + 3 > len(co_code):
                raise Undecodable("truncated argument")
            arg, size = co_code[i + 1] | co_code[i + 2] << 8 | ext, 3
        begin = i if start is None else start
        i += size
        if name == "EXTENDED_ARG":
            ext, start = arg << 16, begin
            continue
        out.append(_Raw(begin, name, arg, i))
        ext, start = 0, None
    if start is not None:
        raise Undecodable("EXTENDED_ARG at the end")
    return out


def _wordcode(co_code: bytes, table: OpcodeTable) -> list[_Raw]:
    if len(co_code) % 2:
        raise Undecodable("odd length wordcode")
    out, i, ext, start = [], 0, 0, None
    while i < len(co_code):
        op, byte = co_code[i], co_code[i + 1]
        name = _name(op, table, i)
        arg = byte | ext
        if op < table.have_argument:
            if byte:
                raise Undecodable(f"{name} at {i} has an argument")
            arg = None
        begin = i if start is None else start
        i += 2
        if name == "EXTENDED_ARG":
            ext, start = arg << 8, begin
            continue
        caches = table.cache.get(name, 0) * 2
        if co_code[i : i + caches] != bytes(caches):
            raise Undecodable(f"{name} at {begin} is not followed by its cache entries")
        i += caches
        out.append(_Raw(begin, name, arg, i))
        ext, start = 0, None
    if start is not None:
        raise Undecodable("EXTENDED_ARG at the end")
    return out


def _name(op: int, table: OpcodeTable, offset: int) -> str:
    name = table.names.get(op)
    if name is None or name == "CACHE" or (name == "STOP_CODE"):
        raise Undecodable(
            f"opcode {op} at offset {offset} is not a Python {table.version} instruction", instruction=f"opcode {op}"
        )
    return name


def name_index(ins: Instruction | _Raw, table: OpcodeTable) -> int:
    """The co_names index of a name instruction, without 3.11+/3.12's flag bits."""
    v = table.numeric
    if ins.name == "LOAD_GLOBAL" and v >= (3, 11) or ins.name == "LOAD_ATTR" and v >= (3, 12):
        return ins.arg >> 1
    if ins.name == "LOAD_SUPER_ATTR":
        return ins.arg >> 2
    return ins.arg


def _check_arg(ins: _Raw, code: CodeObject, table: OpcodeTable) -> None:
    new = table.numeric >= (3, 11)
    limits = {
        "const": len(code.consts),
        "name": len(code.names),
        "local": len(code.localsplusnames if new else code.varnames),
        "free": len(code.localsplusnames if new else code.cellvars + code.freevars),
    }
    for cls, limit in limits.items():
        if table.is_(ins.name, cls):
            index = name_index(ins, table) if cls == "name" else ins.arg
            if index is None or index >= limit:
                raise Undecodable(f"{ins.name} at {ins.offset}: index {index} out of range")
    if ins.name == "COMPARE_OP" and _cmp_index(ins.arg, table) >= len(table.cmp_op):
        raise Undecodable(f"COMPARE_OP at {ins.offset}: bad operator {ins.arg}")
    if ins.name == "BINARY_OP" and ins.arg >= len(table.nb_ops):
        raise Undecodable(f"BINARY_OP at {ins.offset}: bad operator {ins.arg}")


def _cmp_index(arg: int, table: OpcodeTable) -> int:
    return arg >> 4 if table.numeric >= (3, 12) else arg


def compare_operator(ins: Instruction, table: OpcodeTable) -> str:
    return table.cmp_op[_cmp_index(ins.arg, table)]


def _target(ins: _Raw, end: int, table: OpcodeTable) -> int | None:
    v = table.numeric
    unit = 2 if v >= (3, 10) else 1
    if table.is_(ins.name, "jabs"):
        return ins.arg * unit
    if table.is_(ins.name, "jrel"):
        if v >= (3, 11) and "BACKWARD" in ins.name:
            return end - ins.arg * unit
        return end + ins.arg * unit
    return None
