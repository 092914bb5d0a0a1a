"""A marshalled code object read as data: never `marshal.loads`, never a code object created.

Keras 2 and tf.keras store a Lambda's function as `marshal.dumps(func.__code__)`,
base64-encoded (keras 2.3.1 keras/utils/generic_utils.py and tf_keras
tf_keras/src/utils/generic_utils.py `func_dump`). That stream has no magic
number, and its layout changes with the Python version that wrote it, which is
why only that Python minor version can load it.

This module walks the byte stream (CPython Python/marshal.c `r_object`) and
recognises the writer by the code object's header, whose fields changed in
Python 3.0 (`co_kwonlyargcount`), 3.8 (`co_posonlyargcount`) and 3.11 (no
`co_nlocals`; `co_localsplusnames`/`co_localspluskinds`, `co_qualname`,
`co_exceptiontable`; Python/marshal.c `w_object` of each release).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

FLAG_REF = 0x80
MAX_DEPTH = 100  # marshal.c allows 2000; a Lambda's constants nest a few levels

# Code object layouts: (label, leading int32 fields, objects after them).
HEADS = {
    "2.7": ("argcount", "nlocals", "stacksize", "flags"),
    "3.0-3.7": ("argcount", "kwonlyargcount", "nlocals", "stacksize", "flags"),
    "3.8-3.10": ("argcount", "posonlyargcount", "kwonlyargcount", "nlocals", "stacksize", "flags"),
    "3.11+": ("argcount", "posonlyargcount", "kwonlyargcount", "stacksize", "flags"),
}
BODY = ("code", "consts", "names", "varnames", "freevars", "cellvars", "filename", "name", "firstlineno", "lnotab")
BODY_311 = (
    "code",
    "consts",
    "names",
    "localsplusnames",
    "localspluskinds",
    "filename",
    "name",
    "qualname",
    "firstlineno",
    "linetable",
    "exceptiontable",
)
# co_localspluskinds bits (CPython 3.11 Include/internal/pycore_code.h).
CO_FAST_LOCAL, CO_FAST_CELL, CO_FAST_FREE = 0x20, 0x40, 0x80


class NotBytecode(ValueError):
    """The stored value is not a marshalled code object this reader understands."""


@dataclass(frozen=True)
class MarshalSet:
    """A set or frozenset constant (kept as its items: they need not be hashable here)."""

    items: tuple
    frozen: bool


@dataclass
class CodeObject:
    """The fields of a code object that evaluation needs, as the stream holds them."""

    layout: str
    argcount: int = 0
    posonlyargcount: int = 0
    kwonlyargcount: int = 0
    flags: int = 0
    code: bytes = b""
    consts: tuple = ()
    names: tuple = ()
    varnames: tuple = ()  # the fast locals, parameters first
    cellvars: tuple = ()
    freevars: tuple = ()
    localsplusnames: tuple = ()  # 3.11+: the index space of LOAD_FAST / LOAD_DEREF
    filename: str | None = None
    name: str | None = None
    qualname: str | None = None
    firstlineno: int = 0
    linetable: bytes = b""  # co_lnotab up to 3.9, co_linetable from 3.10
    exceptiontable: bytes = b""
    extra: dict = field(default_factory=dict)

    @property
    def params(self) -> tuple:
        return tuple(self.varnames[: self.argcount + self.kwonlyargcount])


class Reader:
    def __init__(self, data: bytes, layout: str):
        self.data = data
        self.pos = 0
        self.layout = layout
        self.refs: list = []
        self.interned: list = []  # Python 2's 't' strings, which 'R' refers to
        self.depth = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise NotBytecode("truncated")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def int32(self) -> int:
        return struct.unpack("<i", self.take(4))[0]

    def byte(self) -> int:
        return self.take(1)[0]

    def _keep(self, flag: bool, value, index: int | None = None):
        if index is not None:
            self.refs[index] = value
        elif flag:
            self.refs.append(value)
        return value

    def _reserve(self, flag: bool) -> int | None:
        if not flag:
            return None
        self.refs.append(None)
        return len(self.refs) - 1

    def obj(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise NotBytecode("constants nested too deeply")
        try:
            code = self.byte()
            flag = bool(code & FLAG_REF)
            kind = chr(code & ~FLAG_REF)
            if kind in "Rr":
                return self._reference(kind)
            if kind in "()[<>{c":
                return self._container(kind, flag)
            return self._keep(flag, self._scalar(kind))
        finally:
            self.depth -= 1

    def _scalar(self, kind: str):
        if kind in "NFTS.":
            return {"N": None, "F": False, "T": True, ".": Ellipsis, "S": StopIteration}[kind]
        if kind == "i":
            return self.int32()
        if kind == "I":
            return struct.unpack("<q", self.take(8))[0]
        if kind == "l":
            n = self.int32()
            digits = struct.unpack(f"<{abs(n)}H", self.take(2 * abs(n)))
            if any(d >= 1 << 15 for d in digits):
                raise NotBytecode("bad long digit")
            value = sum(d << (15 * i) for i, d in enumerate(digits))
            return -value if n < 0 else value
        if kind == "g":
            return struct.unpack("<d", self.take(8))[0]
        if kind == "f":
            return _float_text(self.take(self.byte()))
        if kind == "y":
            real, imag = struct.unpack("<dd", self.take(16))
            return complex(real, imag)
        if kind == "x":
            real = _float_text(self.take(self.byte()))
            return complex(real, _float_text(self.take(self.byte())))
        if kind == "s":
            return self.take(self.int32())
        if kind == "t":
            raw = self.take(self.int32())
            if self.layout == "2.7":  # a Python 2 str, interned: raw bytes like 's'
                self.interned.append(raw)
                return raw
            return _text(raw)
        if kind in "uaA":
            return _text(self.take(self.int32()))
        if kind in "zZ":
            return _text(self.take(self.byte()))
        raise NotBytecode(f"unknown marshal type {kind!r}")

    def _reference(self, kind: str):
        index = self.int32()
        table = self.interned if kind == "R" else self.refs
        if not 0 <= index < len(table) or table[index] is None:
            raise NotBytecode("bad reference")
        return table[index]

    def _container(self, kind: str, flag: bool):
        if kind == "{":
            index = self._reserve(flag)
            items = []
            while self.data[self.pos : self.pos + 1] != b"0":
                key = self.obj()
                items.append((key, self.obj()))
            self.pos += 1
            return self._keep(flag, {"dict": tuple(items)}, index)
        if kind == "c":
            index = self._reserve(flag)
            return self._keep(flag, self.code(), index)
        n = self.byte() if kind == ")" else self.int32()
        if n < 0:
            raise NotBytecode("bad length")
        index = self._reserve(flag)
        items = tuple(self.obj() for _ in range(n))
        value = list(items) if kind == "[" else MarshalSet(items, kind == ">") if kind in "<>" else items
        return self._keep(flag, value, index)

    def code(self) -> CodeObject:
        out = CodeObject(layout=self.layout)
        for name in HEADS[self.layout]:
            value = self.int32()
            if name != "stacksize" and value < 0:
                raise NotBytecode(f"negative {name}")
            out.extra[name] = value
        for name in BODY_311 if self.layout == "3.11+" else BODY:
            out.extra[name] = self.int32() if name == "firstlineno" else self.obj()
        return _finish(out)


def _finish(out: CodeObject) -> CodeObject:
    raw = out.extra
    for name in ("argcount", "posonlyargcount", "kwonlyargcount", "flags", "firstlineno"):
        setattr(out, name, raw.get(name, 0))
    out.code = _bytes(raw["code"], "co_code")
    out.consts = _tuple(raw["consts"], "co_consts")
    out.names = _strings(raw["names"], "co_names")
    out.filename, out.name, out.qualname = (_str(raw.get(k)) for k in ("filename", "name", "qualname"))
    if out.layout == "3.11+":
        out.localsplusnames = _strings(raw["localsplusnames"], "co_localsplusnames")
        kinds = _bytes(raw["localspluskinds"], "co_localspluskinds")
        if len(kinds) != len(out.localsplusnames):
            raise NotBytecode("co_localspluskinds does not match co_localsplusnames")
        pairs = list(zip(out.localsplusnames, kinds))
        out.varnames = tuple(n for n, k in pairs if k & CO_FAST_LOCAL)
        out.cellvars = tuple(n for n, k in pairs if k & CO_FAST_CELL)
        out.freevars = tuple(n for n, k in pairs if k & CO_FAST_FREE)
        out.linetable = _bytes(raw["linetable"], "co_linetable")
        out.exceptiontable = _bytes(raw["exceptiontable"], "co_exceptiontable")
    else:
        out.varnames = _strings(raw["varnames"], "co_varnames")
        out.freevars = _strings(raw["freevars"], "co_freevars")
        out.cellvars = _strings(raw["cellvars"], "co_cellvars")
        out.linetable = _bytes(raw["lnotab"], "co_lnotab")
    if out.argcount + out.kwonlyargcount > len(out.varnames) or out.posonlyargcount > out.argcount:
        raise NotBytecode("more parameters than local names")
    return out


def read_code(data: bytes, layout: str) -> CodeObject:
    """The code object `data` holds under `layout`; NotBytecode unless it fits exactly."""
    reader = Reader(data, layout)
    try:
        value = reader.obj()
    except (struct.error, OverflowError, RecursionError, MemoryError) as exc:
        raise NotBytecode(f"malformed marshal data ({type(exc).__name__})") from None
    if reader.pos != len(data) or not isinstance(value, CodeObject):
        raise NotBytecode("not exactly one code object")
    return value


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _float_text(raw: bytes) -> float:
    try:
        return float(raw.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        raise NotBytecode("bad float") from None


def _bytes(value, what: str) -> bytes:
    if isinstance(value, bytes):
        return value
    raise NotBytecode(f"{what} is not bytes")


def _tuple(value, what: str) -> tuple:
    if isinstance(value, tuple):
        return value
    raise NotBytecode(f"{what} is not a tuple")


def _strings(value, what: str) -> tuple:
    items = _tuple(value, what)
    out = tuple(_text(v) if isinstance(v, bytes) else v for v in items)
    if not all(isinstance(v, str) for v in out):
        raise NotBytecode(f"{what} holds a non-string")
    return out


def _str(value) -> str | None:
    if isinstance(value, bytes):
        return _text(value)
    return value if isinstance(value, str) else None
