"""What a Lambda layer's stored function says about itself, for a person writing a mapping.

The stored value is decoded as kerasmigrate/lambdas/bytecode/stream.py reads it: the
base64 string Keras 2 / tf.keras write (or the `[code, defaults, closure]` list), or the
raw dump Keras 1 and early Keras 2 kept as text (keras 2.0 keras/utils/generic_utils.py
`func_load`: `code.encode('raw_unicode_escape')`).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from kerasmigrate.lambdas.bytecode.stream import FLAG_REF, HEADS, CodeObject, MarshalSet, NotBytecode, read_code


@dataclass
class CodeInfo:
    python: str  # the Python versions whose marshal layout this is
    name: str | None = None
    qualname: str | None = None
    filename: str | None = None
    names: list[str] = field(default_factory=list)  # globals and attributes it uses
    constants: list = field(default_factory=list)  # numbers and strings it holds


def stored_bytes(encoded) -> bytes:
    """The marshal bytes of a Lambda's stored `function` value; NotBytecode when it holds none."""
    if isinstance(encoded, (list, tuple)) and encoded:
        encoded = encoded[0]
    if not isinstance(encoded, str):
        raise NotBytecode("not a base64 string")
    try:
        data = base64.b64decode("".join(encoded.split()).encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        try:
            data = encoded.encode("raw_unicode_escape")
        except UnicodeEncodeError as exc:
            raise NotBytecode(f"neither base64 nor raw bytecode ({exc})") from None
    if not data or (data[0] & ~FLAG_REF) != ord("c"):
        raise NotBytecode("not a marshalled code object")
    return data


def read_layout(data: bytes) -> CodeObject:
    """The code object under the one marshal layout it fits; NotBytecode if none or several."""
    fits = []
    for layout in HEADS:
        try:
            fits.append(read_code(data, layout))
        except NotBytecode:
            continue
    if len(fits) != 1:
        raise NotBytecode(
            "the code object matches no known Python layout"
            if not fits
            else "the code object matches several Python layouts"
        )
    return fits[0]


def describe(encoded) -> CodeInfo:
    """CodeInfo of a Lambda's stored function (the base64 string, or the [code, defaults,
    closure] list Keras stores); raises NotBytecode when the value is not one."""
    code = read_layout(stored_bytes(encoded))
    return CodeInfo(
        python=code.layout,
        name=code.name,
        qualname=code.qualname,
        filename=code.filename,
        names=list(code.names),
        constants=_constants(code.consts, code.layout),
    )


def _constants(consts, layout: str) -> list:
    out = []
    for c in consts or ():
        if isinstance(c, bool) or c is None:
            continue
        if isinstance(c, bytes) and layout == "2.7":
            c = c.decode("utf-8", errors="replace")  # a Python 2 str
        if isinstance(c, (int, float, str)):
            out.append(c)
        elif isinstance(c, (tuple, list)):
            out.extend(_constants(c, layout))
        elif isinstance(c, MarshalSet):
            out.extend(_constants(c.items, layout))
    return out
