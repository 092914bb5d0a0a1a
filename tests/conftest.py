"""Shared fixtures: sample files written by real old Keras stacks, and helpers."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kerasmigrate.verify import quiet_tensorflow

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_models"
REALWORLD = ROOT.parent / "shared" / "realworld" / "github"
# Real SavedModel directories (../shared/realworld/savedmodel) compared with a relative tolerance
# besides verify's 1e-5 absolute one, and why. 70369bd7d333ed09 (a DQN, outputs up to 174.5, where
# one float32 ulp is 1.5e-5): its references are tf_keras's outputs with oneDNN on; its own writer
# (tf_keras, TF 2.21) re-run as the tests run TensorFlow (oneDNN off, below) gives 3.05e-5 from them
# (measured by test_savedmodel.py::test_the_dqn_references_are_not_reproduced_by_their_writer_at_1e_5);
# the model translated from its traced functions is 4.6e-5 (3 ulps) off there, 3.05e-5 with oneDNN
# on (where the writer gives its references exactly): float32 summation order. 1e-6 relative: 8 ulps.
REALWORLD_SAVEDMODEL_RTOL = {"70369bd7d333ed09": 1e-6}

# TensorFlow as it runs on the least capable CPU the tests meet: oneDNN off, as TensorFlow leaves it
# on CPUs without AVX-512 (VNNI), where its own kernels cannot run channels_first convolutions.
# Forced here so that a model that runs only with oneDNN fails on every machine, not only on some.
# Subprocesses (old stacks, standalone loads) inherit it.
os.environ["TF_ENABLE_ONEDNN_OPTS"] = "0"
quiet_tensorflow()  # before anything imports TensorFlow: the environment verify sets up
# XLA compiles the many small programs a load or a prediction needs (JAX initializers per shape,
# jitted predict steps) with LLVM's optimizations off: compiling, not computing, is most of a
# load's time in the tests (measured on 30 files of the Keras 3 release matrix: 113 s -> 63 s,
# the same verdicts, differences from the references <= 6.6e-7). Subprocesses inherit it; the
# old stacks of ../shared/oracles are run without it (tests/test_repair_oracle.py).
os.environ.setdefault("XLA_FLAGS", "--xla_backend_optimization_level=0")

HAVE_KERAS = importlib.util.find_spec("keras") is not None


def sample_entries(kind: str = "model") -> list[tuple[Path, dict]]:
    """(stack dir, manifest entry) for every committed sample of a kind."""
    out = []
    for manifest in sorted(SAMPLES.glob("*/manifest.json")):
        for entry in json.loads(manifest.read_text())["samples"]:
            if entry["kind"] == kind:
                out.append((manifest.parent, entry))
    return out


def missing_words(message: str, words) -> list[str]:
    """The words of a manifest's `refusal` list that `message` lacks: case-insensitive, each at the
    start of a word (so `os` is not found inside `position`)."""
    return [w for w in words if not re.search(r"(?<![A-Za-z0-9_])" + re.escape(w), message, re.IGNORECASE)]


def mapped_params():
    """Samples that convert with the mapping (and custom module) their manifest names."""
    return sample_params("mapped")


def sample_params(kind: str = "model"):
    return [pytest.param(d, e, id=f"{d.name}/{e['name']}") for d, e in sample_entries(kind)]


# The files whose module fixtures take longest on a fresh machine (building environments, then
# loading hundreds of files in them), started first: `make check` runs one file per worker
# (--dist loadfile, --no-loadscope-reorder), and the longest file must not be the last to start.
LONGEST_FIRST = ("test_keras3_releases.py",)


def pytest_collection_modifyitems(config, items):
    items.sort(key=lambda item: item.path.name not in LONGEST_FIRST)  # stable: the rest keep their order
    if HAVE_KERAS or os.environ.get("CI"):
        return  # in CI a missing Keras must fail the Keras tests, not skip them
    skip = pytest.mark.skip(reason="Keras 3 is not installed (pip install -e '.[verify]')")
    for item in items:
        if "keras" in item.keywords:
            item.add_marker(skip)


# Prepended to a script that must run without TensorFlow, Keras, tf_keras, JAX or PyTorch: importing any
# of them fails.
BLOCK_HEAVY_IMPORTS = (
    "import sys, importlib.abc\n"
    "class Block(importlib.abc.MetaPathFinder):\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name.split('.')[0] in ('tensorflow', 'keras', 'tf_keras', 'jax', 'torch'):\n"
    "            raise ImportError('blocked: ' + name)\n"
    "sys.meta_path.insert(0, Block())\n"
)


def run_with_heavy_imports_blocked(body: str) -> tuple[int, list[str]]:
    """Run `body` (which counts what it did in `n`) in a fresh Python with BLOCK_HEAVY_IMPORTS: the
    count, and the heavy modules that got imported all the same."""
    script = (
        BLOCK_HEAVY_IMPORTS
        + body
        + "bad = [m for m in sys.modules if m.split('.')[0] in ('tensorflow', 'keras', 'tf_keras')]\n"
        + "import json as _json; print(_json.dumps([n, bad]))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    count, bad = json.loads(done.stdout.strip().splitlines()[-1])
    return count, bad
