"""Shared fixtures: sample files written by real old Keras stacks, and helpers."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

from kerasmigrate.verify import quiet_tensorflow

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_models"
REALWORLD = ROOT.parent / "shared" / "realworld" / "github"

quiet_tensorflow()  # before anything imports TensorFlow: the environment verify sets up

HAVE_KERAS = importlib.util.find_spec("keras") is not None


def sample_entries(kind: str = "model") -> list[tuple[Path, dict]]:
    """(stack dir, manifest entry) for every committed sample of a kind."""
    out = []
    for manifest in sorted(SAMPLES.glob("*/manifest.json")):
        for entry in json.loads(manifest.read_text())["samples"]:
            if entry["kind"] == kind:
                out.append((manifest.parent, entry))
    return out


def mapped_params():
    """Samples that convert with the mapping (and custom module) their manifest names."""
    return sample_params("mapped")


def sample_params(kind: str = "model"):
    return [pytest.param(d, e, id=f"{d.name}/{e['name']}") for d, e in sample_entries(kind)]


def pytest_collection_modifyitems(config, items):
    if HAVE_KERAS or os.environ.get("CI"):
        return  # in CI a missing Keras must fail the Keras tests, not skip them
    skip = pytest.mark.skip(reason="Keras 3 is not installed (pip install -e '.[verify]')")
    for item in items:
        if "keras" in item.keywords:
            item.add_marker(skip)
