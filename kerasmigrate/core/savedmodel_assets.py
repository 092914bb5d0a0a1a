"""A SavedModel's asset files (`assets/`), read by name: what a model's tables were initialized from.

TensorFlow copies each file a table was built from (a feature column's vocabulary file, say) into
`assets/` under its base name (tensorflow/python/saved_model/save.py `_process_asset`); the config
keeps the writer's original path. Only regular files directly inside `assets/` are read
(core/safe_open.py), and none larger than a model config may be.
"""

from __future__ import annotations

from pathlib import Path

from kerasmigrate.core.safe_open import open_regular
from kerasmigrate.core.validate.limits import MAX_CONFIG_BYTES


def read_asset(savedmodel: str | Path, original_path: str) -> bytes | None:
    """The bytes of the asset a path recorded by the writer became, or None if there is none."""
    name = original_path.replace("\\", "/").rsplit("/", 1)[-1]
    assets = Path(savedmodel) / "assets"
    if not name or name in (".", "..") or not (assets / name).is_file():
        return None
    with open_regular(assets / name, within=assets) as f:
        data = f.read(MAX_CONFIG_BYTES + 1)
    return data if len(data) <= MAX_CONFIG_BYTES else None


def model_assets(model):
    """`read_asset` of an opened model's directory if it is a SavedModel, else None."""
    if getattr(model, "format", None) != "savedmodel":
        return None
    return lambda original_path: read_asset(model.path, original_path)
