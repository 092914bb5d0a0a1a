"""Source lines of instruction offsets, from a code object's line table, and where its
exception table starts.

- up to 3.9, `co_lnotab`: (address increment, line increment) byte pairs, the line
  increment signed from 3.6 (CPython Objects/lnotab_notes.txt; Lib/dis.py `findlinestarts`);
- 3.10, `co_linetable`: (address delta, signed line delta) pairs, -128 meaning no line
  (CPython 3.10 Objects/codeobject.c `advance`);
- 3.11+, the location table: entries of (code, length) headers and varints (CPython 3.11
  Objects/locations.md; Lib/test/test_code.py `parse_location_table`);
- 3.11+, the exception table's first entry (CPython 3.11 Objects/exception_handling_notes.txt;
  Lib/dis.py `_parse_exception_table`).
"""

from __future__ import annotations

from kerasmigrate.lambdas.bytecode.opcodes import OpcodeTable
from kerasmigrate.lambdas.bytecode.stream import CodeObject


def line_starts(code: CodeObject, table: OpcodeTable) -> list[tuple[int, int]]:
    """(offset, line) where the line changes, as Lib/dis.py `findlinestarts` gives them."""
    if table.numeric >= (3, 11):
        ranges = _locations(code.linetable, code.firstlineno)
    elif table.numeric >= (3, 10):
        ranges = _linetable_310(code.linetable, code.firstlineno)
    else:
        return _lnotab(code.linetable, code.firstlineno, signed=table.numeric >= (3, 6))
    out, last = [], None
    for start, _, line in ranges:
        if line is not None and line != last:
            out.append((start, line))
            last = line
    return out


def line_at(starts: list[tuple[int, int]], offset: int) -> int | None:
    line = None
    for start, number in starts:
        if start > offset:
            break
        line = number
    return line


def _lnotab(tab: bytes, first: int, signed: bool) -> list[tuple[int, int]]:
    out, last, line, addr = [], None, first, 0
    for addr_incr, line_incr in zip(tab[0::2], tab[1::2]):
        if addr_incr:
            if line != last:
                out.append((addr, line))
                last = line
            addr += addr_incr
        line += line_incr - 0x100 if signed and line_incr >= 0x80 else line_incr
    if line != last:
        out.append((addr, line))
    return out


def _linetable_310(tab: bytes, first: int):
    end, line = 0, first
    for sdelta, ldelta in zip(tab[0::2], tab[1::2]):
        start, end = end, end + sdelta
        ldelta = ldelta - 0x100 if ldelta >= 0x80 else ldelta
        if ldelta == -128:
            yield start, end, None
            continue
        line += ldelta
        yield start, end, line


class _Bytes:
    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def next(self) -> int:
        if self.pos >= len(self.data):
            raise EOFError
        self.pos += 1
        return self.data[self.pos - 1]

    def varint(self) -> int:
        b = self.next()
        value, shift = b & 63, 0
        while b & 64:
            b = self.next()
            shift += 6
            value |= (b & 63) << shift
        return value

    def signed_varint(self) -> int:
        value = self.varint()
        return -(value >> 1) if value & 1 else value >> 1


def _locations(tab: bytes, first: int):
    data, line, addr = _Bytes(tab), first, 0
    try:
        while data.pos < len(tab):
            head = data.next()
            kind, length = (head >> 3) & 15, ((head & 7) + 1) * 2
            start, addr = addr, addr + length
            if kind == 15:
                yield start, addr, None
                continue
            if kind == 14:
                line += data.signed_varint()
                for _ in range(3):
                    data.varint()
            elif kind == 13:
                line += data.signed_varint()
            elif kind in (10, 11, 12):
                line += kind - 10
                data.next()
                data.next()
            else:
                data.next()
            yield start, addr, line
    except EOFError:
        return


def exception_table_start(code: CodeObject) -> int | None:
    """The first offset a 3.11+ exception table covers (a `try` or `with`), None without one."""
    if not code.exceptiontable:
        return None
    data = _Bytes(code.exceptiontable)
    try:
        b = data.next()
        value = b & 63
        while b & 64:
            b = data.next()
            value = (value << 6) | (b & 63)
    except EOFError:
        return 0
    return value * 2
