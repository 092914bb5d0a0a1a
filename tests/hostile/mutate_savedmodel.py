"""Mutations of SavedModel directories, driven by a `random.Random`.

A mutation edits a copy of a valid SavedModel:

* saved_model.pb or keras_metadata.pb at the protocol-buffer level: a path of nested
  length-delimited fields is followed down at random and one field there is changed (bytes
  flipped, inserted or dropped inside it, its wire type changed, its value replaced by a huge
  varint, cut short, dropped or repeated; a JSON string inside it mutated as mutate.mutate_json
  does), the enclosing lengths re-encoded so that the damage stays where it was made; or the
  file is truncated;
* variables/variables.index: the tensor bundle's table rewritten (valid blocks and CRCs) with
  an entry's BundleEntryProto mutated as above, an entry dropped or added, the header changed;
  or its bytes flipped or truncated (which its CRCs and footer must catch);
* a data shard truncated, extended, emptied or garbled.

Each returns a short description.
"""

from __future__ import annotations

import json
import random
import shutil
import struct
from pathlib import Path

from kerasmigrate.core import protowire
from kerasmigrate.core.tensor_bundle import TABLE_MAGIC, crc32c, read_table
from tests.hostile.mutate import mutate_json

HUGE_VARINTS = [2**63, 2**64 - 1, 2**31, 2**32 + 7, 10**15]
Field = tuple[int, int, object]  # (number, wire type, value: int or bytes)


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _fields(buf: bytes) -> list[Field] | None:
    """The fields of a message in order, or None where `buf` is not one."""
    out = []
    pos = 0
    try:
        while pos < len(buf):
            tag, pos = protowire.read_varint(buf, pos)
            number, wire = tag >> 3, tag & 7
            if number == 0 or wire not in (0, 1, 2, 5):
                return None
            if wire == 0:
                value, pos = protowire.read_varint(buf, pos)
            elif wire == 2:
                length, pos = protowire.read_varint(buf, pos)
                if pos + length > len(buf):
                    return None
                value, pos = buf[pos : pos + length], pos + length
            else:
                size = 8 if wire == 1 else 4
                if pos + size > len(buf):
                    return None
                value, pos = buf[pos : pos + size], pos + size
            out.append((number, wire, value))
    except protowire.ProtoError:
        return None
    return out


def _encode(fields: list[Field]) -> bytes:
    out = bytearray()
    for number, wire, value in fields:
        out += _varint(number << 3 | wire)
        if wire == 0:
            out += _varint(value)
        elif wire == 2:
            out += _varint(len(value)) + value
        else:
            out += value
    return bytes(out)


def _mutate_json_text(value: bytes, rnd: random.Random) -> tuple[bytes, str] | None:
    if not value.startswith(b"{"):
        return None
    try:
        tree = json.loads(value)
    except ValueError:
        return None
    done = mutate_json(tree, rnd)
    return json.dumps(tree).encode("utf-8"), f"JSON inside: {done}"


def _mutate_field(field: Field, rnd: random.Random) -> tuple[list[Field], str]:
    """One field changed: what replaces it (none, one or two fields) and what was done."""
    number, wire, value = field
    if wire == 2 and rnd.random() < 0.8 and (changed := _mutate_json_text(value, rnd)):
        return [(number, wire, changed[0])], changed[1]
    op = rnd.choice(["flip", "insert", "drop-bytes", "wire", "huge", "cut", "drop", "repeat"])
    if op == "drop":
        return [], f"drop field {number}"
    if op == "repeat":
        return [field, field], f"repeat field {number}"
    if op == "wire":
        new_wire = rnd.choice([w for w in (0, 1, 2, 5) if w != wire])
        payload = {0: 1, 1: b"\xff" * 8, 2: b"\x08\x01", 5: b"\xff" * 4}[new_wire]
        return [(number, new_wire, payload)], f"field {number}: wire type {wire} -> {new_wire}"
    if op == "huge":
        return [(number, 0, rnd.choice(HUGE_VARINTS))], f"field {number}: a huge varint"
    data = bytearray(value if isinstance(value, bytes) else _varint(value))
    if op == "cut":
        data = data[: rnd.randrange(len(data) + 1)]
    elif op == "insert":
        position = rnd.randrange(len(data) + 1)
        data[position:position] = bytes(rnd.randrange(256) for _ in range(rnd.choice([1, 3, 10])))
    elif op == "drop-bytes" and data:
        start = rnd.randrange(len(data))
        del data[start : start + rnd.choice([1, 2, 8])]
    elif data:
        data[rnd.randrange(len(data))] ^= 1 << rnd.randrange(8)
    return [(number, 2, bytes(data))], f"field {number}: {op} bytes"


