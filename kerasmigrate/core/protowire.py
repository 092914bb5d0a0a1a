"""A minimal reader of the protocol buffer wire format, for the few TensorFlow messages read here.

The SavedModel reader needs a handful of fields of a handful of messages
(core/savedmodel.py names them); generated TensorFlow modules would import
TensorFlow, so messages are decoded here into `{field number: [values]}`:
varints as `int`, length-delimited fields as `bytes` (a string, bytes, a
packed repeated field or a nested message: the caller knows which and decodes
again), fixed32/fixed64 as unsigned `int`. Groups (wire types 3 and 4,
deprecated) do not occur in the messages read and are refused.

Source: the encoding documented at protobuf.dev/programming-guides/encoding
(protocolbuffers/protobuf src/google/protobuf/wire_format_lite.h: tag =
field_number << 3 | wire_type; wire types 0 varint, 1 64-bit, 2
length-delimited, 5 32-bit).
"""

from __future__ import annotations

import struct


class ProtoError(ValueError):
    """The bytes are not a well-formed protocol buffer message (truncated or garbled)."""


Message = dict[int, list]


def read_varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    """The varint at `pos` and the position after it."""
    result = 0
    shift = 0
    end = len(buf)
    while True:
        if pos >= end:
            raise ProtoError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise ProtoError("varint longer than 10 bytes")


def parse(buf: bytes | memoryview) -> Message:
    """Decode one message into {field number: [values in order]}."""
    fields: Message = {}
    pos = 0
    end = len(buf)
    while pos < end:
        tag, pos = read_varint(buf, pos)
        number, wire = tag >> 3, tag & 7
        if number == 0:
            raise ProtoError("field number 0")
        if wire == 0:
            value, pos = read_varint(buf, pos)
        elif wire == 2:
            length, pos = read_varint(buf, pos)
            if pos + length > end:
                raise ProtoError(f"field {number}: {length} bytes announced, {end - pos} left")
            value = bytes(buf[pos : pos + length])
            pos += length
        elif wire == 5:
            if pos + 4 > end:
                raise ProtoError(f"field {number}: truncated fixed32")
            value = struct.unpack_from("<I", buf, pos)[0]
            pos += 4
        elif wire == 1:
            if pos + 8 > end:
                raise ProtoError(f"field {number}: truncated fixed64")
            value = struct.unpack_from("<Q", buf, pos)[0]
            pos += 8
        else:
            raise ProtoError(f"field {number}: wire type {wire} is not used by these messages")
        fields.setdefault(number, []).append(value)
    return fields


def first(msg: Message, number: int, default=None):
    """A singular field: protobuf keeps the last value seen."""
    values = msg.get(number)
    return values[-1] if values else default


def text(msg: Message, number: int, default: str = "") -> str:
    value = first(msg, number)
    if value is None:
        return default
    if not isinstance(value, bytes):
        raise ProtoError(f"field {number} is not a string")
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtoError(f"field {number} is not UTF-8 text ({exc})") from None


def message(msg: Message, number: int) -> Message:
    value = first(msg, number)
    if value is None:
        return {}
    if not isinstance(value, bytes):
        raise ProtoError(f"field {number} is not a message")
    return parse(value)


def messages(msg: Message, number: int) -> list[Message]:
    out = []
    for value in msg.get(number, []):
        if not isinstance(value, bytes):
            raise ProtoError(f"field {number} is not a message")
        out.append(parse(value))
    return out


def integer(msg: Message, number: int, default: int = 0, signed: bool = True) -> int:
    value = first(msg, number, default)
    if isinstance(value, bytes):
        raise ProtoError(f"field {number} is not an integer")
    if signed and value >= 1 << 63:  # int32/int64 negatives are 10-byte two's complement varints
        value -= 1 << 64
    return value
