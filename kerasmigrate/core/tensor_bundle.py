"""Read TensorFlow's tensor bundle (a checkpoint's `variables.index` + `variables.data-*`) without TensorFlow.

The index is an immutable sorted table in LevelDB's format, written by
TensorFlow's own copy of LevelDB's table builder; the data files are the
tensors' bytes one after the other. Sources followed
(tensorflow/tensorflow, the same code in tsl/ and, before TF 2.11, core/lib/io/):

* tensorflow/tsl/lib/io/format.cc, format.h: the footer is the last 48 bytes
  (metaindex and index BlockHandles as varint64 pairs, padded to 40 bytes,
  then the magic number 0xdb4775248b80fb57 as two little-endian fixed32);
  each block is followed by a 5-byte trailer: compression type (0 none,
  1 snappy) and the masked CRC32C of block and type.
* tensorflow/tsl/lib/io/block_builder.cc, block.cc: a block is entries
  `varint32 shared, varint32 non_shared, varint32 value_length, key delta,
  value`, then the restart offsets (fixed32 each) and their count (fixed32).
* tensorflow/tsl/lib/io/table_builder.cc: the index block maps a separator
  key to the BlockHandle of each data block.
* tensorflow/core/util/tensor_bundle/tensor_bundle.cc: the bundle writer uses
  no compression; key "" holds a BundleHeaderProto, every other key a
  BundleEntryProto (tensorflow/core/protobuf/tensor_bundle.proto: dtype 1,
  shape 2, shard_id 3, offset 4, size 5, crc32c 6, slices 7); shard files
  are `<prefix>.data-%05d-of-%05d`; numeric tensors are stored as their raw
  little-endian bytes; string tensors as varint64 lengths, a fixed32
  checksum of the lengths, then the bytes (`WriteStringTensor`).
* tensorflow/core/framework/types.proto: the DataType numbers below.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kerasmigrate.core import protowire
from kerasmigrate.core.protowire import ProtoError
from kerasmigrate.core.safe_open import open_regular, read_regular

TABLE_MAGIC = 0xDB4775248B80FB57
FOOTER_LENGTH = 48
BLOCK_TRAILER = 5

# tensorflow/core/framework/types.proto
DTYPES: dict[int, str] = {
    1: "<f4",  # DT_FLOAT
    2: "<f8",  # DT_DOUBLE
    3: "<i4",  # DT_INT32
    4: "|u1",  # DT_UINT8
    5: "<i2",  # DT_INT16
    6: "|i1",  # DT_INT8
    9: "<i8",  # DT_INT64
    10: "|b1",  # DT_BOOL
    17: "<u2",  # DT_UINT16
    19: "<f2",  # DT_HALF
    22: "<u4",  # DT_UINT32
    23: "<u8",  # DT_UINT64
}
DT_STRING = 7
DTYPE_NAMES = {14: "bfloat16", 8: "complex64", 18: "complex128", 20: "resource", 21: "variant"}


class BundleError(ValueError):
    """The checkpoint is not readable: which file and why."""

    def __init__(self, path: Path | str, message: str):
        self.path = str(path)
        self.message = message
        super().__init__(f"{path}: {message}")


# --- CRC32C (Castagnoli), for the table's block trailers --------------------------------------


def _crc_table() -> list[int]:
    table = []
    for i in range(256):
        crc = i
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _crc_table()


def crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    table = _CRC_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def unmask_crc(masked: int) -> int:
    # tensorflow/tsl/lib/hash/crc32c.h `Unmask`
    rot = (masked - 0xA282EAD8) & 0xFFFFFFFF
    return ((rot >> 17) | (rot << 15)) & 0xFFFFFFFF


# --- The table ---------------------------------------------------------------------------------


def _block_handle(buf: bytes, pos: int) -> tuple[int, int, int]:
    offset, pos = protowire.read_varint(buf, pos)
    size, pos = protowire.read_varint(buf, pos)
    return offset, size, pos


def _read_block(path: Path, data: bytes, offset: int, size: int) -> bytes:
    end = offset + size + BLOCK_TRAILER
    if offset < 0 or end > len(data):
        raise BundleError(path, f"a table block ({offset}+{size}) lies beyond the end of the file ({len(data)} bytes)")
    block = data[offset : offset + size]
    kind = data[offset + size]
    (masked,) = struct.unpack_from("<I", data, offset + size + 1)
    if unmask_crc(masked) != crc32c(block + bytes([kind])):
        raise BundleError(path, f"the table block at offset {offset} fails its CRC32C check (damaged file)")
    if kind != 0:
        raise BundleError(
            path,
            f"the table block at offset {offset} is compressed (type {kind}); TensorFlow's bundle writer never does that",
        )
    return block


def _block_entries(path: Path, block: bytes) -> list[tuple[bytes, bytes]]:
    if len(block) < 4:
        raise BundleError(path, "a table block is shorter than its restart count")
    (num_restarts,) = struct.unpack_from("<I", block, len(block) - 4)
    limit = len(block) - 4 * (1 + num_restarts)
    if limit < 0:
        raise BundleError(path, f"a table block announces {num_restarts} restart points, more than it can hold")
    entries = []
    key = b""
    pos = 0
    try:
        while pos < limit:
            shared, pos = protowire.read_varint(block, pos)
            non_shared, pos = protowire.read_varint(block, pos)
            value_length, pos = protowire.read_varint(block, pos)
            if shared > len(key) or pos + non_shared + value_length > limit:
                raise BundleError(path, "a table entry runs past its block (damaged index)")
            key = key[:shared] + block[pos : pos + non_shared]
            pos += non_shared
            entries.append((key, block[pos : pos + value_length]))
            pos += value_length
    except ProtoError as exc:
        raise BundleError(path, f"a table entry cannot be read ({exc})") from None
    return entries


def read_table(path: Path, within: Path | None = None) -> dict[bytes, bytes]:
    """Every key and value of an SSTable file (the whole index of a bundle: it is small), a regular
    file (inside `within`, if given)."""
    try:
        data = read_regular(path, within)
    except OSError as exc:
        raise BundleError(path, f"cannot be read: {exc}") from None
    if len(data) < FOOTER_LENGTH:
        raise BundleError(path, f"is {len(data)} bytes, shorter than a table footer: truncated or not an index")
    footer = data[-FOOTER_LENGTH:]
    low, high = struct.unpack_from("<II", footer, 40)
    if (high << 32 | low) != TABLE_MAGIC:
        raise BundleError(path, "does not end with the table magic number: truncated, or not a checkpoint index")
    try:
        _, _, pos = _block_handle(footer, 0)  # metaindex: empty in bundles
        index_offset, index_size, _ = _block_handle(footer, pos)
    except ProtoError as exc:
        raise BundleError(path, f"the table footer cannot be read ({exc})") from None
    table: dict[bytes, bytes] = {}
    for _, handle in _block_entries(path, _read_block(path, data, index_offset, index_size)):
        try:
            offset, size, _ = _block_handle(handle, 0)
        except ProtoError as exc:
            raise BundleError(path, f"an index entry cannot be read ({exc})") from None
        for key, value in _block_entries(path, _read_block(path, data, offset, size)):
            table[key] = value
    return table


# --- The bundle -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BundleEntry:
    key: str
    dtype: int  # a DataType number
    shape: tuple[int, ...]
    shard_id: int
    offset: int
    size: int
    crc32c: int | None
    sliced: bool

    @property
    def numpy_dtype(self) -> str | None:
        return DTYPES.get(self.dtype)

    @property
    def dtype_name(self) -> str:
        if self.dtype in DTYPES:
            return str(np.dtype(DTYPES[self.dtype]))
        if self.dtype == DT_STRING:
            return "string"
        return DTYPE_NAMES.get(self.dtype, f"DataType {self.dtype}")


def _shape(msg: protowire.Message) -> tuple[int, ...]:
    # tensorflow/core/framework/tensor_shape.proto: dim 2 {size 1, name 2}, unknown_rank 3
    return tuple(protowire.integer(dim, 1) for dim in protowire.messages(msg, 2))


class TensorBundle:
    """A checkpoint `<prefix>.index` with its data shards; tensors are read on demand. Each is
    opened only if it is a regular file (inside `within`, if given: the SavedModel directory)."""

    def __init__(self, prefix: str | Path, within: Path | None = None):
        self.prefix = Path(prefix)
        self.within = within
        self.index_path = Path(f"{prefix}.index")
        if not self.index_path.exists():
            raise BundleError(self.index_path, "is missing: the checkpoint has no index")
        table = read_table(self.index_path, within)
        if b"" not in table:
            raise BundleError(self.index_path, "has no bundle header (key ''): not a TensorFlow checkpoint index")
        try:
            header = protowire.parse(table.pop(b""))
            self.num_shards = protowire.integer(header, 1, 1)
            if protowire.integer(header, 2, 0) != 0:
                raise BundleError(self.index_path, "the checkpoint is big-endian; only little-endian bundles are read")
            self.entries: dict[str, BundleEntry] = {}
            for raw_key, value in table.items():
                key = raw_key.decode("utf-8")
                msg = protowire.parse(value)
                crc = protowire.integer(msg, 6, signed=False) if 6 in msg else None
                self.entries[key] = BundleEntry(
                    key,
                    protowire.integer(msg, 1),
                    _shape(protowire.message(msg, 2)),
                    protowire.integer(msg, 3),
                    protowire.integer(msg, 4),
                    protowire.integer(msg, 5),
                    crc,
                    bool(msg.get(7)),
                )
        except (ProtoError, UnicodeDecodeError) as exc:
            raise BundleError(self.index_path, f"an index entry is garbled ({exc})") from None

    def shard_path(self, shard_id: int) -> Path:
        return Path(f"{self.prefix}.data-{shard_id:05d}-of-{self.num_shards:05d}")

    def _raw(self, entry: BundleEntry) -> bytes:
        if entry.sliced:
            raise BundleError(self.index_path, f"{entry.key} is a partitioned variable (slices); not supported")
        path = self.shard_path(entry.shard_id)
        try:
            with open_regular(path, self.within) as f:
                # the index's size is checked against the file before anything is allocated for it
                fits = 0 <= entry.offset and 0 <= entry.size <= os.fstat(f.fileno()).st_size - entry.offset
                f.seek(entry.offset)
                raw = f.read(entry.size) if fits else b""
        except OSError as exc:
            raise BundleError(path, f"cannot be read ({exc}); the checkpoint is incomplete") from None
        if not fits or len(raw) != entry.size:
            raise BundleError(
                path, f"ends before {entry.key} ({entry.size} bytes at offset {entry.offset}): the file is truncated"
            )
        return raw

    def read(self, key: str) -> np.ndarray:
        """One tensor, bit for bit as stored (numeric) or as an object array of bytes (strings)."""
        entry = self.entries.get(key)
        if entry is None:
            raise BundleError(self.index_path, f"has no tensor {key!r}")
        raw = self._raw(entry)
        count = int(np.prod(entry.shape, dtype=np.int64))
        if entry.dtype == DT_STRING:
            return self._strings(entry, raw, count)
        if entry.numpy_dtype is None:
            raise BundleError(self.index_path, f"{key} has dtype {entry.dtype_name}, which cannot be read as an array")
        dtype = np.dtype(entry.numpy_dtype)
        if count * dtype.itemsize != entry.size:
            raise BundleError(
                self.index_path,
                f"{key}: shape {entry.shape} of {dtype} needs {count * dtype.itemsize} bytes, the index says {entry.size}",
            )
        if entry.crc32c is not None and entry.size <= 1 << 16 and unmask_crc(entry.crc32c) != crc32c(raw):
            raise BundleError(self.shard_path(entry.shard_id), f"{key} fails its CRC32C check (damaged data)")
        return np.frombuffer(raw, dtype=dtype).reshape(entry.shape)

    def _strings(self, entry: BundleEntry, raw: bytes, count: int) -> np.ndarray:
        lengths = []
        pos = 0
        try:
            for _ in range(count):
                length, pos = protowire.read_varint(raw, pos)
                lengths.append(length)
        except ProtoError as exc:
            raise BundleError(self.shard_path(entry.shard_id), f"{entry.key}: string lengths garbled ({exc})") from None
        pos += 4  # checksum of the lengths
        values = []
        for length in lengths:
            if pos + length > len(raw):
                raise BundleError(self.shard_path(entry.shard_id), f"{entry.key}: a string runs past its tensor")
            values.append(raw[pos : pos + length])
            pos += length
        out = np.empty(count, dtype=object)
        out[:] = values
        return out.reshape(entry.shape)