def mutate_message(buf: bytes, rnd: random.Random, path: str = "", to_keras: bool | None = None) -> tuple[bytes, str]:
    """`buf` with one field, somewhere down a random path of nested messages, changed.

    Half of the paths (`to_keras`) lead to the Keras config: JSON strings deep inside
    (keras_metadata.pb; saved_model.pb's object graph before TF 2.5)."""
    fields = _fields(buf)
    if not fields:
        return buf[: rnd.randrange(len(buf) + 1)], f"{path or 'message'} cut short"
    to_keras = rnd.random() < 0.5 if to_keras is None else to_keras
    keras = [i for i, (_, wire, value) in enumerate(fields) if wire == 2 and b'"class_name"' in value]
    toward = to_keras and bool(keras)
    index = rnd.choice(keras) if toward else rnd.randrange(len(fields))
    number, wire, value = fields[index]
    nested = _fields(value) if wire == 2 and value and (toward or rnd.random() < 0.7) else None
    if nested:
        inner, done = mutate_message(value, rnd, f"{path}/{number}", to_keras)
        return _encode(fields[:index] + [(number, 2, inner)] + fields[index + 1 :]), done
    replacement, done = _mutate_field(fields[index], rnd)
    return _encode(fields[:index] + replacement + fields[index + 1 :]), f"{path}/{number}[{index}] {done}"


def _masked_crc(data: bytes) -> int:
    # tensorflow/tsl/lib/hash/crc32c.h `Mask`
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _block(entries: list[tuple[bytes, bytes]]) -> bytes:
    """A table block of sorted entries, no key sharing, one restart point; with its trailer."""
    out = bytearray()
    for key, value in entries:
        out += _varint(0) + _varint(len(key)) + _varint(len(value)) + key + value
    out += struct.pack("<II", 0, 1)
    return bytes(out) + b"\x00" + struct.pack("<I", _masked_crc(bytes(out) + b"\x00"))


def write_table(table: dict[bytes, bytes]) -> bytes:
    """An SSTable as TensorFlow's bundle writer lays it out: one data block, an empty
    metaindex, the index block, the footer (tensorflow/tsl/lib/io/format.cc)."""
    data = _block(sorted(table.items()))
    metaindex = _block([])
    last = max(table, default=b"")
    data_handle = _varint(0) + _varint(len(data) - 5)
    index = _block([(last, data_handle)])
    meta_at, index_at = len(data), len(data) + len(metaindex)
    handles = _varint(meta_at) + _varint(len(metaindex) - 5) + _varint(index_at) + _varint(len(index) - 5)
    footer = handles.ljust(40, b"\x00") + struct.pack("<II", TABLE_MAGIC & 0xFFFFFFFF, TABLE_MAGIC >> 32)
    return data + metaindex + index + footer


def _mutate_index(path: Path, rnd: random.Random) -> str:
    if rnd.random() < 0.25:
        return _mutate_bytes(path, rnd)
    table = read_table(path)
    key = rnd.choice(sorted(table))
    op = rnd.choice(["entry", "entry", "entry", "drop", "add"])
    if op == "drop":
        del table[key]
        done = f"drop entry {key!r}"
    elif op == "add":
        new = rnd.choice([b"\xff\xfe", b"layer-0/x/.ATTRIBUTES/VARIABLE_VALUE", key + b"/x"])
        table[new] = table[key]
        done = f"add entry {new!r} (a copy of {key!r})"
    else:
        table[key], what = mutate_message(table[key], rnd)
        done = f"entry {key!r}: {what}"
    path.write_bytes(write_table(table))
    return f"{path.name}: {done}"


def _mutate_bytes(path: Path, rnd: random.Random) -> str:
    data = bytearray(path.read_bytes())
    op = rnd.choice(["truncate", "extend", "empty", "garble"])
    if op == "truncate":
        data = data[: rnd.randrange(len(data) + 1)]
    elif op == "extend":
        data += bytes(rnd.choice([1, 100, 4096]))
    elif op == "empty":
        data = bytearray()
    else:
        for _ in range(rnd.choice([1, 8])):
            if data:
                data[rnd.randrange(len(data))] = rnd.randrange(256)
    path.write_bytes(bytes(data))
    return f"{path.name}: {op} ({len(data)} bytes now)"


def _mutate_proto_file(path: Path, rnd: random.Random) -> str:
    if rnd.random() < 0.1:
        return _mutate_bytes(path, rnd)
    data, done = mutate_message(path.read_bytes(), rnd)
    path.write_bytes(data)
    return f"{path.name}: {done}"


def mutate_savedmodel(source: Path, target: Path, rnd: random.Random, count: int | None = None) -> list[str]:
    """Copy a SavedModel directory to `target` with 1-3 mutations; returns their descriptions."""
    shutil.copytree(source, target)
    done = []
    for _ in range(count or rnd.choice([1, 1, 2, 3])):
        what = rnd.choice(["saved_model.pb"] * 3 + ["keras_metadata.pb"] * 4 + ["index"] * 2 + ["shard"])
        if what == "index":
            done.append(_mutate_index(target / "variables" / "variables.index", rnd))
        elif what == "shard":
            shards = sorted((target / "variables").glob("variables.data-*"))
            done.append(_mutate_bytes(rnd.choice(shards), rnd) if shards else "no shard")
        elif (target / what).is_file():
            done.append(_mutate_proto_file(target / what, rnd))
        else:
            done.append(f"no {what}")
    return done
