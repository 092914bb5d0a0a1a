"""Write a Keras 3 `.keras` archive directly: metadata.json, config.json, model.weights.h5.

Format (keras/src/saving/saving_lib.py, Keras 3.15): a zip whose members are
stored uncompressed in the order metadata.json, config.json,
model.weights.h5; the weights file holds `<path>/vars/<i>` datasets and,
since Keras 3.6, a `name` attribute on every `vars` group.

* Streaming: each weight is copied from the source dataset in blocks, so peak
  memory is one block, not the model; the HDF5 file is written once, in place
  inside the archive.
* Atomic: everything is written to temporary files beside the output and
  renamed into place only when complete; a failure leaves no output.
* Deterministic: fixed zip timestamps and permissions, sorted JSON, no HDF5
  timestamps; the same input gives byte-identical output.
"""

from __future__ import annotations

import io
import json
import zipfile
import zlib
from pathlib import Path

import h5py
import numpy as np

from kerasmigrate.core.atomic import atomic_output
from kerasmigrate.core.layout import WeightPlan

# Set so that the output depends on the input only (Keras never reads it back).
DATE_SAVED = "1980-01-01@00:00:00"

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
COPY_BLOCK_BYTES = 16 * 1024 * 1024


def _copy_dataset(source: h5py.Dataset, group: h5py.Group, name: str) -> None:
    """Copy one dataset block by block along its first axis."""
    shape = source.shape
    dtype = source.dtype
    target = group.create_dataset(name, shape=shape, dtype=dtype, track_times=False)
    if source.size == 0:
        return
    if len(shape) == 0:
        target[()] = source[()]
        return
    row_bytes = max(1, int(np.prod(shape[1:], dtype=np.int64)) * dtype.itemsize)
    rows = max(1, COPY_BLOCK_BYTES // row_bytes)
    for start in range(0, shape[0], rows):
        stop = min(shape[0], start + rows)
        target[start:stop] = source[start:stop]


def write_weights_h5(target, plan: WeightPlan, open_dataset) -> None:
    """model.weights.h5 from the plan, to a path or a binary file object.

    `open_dataset(ref)` gives the source dataset. The earliest HDF5 format
    stores no timestamps in object headers, which keeps the output
    deterministic.
    """
    with h5py.File(target, "w", libver="earliest") as f:
        for group in plan.groups:
            g = f.require_group(group.path)
            g.attrs["name"] = group.name
            index = 0
            for slot in group.slots:
                if slot.ref is None:
                    continue
                if slot.store_key:
                    _copy_dataset(open_dataset(slot.ref), g, slot.store_key)
                else:
                    _copy_dataset(open_dataset(slot.ref), g, str(index))
                    index += 1


def _json_bytes(obj) -> bytes:
    return json.dumps(obj, sort_keys=False, ensure_ascii=False).encode("utf-8")


def _zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o644 << 16
    info.create_system = 3
    return info


class _Window(io.RawIOBase):
    """The part of a file from `base` on, seen as a file of its own.

    h5py writes the weights file through it straight into its place inside the
    zip archive, so the 100 MB of a large model are written once, not twice.
    """

    def __init__(self, raw, base: int):
        super().__init__()
        self._raw = raw
        self._base = base
        self._pos = 0
        self.size = 0

    def readable(self):
        return True

    def writable(self):
        return True

    def seekable(self):
        return True

    def seek(self, pos, whence=io.SEEK_SET):
        if whence == io.SEEK_SET:
            self._pos = pos
        elif whence == io.SEEK_CUR:
            self._pos += pos
        else:
            self._pos = self.size + pos
        return self._pos

    def tell(self):
        return self._pos

    def readinto(self, buffer):
        self._raw.seek(self._base + self._pos)
        n = self._raw.readinto(buffer)
        self._pos += n
        return n

    def write(self, data):
        self._raw.seek(self._base + self._pos)
        n = self._raw.write(data)
        self._pos += n
        self.size = max(self.size, self._pos)
        return n

    def truncate(self, size=None):
        size = self._pos if size is None else size
        self._raw.truncate(self._base + size)
        self.size = size
        return size

    def flush(self):
        self._raw.flush()


def _crc32(raw, start: int, length: int) -> int:
    crc = 0
    raw.seek(start)
    while length:
        block = raw.read(min(length, COPY_BLOCK_BYTES))
        crc = zlib.crc32(block, crc)
        length -= len(block)
    return crc


def write_keras_archive(output: Path, config: dict, metadata: dict, plan: WeightPlan, open_dataset) -> None:
    """Write the archive atomically to `output`.

    metadata.json and config.json go through `zipfile` as usual. The weights
    member is laid out by hand: its local header is reserved, h5py writes the
    HDF5 file right after it, then the header is filled in (CRC, size) and the
    entry handed to `zipfile` for the central directory (`filelist`,
    `NameToInfo`, `start_dir`: the attributes its own `write` maintains).
    """
    output = Path(output)
    zip64 = plan.total_bytes() + (64 << 20) > zipfile.ZIP64_LIMIT
    with atomic_output(output) as tmp_zip, open(tmp_zip, "w+b") as raw:
        zf = zipfile.ZipFile(raw, "w")
        try:
            zf.writestr(_zip_info("metadata.json"), _json_bytes(metadata))
            zf.writestr(_zip_info("config.json"), _json_bytes(config))
            info = _zip_info("model.weights.h5")
            info.header_offset = raw.tell()
            info.CRC = info.file_size = info.compress_size = 0
            data_start = info.header_offset + len(info.FileHeader(zip64))
            window = _Window(raw, data_start)
            write_weights_h5(window, plan, open_dataset)
            info.file_size = info.compress_size = window.size
            info.CRC = _crc32(raw, data_start, window.size)
            raw.seek(info.header_offset)
            raw.write(info.FileHeader(zip64))
            raw.seek(data_start + window.size)
            zf.filelist.append(info)
            zf.NameToInfo[info.filename] = info
            zf.start_dir = raw.tell()
            zf.close()
        except BaseException:
            zf.fp = None  # abandon the archive (a full disk, an error): no central directory is written
            raise
