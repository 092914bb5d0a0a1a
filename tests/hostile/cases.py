"""What the fuzzers mutate and run, per input kind: shared by tests/hostile/test_fuzz.py,
tests/hostile/test_crashes.py and scripts/fuzz.py.

Kinds: "h5" (legacy files: every `.h5` sample whose manifest kind is "model" or "refused"),
"keras" (the tf.keras 2.15 archives of sample_models/keras2_archives and Keras 3 archives
kerasmigrate writes from a few `.h5` samples) and "savedmodel" (every directory of
sample_models/savedmodel). Each case runs one command through the API; a KerasMigrateError
is the expected outcome for bad input.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from kerasmigrate import api
from tests.hostile.mutate import mutate_file
from tests.hostile.mutate_archive import mutate_archive
from tests.hostile.mutate_savedmodel import mutate_savedmodel

ROOT = Path(__file__).resolve().parents[2]
KINDS = ("h5", "keras", "savedmodel")
SUFFIX = {"h5": ".h5", "keras": ".keras", "savedmodel": ".savedmodel"}
# Commands each kind is run through, repeated by weight. `convert` of an archive is refused until
# convert takes `.keras` inputs; it is listed so that it is fuzzed from then on.
COMMANDS = {
    "h5": ["convert"] * 7 + ["repair", "repair", "diagnose", "inspect"],
    "keras": ["convert", "repair-keras-3", "repair-keras-3", "repair-release", "repair-release"]
    + ["diagnose", "diagnose-release", "inspect", "inspect"],
    "savedmodel": ["convert"] * 4 + ["diagnose", "inspect"],
}
# Keras 3 archives to mutate, written by kerasmigrate itself (no Keras 3 `.keras` sample is committed).
KERAS3_FROM = ["tf2.15/mlp_sequential.h5", "tf2.15/functional_nested.h5", "tf2.15/conv_bn.h5"]


def _manifest_samples(pattern: str, kinds=("model", "refused")) -> list[Path]:
    return sorted(
        manifest.parent / entry["file"]
        for manifest in (ROOT / "sample_models").glob(pattern)
        for entry in json.loads(manifest.read_text())["samples"]
        if entry["kind"] in kinds
    )


def samples(kind: str, keras3_dir: Path | None = None) -> list[Path]:
    """The valid inputs of one kind; Keras 3 archives are written into `keras3_dir` first."""
    if kind == "h5":
        return [p for p in _manifest_samples("*/manifest.json") if p.suffix == ".h5"]
    if kind == "savedmodel":
        return _manifest_samples("savedmodel/*/manifest.json", ("model", "refused", "mapped"))
    archives = sorted((ROOT / "sample_models" / "keras2_archives").glob("*/*.keras"))
    if keras3_dir is not None:
        for name in KERAS3_FROM:
            out = keras3_dir / name.replace("/", "_").replace(".h5", ".keras")
            if not out.exists():
                api.convert(ROOT / "sample_models" / name, out)
            archives.append(out)
    return archives


def mutate(kind: str, source: Path, target: Path, rnd: random.Random) -> list[str]:
    """Copy `source` to `target` (a file, or a directory for a SavedModel) with 1-3 mutations."""
    if kind == "h5":
        return mutate_file(source, target, rnd)
    if kind == "keras":
        return mutate_archive(source, target, rnd)
    return mutate_savedmodel(source, target, rnd)


def run_command(command: str, path: Path, work: Path):
    """One command through the API, writing only under `work`."""
    if command == "convert":
        return api.convert(path, work / "out.keras", overwrite=True)
    if command == "repair":
        return api.repair(path, "tf-2.2", work / "out.h5", overwrite=True)
    if command == "repair-keras-3":
        return api.repair(path, "keras-3", work / "out.keras", overwrite=True)
    if command == "repair-release":
        return api.repair_for_release(path, "keras-3.3", work / "out.keras", overwrite=True)
    if command == "diagnose":
        return api.diagnose(path)
    if command == "diagnose-release":
        return api.diagnose_for_release(path, "keras-3.6")
    return api.inspect_file(path)


def crash_input(record: Path) -> Path:
    """The input a crash record (`<site>.json`) was found with: `<site>.h5`, `.keras` or `.savedmodel`."""
    kind = json.loads(record.read_text()).get("kind", "h5")
    return record.with_suffix(SUFFIX[kind])
