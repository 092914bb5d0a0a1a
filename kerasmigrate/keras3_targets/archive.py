"""A `.keras` archive with a new config.json and metadata.json, every other member copied as stored
(`retarget.repair_archive` writes it)."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

CONFIG = "config.json"
METADATA = "metadata.json"


def write_archive(source: Path, tmp: Path, config: dict, metadata: dict) -> None:
    """`source` with a new config.json and metadata.json; every other member copied as stored."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(tmp, "w") as dst:
        for info in src.infolist():
            if info.filename in (CONFIG, METADATA):
                dst.writestr(copy_info(info), json.dumps(config if info.filename == CONFIG else metadata))
                continue
            with (
                src.open(info) as fin,
                dst.open(copy_info(info), "w", force_zip64=info.file_size > zipfile.ZIP64_LIMIT) as fout,
            ):
                shutil.copyfileobj(fin, fout, 16 << 20)
        if METADATA not in src.namelist():
            dst.writestr(METADATA, json.dumps(metadata))


def copy_info(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    new = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    new.compress_type = info.compress_type
    new.external_attr = info.external_attr
    new.create_system = info.create_system
    return new
