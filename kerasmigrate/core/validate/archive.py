"""Members of a `.keras` zip: plain relative names, once each, no links, bounded sizes."""

from __future__ import annotations

import stat
import zipfile

from kerasmigrate.core.validate.limits import MAX_ZIP_MEMBER_BYTES, MAX_ZIP_MEMBERS, MAX_ZIP_RATIO
from kerasmigrate.errors import UnsafeInputError

UNIX = 3  # ZipInfo.create_system of an archive made on Unix: external_attr holds a st_mode
ENCRYPTED = 0x1  # general purpose bit flag 0 (APPNOTE.TXT 4.4.4)


def _unsafe_name(info: zipfile.ZipInfo, seen: set[str]):
    name = info.filename
    parts = name.replace("\\", "/").split("/")
    if name.startswith(("/", "\\")) or "\x00" in name or ".." in parts or (len(name) > 1 and name[1] == ":"):
        return f"archive member {name!r} has an unsafe name (absolute or '..')"


def _stored_twice(info: zipfile.ZipInfo, seen: set[str]):
    if info.filename in seen:
        return f"archive member {info.filename!r} is stored twice"


def _symbolic_link(info: zipfile.ZipInfo, seen: set[str]):
    if info.create_system == UNIX and stat.S_ISLNK(info.external_attr >> 16):
        return f"archive member {info.filename!r} is a symbolic link"


def _encrypted(info: zipfile.ZipInfo, seen: set[str]):
    if info.flag_bits & ENCRYPTED:
        return f"archive member {info.filename!r} is encrypted"


def _too_large(info: zipfile.ZipInfo, seen: set[str]):
    if info.file_size > MAX_ZIP_MEMBER_BYTES:
        return f"archive member {info.filename!r} declares {info.file_size:,} bytes"


def _inflates_too_much(info: zipfile.ZipInfo, seen: set[str]):
    if info.compress_type != zipfile.ZIP_STORED and info.file_size > max(info.compress_size, 1) * MAX_ZIP_RATIO:
        return (
            f"archive member {info.filename!r} inflates {info.compress_size:,} bytes to {info.file_size:,} "
            f"(more than {MAX_ZIP_RATIO}x): a zip bomb?"
        )


# In order, each given the member and the names met before it: the first problem is reported.
MEMBER_CHECKS = (_unsafe_name, _stored_twice, _symbolic_link, _encrypted, _too_large, _inflates_too_much)


def check_zip_members(path, zf: zipfile.ZipFile) -> None:
    """Every member passes MEMBER_CHECKS; the archive has no more members than a .keras file could."""
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise UnsafeInputError(path, f"the archive has {len(infos)} members, more than any .keras file")
    seen: set[str] = set()
    for info in infos:
        for check in MEMBER_CHECKS:
            problem = check(info, seen)
            if problem:
                raise UnsafeInputError(path, problem)
        seen.add(info.filename)
