"""Converted files load and match under Keras 3's JAX and PyTorch backends too.

Every sample model is converted once, then loaded in a subprocess per backend
(KERAS_BACKEND=jax / torch) and compared with the outputs the writing stack
computed: 1e-5 absolute, 1e-3 for the float16 (mixed precision) sample.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from kerasmigrate import api

from .conftest import ROOT, sample_entries

pytestmark = [pytest.mark.keras, pytest.mark.full]

# Keras 3.15.1's own MultiHeadAttention with value_dim != key_dim fails on JAX
# ("cannot reshape array"), built natively as well: a Keras bug, not a conversion one.
KNOWN_KERAS_FAILURES = {("jax", "multi_head_attention")}
# Keras 3's StringLookup/IntegerLookup/Hashing/TextVectorization run on the TensorFlow
# backend only (keras/src/layers/preprocessing/index_lookup.py): a backend limit, not a
# conversion one.
KNOWN_KERAS_FAILURES |= {(backend, name) for backend in ("jax", "torch") for name in ("lookups", "text_vectorization")}


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    out = tmp_path_factory.mktemp("backends")
    items = []
    for stack_dir, entry in sample_entries():
        target = out / stack_dir.name / f"{entry['name']}.keras"
        api.convert(stack_dir / entry["file"], target)
        items.append((entry["name"], str(target), str(stack_dir / entry["refs"])))
    return items


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_samples_match_under_backend(backend, converted):
    args = [a for _, path, refs in converted for a in (path, refs)]
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "backend_check.py"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        check=True,
    )
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    assert results.pop("backend") == backend
    failures = {}
    for name, path, _ in converted:
        value = results[path]
        tolerance = 1e-3 if name == "mixed_precision" else 1e-5
        if (backend, name) in KNOWN_KERAS_FAILURES:
            assert isinstance(value, str), "a known Keras failure now passes: drop it from the list"
            continue
        if isinstance(value, str) or value > tolerance:
            failures[str(Path(path).relative_to(Path(path).parents[1]))] = value
    assert not failures, failures
