"""Write a Keras 3 `.keras` archive directly: metadata.json, config.json, model.weights.h5.

Format (keras/src/saving/saving_lib.py, Keras 3.15): a zip whose members are
stored uncompressed in the order metadata.json, config.json,
model.weights.h5; the weights file holds `<path>/vars/<i>` datasets and,
since Keras 3.6, a `name` attribute on every `vars` group.

* Streaming: each weight is copied from the source dataset in blocks, so peak
  memory is one block, not the model.
* Atomic: everything is written to temporary files beside the output and
  renamed into place only when complete; a failure leaves no output.
* Deterministic: fixed zip timestamps and permissions, sorted JSON, no HDF5
  timestamps; the same input gives byte-identical output.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path

import h5py
import numpy as np

from kerasmigrate.layout import WeightPlan

ZIP_DATE = (1980, 1, 1, 0, 0, 0)
COPY_BLOCK_BYTES = 16 * 1024 * 1024


@contextmanager
def atomic_output(path: Path):
    """Yield a temporary path beside `path`; rename it to `path` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _copy_dataset(source: h5py.Dataset, group: h5py.Group, name: str) -> None:
    """Copy one dataset block by block along its first axis."""
    shape = source.shape
    dtype = source.dtype
    target = group.create_dataset(name, shape=shape, dtype=dtype)
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


def write_weights_h5(path: Path, plan: WeightPlan, open_dataset) -> None:
    """model.weights.h5 from the plan; `open_dataset(ref)` gives the source dataset."""
    # track_times=False keeps HDF5 object headers free of timestamps (determinism).
    with h5py.File(path, "w", libver="earliest", track_order=False) as f:
        for group in plan.groups:
            g = f.require_group(group.path)
            g.attrs["name"] = group.name
            index = 0
            for slot in group.slots:
                if slot.ref is None:
                    continue
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


def write_keras_archive(output: Path, config: dict, metadata: dict, plan: WeightPlan,
                        open_dataset) -> None:
    """Write the archive atomically to `output`."""
    output = Path(output)
    with atomic_output(output) as tmp_zip:
        with tempfile.TemporaryDirectory(dir=output.parent, prefix=".kerasmigrate-") as work:
            weights_path = Path(work) / "model.weights.h5"
            write_weights_h5(weights_path, plan, open_dataset)
            with zipfile.ZipFile(tmp_zip, "w") as zf:
                zf.writestr(_zip_info("metadata.json"), _json_bytes(metadata))
                zf.writestr(_zip_info("config.json"), _json_bytes(config))
                size = weights_path.stat().st_size
                with open(weights_path, "rb") as src, \
                        zf.open(_zip_info("model.weights.h5"), "w", force_zip64=size > 2**31) as dst:
                    shutil.copyfileobj(src, dst, COPY_BLOCK_BYTES)
