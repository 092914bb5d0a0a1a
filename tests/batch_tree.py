"""Trees of models for the batch tests, built from sample_models by copying (never linking):
a test may damage its tree, never sample_models.

    build_tree(tmp_path)       -> Path   all of sample_models plus variants: >= 300 entries
    build_small_tree(tmp_path) -> Path   a few of each kind: to upload to an object store
    sabotage_workers(...)      -> str    a PYTHONPATH whose workers kill themselves, hang or bloat on one file

The trees are deterministic: the same files, the same bytes, on every call.
"""

from __future__ import annotations

import shutil
from pathlib import Path

SAMPLES = Path(__file__).resolve().parent.parent / "sample_models"

# Legacy .h5 files that convert (keras2.3); their variants below are built from them.
H5 = ["conv_bn", "dense_family", "mlp_sequential", "rnn_lstm_gru", "shared_layers", "embedding"]
SAVED_MODEL = "savedmodel/tf2.15/sequential"
ARCHIVE = "keras2_archives/tf2.15/functional_nested.keras"  # written by tf.keras 2.15


def build_tree(tmp_path: Path) -> Path:
    """sample_models, copied, plus under `variants/`: truncated .h5 (the first half of the
    bytes), the same models as `.hdf5`, without a suffix and beside a same-named `.h5`, a
    SavedModel and a model six directories deep, non-models (.txt, .npz, .json) and an empty file."""
    root = tmp_path / "tree"
    shutil.copytree(SAMPLES, root, symlinks=False)
    h5 = [SAMPLES / "keras2.3" / f"{name}.h5" for name in H5]
    variants = root / "variants"

    truncated = variants / "truncated"
    truncated.mkdir(parents=True)
    for path in h5[:4]:
        data = path.read_bytes()
        (truncated / path.name).write_bytes(data[: len(data) // 2])

    renamed = variants / "renamed"
    renamed.mkdir()
    for path in h5[:3]:
        shutil.copyfile(path, renamed / f"{path.stem}.hdf5")
        shutil.copyfile(path, renamed / path.stem)
    shutil.copyfile(h5[3], renamed / f"{h5[3].stem}.h5")  # beside its .hdf5 twin: both keep their whole name
    shutil.copyfile(h5[3], renamed / f"{h5[3].stem}.hdf5")
    shutil.copyfile(SAMPLES / ARCHIVE, renamed / "archive.zip")  # a .keras archive by content

    deep = variants / "a" / "b" / "c" / "d" / "e" / "f"
    deep.mkdir(parents=True)
    shutil.copyfile(h5[4], deep / h5[4].name)
    shutil.copytree(SAMPLES / SAVED_MODEL, deep / "saved.v2")  # a dot in a SavedModel directory's name

    other = variants / "not_models"
    other.mkdir()
    (other / "README.txt").write_text("not a model\n")
    (other / "notes.md").write_text("# notes\n")
    shutil.copyfile(SAMPLES / "keras2.3" / "conv_bn.refs.npz", other / "reference.npz")
    (other / "architecture.json").write_text('{"class_name": "Sequential", "config": {"layers": []}}\n')
    (other / "empty.h5").write_bytes(b"")
    (other / "random.bin").write_bytes(bytes(range(256)) * 16)
    return root


def build_small_tree(tmp_path: Path) -> Path:
    """A few of each: legacy .h5 (one refused: weights only), a SavedModel beside a directory
    whose name starts with the same letters, a tf.keras .keras archive, non-models, nested directories."""
    root = tmp_path / "small"
    for name in H5[:4] + ["weights_only"]:
        target = root / "h5" / f"{name}.h5"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SAMPLES / "keras2.3" / f"{name}.h5", target)
    shutil.copyfile(SAMPLES / "keras2.3" / f"{H5[4]}.h5", _parent(root / "h5" / "nested" / "deeper" / "model.h5"))
    shutil.copytree(SAMPLES / SAVED_MODEL, root / "savedmodel" / "sequential")
    (root / "savedmodel" / "sequential2").mkdir(parents=True)
    (root / "savedmodel" / "sequential2" / "notes.txt").write_text("not part of the SavedModel beside it\n")
    shutil.copyfile(SAMPLES / ARCHIVE, _parent(root / "archives" / "functional_nested.keras"))
    shutil.copyfile(SAMPLES / "keras2.3" / "conv_bn.refs.npz", root / "h5" / "conv_bn.refs.npz")
    (root / "README.txt").write_text("models to convert\n")
    (root / "h5" / "nested" / "empty.h5").write_bytes(b"")
    return root


def _parent(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def sabotage_workers(site_dir: Path, rel: str, action: str, pid_file: Path | None = None) -> str:
    """A `sitecustomize.py` in `site_dir` that makes every worker process started with it on
    PYTHONPATH misbehave on the file `rel`: action "kill" (SIGKILL itself, as the out-of-memory
    killer would), "hang" (sleep for an hour, as a conversion stuck in a C library would) or
    "bloat" (fill 512 MiB, then hang: a file that needs more memory than it may have).
    The worker writes its pid to `pid_file` first. Returns the PYTHONPATH to set."""
    site_dir.mkdir(parents=True, exist_ok=True)
    (site_dir / "sitecustomize.py").write_text(
        f"""import os, signal, time
import kerasmigrate.batch.worker as batch_worker

_original = batch_worker.process_one


def process_one(task):
    if task["rel"] == {rel!r}:
        if {str(pid_file) if pid_file else ""!r}:
            with open({str(pid_file) if pid_file else ""!r}, "w") as f:
                f.write(str(os.getpid()))
        if {action!r} == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        ballast = b"x" * (512 * 2**20) if {action!r} == "bloat" else b""
        time.sleep(3600)
        del ballast
    return _original(task)


batch_worker.process_one = process_one
"""
    )
    return str(site_dir)
