"""What a Lambda layer's stored bytecode says about itself, read without running it.

Keras 2 and tf.keras store a Lambda's function as `marshal.dumps(func.__code__)`,
base64-encoded (keras 2.3.1 keras/utils/generic_utils.py and tf_keras
tf_keras/src/utils/generic_utils.py `func_dump`). That stream has no magic
number (a `.pyc` file has one, a bare marshal dump does not), and its layout
changes with the Python version that wrote it, which is why only that
Python minor version can load it.

This module never calls `marshal.loads` and never creates a code object: it
walks the byte stream as data (CPython Python/marshal.c `r_object`), and
recognises the writer by the code object's header, whose fields changed in
Python 3.0 (`co_kwonlyargcount`), 3.8 (`co_posonlyargcount`) and 3.11 (no
`co_nlocals`; `co_localsplusnames`, `co_qualname`, `co_exceptiontable`;
Python/marshal.c `w_object` of each release). It reports the function's
name, the global and attribute names it uses and its simple constants:
enough for a person to recognise `lambda x: x * 2` and write a mapping.
"""

from __future__ import annotations

import base64
import binascii
import struct
from dataclasses import dataclass, field

FLAG_REF = 0x80

# Code object layouts: (label, leading int32 fields, objects after them, with
# "int" for a raw int32 field).
LAYOUTS = [
    ("2.7", 4, ["code", "consts", "names", "varnames", "freevars", "cellvars", "filename", "name", "int", "lnotab"]),
    (
        "3.0-3.7",
        5,
        ["code", "consts", "names", "varnames", "freevars", "cellvars", "filename", "name", "int", "lnotab"],
    ),
    (
        "3.8-3.10",
        6,
        ["code", "consts", "names", "varnames", "freevars", "cellvars", "filename", "name", "int", "lnotab"],
    ),
    (
        "3.11+",
        5,
        [
            "code",
            "consts",
            "names",
            "localsplusnames",
            "localspluskinds",
            "filename",
            "name",
            "qualname",
            "int",
            "linetable",
            "exceptiontable",
        ],
    ),
]


class NotBytecode(ValueError):
    """The stored value is not a marshalled code object this reader understands."""


@dataclass
class CodeInfo:
    python: str  # the Python versions whose marshal layout this is
    name: str | None = None
    qualname: str | None = None
    filename: str | None = None
    names: list[str] = field(default_factory=list)  # globals and attributes it uses
    constants: list = field(default_factory=list)  # numbers and strings it holds


