"""One virtual environment per Keras 3 release, JAX backend, for deriving tables and loading tests.

    python scripts/keras3_envs.py [VERSION ...]     # build (or check) them; prints each python

Each environment lives in ~/.cache/kerasmigrate-tests/keras3-envs/<version>
(or $KERASMIGRATE_KERAS3_ENVS/<version>) and is installed from PyPI with
every package pinned by scripts/keras3-envs/keras-<version>.txt (the release's
Keras, then jax/jaxlib, numpy, h5py, ml-dtypes… of its time; `--no-deps`, so
nothing unpinned comes in). JAX on the CPU is much lighter than TensorFlow.
The older releases also have a TensorFlow environment (<version>-tensorflow,
pins keras-<version>-tensorflow.txt, ~1.4 GB each) for the models Keras runs
on TensorFlow only (StringLookup, IntegerLookup, TextVectorization…).
A finished environment records the hash of its pin file; a changed pin file
or an unfinished install rebuilds it. Building one takes ~20 s with a warm
pip cache.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PINS = HERE / "keras3-envs"
# Oldest first. The releases a deployment may pin; the last is the project's own Keras.
RELEASES = ("3.3.3", "3.6.0", "3.9.2", "3.12.4", "3.15.1")


def env_root() -> Path:
    base = os.environ.get("KERASMIGRATE_KERAS3_ENVS")
    if base:
        return Path(base)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "kerasmigrate-tests" / "keras3-envs"


def _fingerprint(pin_file: Path) -> str:
    return hashlib.sha256(pin_file.read_bytes() + sys.version.encode()).hexdigest()[:16]


def _base_python() -> str:
    """A Python that is not inside a venv (venv's own `-m venv` copies the base anyway)."""
    return getattr(sys, "_base_executable", None) or sys.executable


def ensure(version: str, log=None, backend: str = "jax") -> Path:
    """The environment's python for `version`, built first if needed. `backend="tensorflow"`:
    the release with a TensorFlow of its time (pins keras-<version>-tensorflow.txt), for the
    models Keras runs on TensorFlow only; the current release has no such pins (the project's
    own environment has TensorFlow)."""
    suffix = "" if backend == "jax" else f"-{backend}"
    pin_file = PINS / f"keras-{version}{suffix}.txt"
    if not pin_file.exists():
        raise ValueError(f"no pins for Keras {version} ({backend}): {pin_file}")
    venv = env_root() / f"{version}{suffix}"
    python = venv / "bin" / "python"
    marker = venv / ".kerasmigrate-env"
    fingerprint = _fingerprint(pin_file)
    if marker.exists() and marker.read_text().strip() == fingerprint and python.exists():
        return python
    start = time.monotonic()
    if venv.exists():
        shutil.rmtree(venv)
    venv.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run([_base_python(), "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps", "-r", str(pin_file)],
        check=True,
        stdout=subprocess.DEVNULL if log is None else None,
    )
    check = subprocess.run(
        [str(python), "-c", f"import keras, {backend}; print(keras.__version__)"],
        capture_output=True,
        text=True,
        env={**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": "", "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    if check.returncode != 0 or check.stdout.strip() != version:
        raise RuntimeError(f"the Keras {version} environment does not import: {check.stderr[-2000:]}")
    marker.write_text(fingerprint + "\n")
    if log is not None:
        log(f"built the Keras {version} environment in {time.monotonic() - start:.0f}s: {venv}")
    return python


def main(argv) -> int:
    for version in argv or RELEASES:
        print(ensure(version, log=lambda m: print(m, file=sys.stderr)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
