"""Benchmark: kerasmigrate convert vs Keras 3's own load_model + save, on the same files, in one run.

    python scripts/bench.py [--runs 5] [--workdir .bench] [FILE.h5 | SAVEDMODEL_DIR ...]
    python scripts/bench.py --savedmodel [--runs 5]

Without files it builds (once, cached in --workdir) a ResNet50 with
weights=None saved as a legacy `.h5` by tf_keras (about 100 MB); with
`--savedmodel`, the same model saved by tf_keras as a SavedModel directory
(`save_format="tf"`), which Keras 3 cannot load: there the comparison is
tf_keras's own `load_model` of the directory (which loads its graph functions). Each
measurement is a fresh process, as a user runs it: wall time (median of
--runs) and peak resident memory (ru_maxrss of that process, from wait4).
Keras is run with the backend it picks by default (TensorFlow here).
Prints one table and the ratios keras/kerasmigrate (higher is better for us).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MAKE_RESNET = """
import os, sys
os.environ["TF_USE_LEGACY_KERAS"] = "1"
import tf_keras
model = tf_keras.applications.ResNet50(weights=None)
model.save(sys.argv[1], **({"save_format": "tf"} if sys.argv[2:] == ["tf"] else {}))
"""

TF_KERAS_LOAD = """
import os, sys
os.environ["TF_USE_LEGACY_KERAS"] = "1"
import tf_keras
model = tf_keras.models.load_model(sys.argv[1], compile=False)
"""

KERAS_LOAD_SAVE = """
import sys
import keras
model = keras.saving.load_model(sys.argv[1], compile=False)
model.save(sys.argv[2])
"""


def measure(cmd: list[str], env: dict) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{stderr[-2000:]}")
    return seconds, usage.ru_maxrss / 1024  # Linux reports KiB


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=ROOT / ".bench")
    parser.add_argument("--savedmodel", action="store_true", help="benchmark a ResNet50 SavedModel directory")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}

    files = args.files
    if not files and args.savedmodel:
        resnet = args.workdir / "resnet50_savedmodel"
        if not (resnet / "saved_model.pb").exists():
            print(f"building {resnet} with tf_keras ...", file=sys.stderr)
            subprocess.run([sys.executable, "-c", MAKE_RESNET, str(resnet), "tf"], env=env, check=True)
        files = [resnet]
    if not files:
        resnet = args.workdir / "resnet50.h5"
        if not resnet.exists():
            print(f"building {resnet} with tf_keras ...", file=sys.stderr)
            subprocess.run([sys.executable, "-c", MAKE_RESNET, str(resnet)], env=env, check=True)
        files = [resnet]

    rows = []
    for path in files:
        ours_out = args.workdir / f"{path.stem}.kerasmigrate.keras"
        keras_out = args.workdir / f"{path.stem}.keras-save.keras"
        ours_cmd = [sys.executable, "-m", "kerasmigrate", "convert", str(path), "-o", str(ours_out), "--force"]
        if path.is_dir():  # a SavedModel: Keras 3 cannot load it, tf_keras can
            keras_cmd = [sys.executable, "-c", TF_KERAS_LOAD, str(path)]
        else:
            keras_cmd = [sys.executable, "-c", KERAS_LOAD_SAVE, str(path), str(keras_out)]
        ours, theirs = [], []
        for _ in range(args.runs):  # interleaved, so drift affects both alike
            ours.append(measure(ours_cmd, env))
            theirs.append(measure(keras_cmd, env))
        rows.append((path, ours, theirs))

    print(f"{'file':<28} {'MB':>6} {'tool':<26} {'median s':>9} {'min s':>7} {'peak MiB':>9}")
    for path, ours, theirs in rows:
        size = (
            sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.is_dir() else path.stat().st_size
        ) / 1e6
        other = "tf_keras load_model" if path.is_dir() else "keras load_model + save"
        for label, runs in (("kerasmigrate convert", ours), (other, theirs)):
            times = [t for t, _ in runs]
            peak = max(m for _, m in runs)
            print(
                f"{path.name:<28} {size:>6.1f} {label:<26} {statistics.median(times):>9.3f} "
                f"{min(times):>7.3f} {peak:>9.1f}"
            )
        t_ratio = statistics.median(t for t, _ in theirs) / statistics.median(t for t, _ in ours)
        m_ratio = max(m for _, m in theirs) / max(m for _, m in ours)
        print(
            f"{path.name:<28} ratios keras/kerasmigrate: time {t_ratio:.1f}x, peak memory {m_ratio:.1f}x "
            f"({args.runs} runs each)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