class _Reader:
    def __init__(self, data: bytes, layout):
        self.data = data
        self.pos = 0
        self.layout = layout
        self.refs: list = []

    def take(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise NotBytecode("truncated")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def int32(self) -> int:
        return struct.unpack("<i", self.take(4))[0]

    def byte(self) -> int:
        return self.take(1)[0]

    def _reserve(self, flag: bool) -> int | None:
        if not flag:
            return None
        self.refs.append(None)
        return len(self.refs) - 1

    def _keep(self, flag: bool, value, index: int | None = None):
        if index is not None:
            self.refs[index] = value
        elif flag:
            self.refs.append(value)
        return value

    def obj(self):
        code = self.byte()
        flag = bool(code & FLAG_REF)
        kind = chr(code & ~FLAG_REF)
        if kind in "Rr":
            return self._reference(kind)
        if kind in "()[<>{c":
            return self._container(kind, flag)
        return self._keep(flag, self._scalar(kind))

    def _scalar(self, kind: str):
        if kind in "0NFTS.":
            return {"N": None, "F": False, "T": True}.get(kind)
        if kind == "i":
            return self.int32()
        if kind == "I":
            return struct.unpack("<q", self.take(8))[0]
        if kind == "l":
            n = self.int32()
            digits = self.take(2 * abs(n))
            value = sum(struct.unpack("<H", digits[2 * i : 2 * i + 2])[0] << (15 * i) for i in range(abs(n)))
            return -value if n < 0 else value
        if kind == "g":
            return struct.unpack("<d", self.take(8))[0]
        if kind == "f":
            return float(self.take(self.byte()).decode("ascii"))
        if kind == "y":
            self.take(16)
            return None
        if kind == "x":
            self.take(self.byte())
            self.take(self.byte())
            return None
        if kind in "st":
            raw = self.take(self.int32())
            return raw if kind == "s" and self.layout[0] != "2.7" else _text(raw)
        if kind in "uaA":
            return _text(self.take(self.int32()))
        if kind in "zZ":
            return _text(self.take(self.byte()))
        raise NotBytecode(f"unknown marshal type {kind!r}")

    def _reference(self, kind: str):
        index = self.int32()
        if kind == "R":  # Python 2 interned-string reference
            return self.refs[index] if 0 <= index < len(self.refs) else None
        if not 0 <= index < len(self.refs):
            raise NotBytecode("bad reference")
        return self.refs[index]

    def _container(self, kind: str, flag: bool):
        if kind in "()[<>":
            n = self.byte() if kind == ")" else self.int32()
            if n < 0:
                raise NotBytecode("bad length")
            index = self._reserve(flag)
            items = [self.obj() for _ in range(n)]
            return self._keep(flag, tuple(items), index)
        if kind == "{":
            index = self._reserve(flag)
            items = {}
            while True:
                if self.data[self.pos : self.pos + 1] == b"0":
                    self.pos += 1
                    break
                key = self.obj()
                items[repr(key)] = self.obj()
            return self._keep(flag, items, index)
        index = self._reserve(flag)  # "c": a code object
        return self._keep(flag, self.code(), index)

    def code(self) -> dict:
        _, ints, fields = self.layout
        for _ in range(ints):
            self.int32()
        out = {}
        for name in fields:
            out[name] = self.int32() if name == "int" else self.obj()
        return out


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", errors="replace")


def _constants(consts) -> list:
    out = []
    for c in consts or ():
        if isinstance(c, bool) or c is None:
            continue
        if isinstance(c, (int, float, str)):
            out.append(c)
        elif isinstance(c, tuple):
            out.extend(_constants(c))
    return out


def describe(encoded) -> CodeInfo:
    """CodeInfo of a Lambda's stored function (the base64 string, or the [code, defaults,
    closure] list Keras stores); raises NotBytecode when the value is not one."""
    if isinstance(encoded, (list, tuple)) and encoded:
        encoded = encoded[0]
    if not isinstance(encoded, str):
        raise NotBytecode("not a base64 string")
    try:
        data = base64.b64decode("".join(encoded.split()).encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        # Keras 1 and early Keras 2 stored the raw dump as text (keras 2.0
        # keras/utils/generic_utils.py `func_load`: `code.encode('raw_unicode_escape')`).
        try:
            data = encoded.encode("raw_unicode_escape")
        except UnicodeEncodeError as exc:
            raise NotBytecode(f"neither base64 nor raw bytecode ({exc})") from None
    if not data or (data[0] & ~FLAG_REF) != ord("c"):
        raise NotBytecode("not a marshalled code object")
    fits = []
    for layout in LAYOUTS:
        reader = _Reader(data, layout)
        try:
            value = reader.obj()
        except (NotBytecode, struct.error, ValueError, IndexError, RecursionError):
            continue
        if reader.pos == len(data) and isinstance(value, dict):
            fits.append((layout[0], value))
    if len(fits) != 1:
        raise NotBytecode(
            "the code object matches no known Python layout"
            if not fits
            else "the code object matches several Python layouts"
        )
    python, code = fits[0]
    names = [n for n in (code.get("names") or ()) if isinstance(n, str)]
    return CodeInfo(
        python=python,
        name=_str(code.get("name")),
        qualname=_str(code.get("qualname")),
        filename=_str(code.get("filename")),
        names=names,
        constants=_constants(code.get("consts")),
    )


def _str(value) -> str | None:
    if isinstance(value, bytes):
        return _text(value)
    return value if isinstance(value, str) else None
