"""Benchmark a whole tree: kerasmigrate's batch convert (-j 1, -j 2, Dask, a rerun) vs Keras 3's
own load_model + save over the same models, in one run.

    python scripts/bench_tree.py [TREE] [--runs 3] [--workdir .bench] [--copies 30] [--quick]

TREE defaults to the repository's sample_models/. Each measurement is a fresh process, as a user
runs it: wall time (median of --runs) and peak resident memory (ru_maxrss from wait4, which on
Linux is the largest of the process and the children it reaped: for -j N that is the largest of
the main process and its local workers; the Dask workers are not its children).

kerasmigrate   `python -m kerasmigrate.cli convert TREE -o OUT -j N --json`, each run into a fresh
               OUT (a kept ledger would skip everything); "rerun" is a second -j 2 run into the
               same OUT, everything taken from the ledger; "copies" is -j 2 over a tree of --copies
               copies of every .h5 model of TREE (each in its own sub-directory, built under
               --workdir; identical files are converted once per run); "dask" runs against a
               LocalCluster(n_workers=2, threads_per_worker=1) started by this script, anew for
               each run and not timed. Worker peak = the summary's peak_worker_mib.
keras          one Python process imports Keras once and loops over the same model files:
               keras.saving.load_model(path, compile=False), then model.save(OUT/NAME.keras);
               each failure is caught and counted (SavedModel directories never load in Keras 3).

The models are found with kerasmigrate's own walk (by content, not by name); "models/s" is the
models attempted over the wall time, "entries/s" every entry of the tree over it, "ok/s" the models
converted (kerasmigrate) or loaded and saved (Keras) over it. Exits non-zero when a measured
command fails (kerasmigrate exit 2 or no summary, Keras's process crashing) or the kerasmigrate
runs disagree on the outcome.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent

KERAS_LOAD_SAVE_TREE = """
import json, sys
from collections import Counter
import keras
root, listing, out_dir, result_path = sys.argv[1:5]
rels = json.load(open(listing))
loaded = saved = 0
reasons = Counter()

def reason(step, exc, path):
    text = (str(exc).replace(path, "FILE").splitlines() or [""])[0]
    return f"{step}: {type(exc).__name__}: {text[:110]}{'...' if len(text) > 110 else ''}"

for rel in rels:
    path = f"{root}/{rel}"
    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as exc:
        reasons[reason("load", exc, path)] += 1
        continue
    loaded += 1
    try:
        model.save(f"{out_dir}/{rel.replace('/', '__')}.keras")
        saved += 1
    except Exception as exc:
        reasons[reason("save", exc, path)] += 1
    del model
    keras.utils.clear_session()
json.dump({"attempted": len(rels), "loaded": loaded, "saved": saved, "reasons": reasons}, open(result_path, "w"))
"""

CONVERTED = ("converted", "verified")


def measure(cmd: list[str], env: dict, log: Path, timeout: float, ok_codes=(0,)) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MiB) and stdout of one process; an exit code not in `ok_codes`
    (or being killed after `timeout` seconds) stops the benchmark."""
    out_file, err_file = log.with_suffix(".out"), log.with_suffix(".err")
    with open(out_file, "wb") as out, open(err_file, "wb") as err:  # files, not pipes: --json writes a lot
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err)
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode not in ok_codes:
        stderr = err_file.read_text(errors="replace")
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{stderr[-2000:]}\n(logs: {log}.*)")
    return seconds, usage.ru_maxrss / 1024, out_file.read_text()  # Linux reports KiB


def summary_of(stdout: str, cmd: list[str], entries: int) -> dict:
    """The `{"summary": ...}` line of a `--json` run; its absence is a failure."""
    lines = [line for line in stdout.splitlines() if line.startswith('{"summary"')]
    if not lines:
        raise SystemExit(f"no summary line from: {' '.join(cmd)}")
    summary = orjson.loads(lines[-1])["summary"]
    if summary["files"] != entries:
        raise SystemExit(f"{' '.join(cmd)}: {summary['files']} entries in its summary, the walk found {entries}")
    return summary


def build_copies(tree: Path, rels: list[str], into: Path, copies: int) -> None:
    """`copies` copies of each file `rels` of `tree`, copy i under `into/i/`, as a tree of many
    experiment folders holding the same checkpoints."""
    for i in range(copies):
        for rel in rels:
            dest = into / f"{i:02d}" / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(tree / rel, dest)


def fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tree", nargs="?", type=Path, default=ROOT / "sample_models")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=ROOT / ".bench")
    parser.add_argument("--quick", action="store_true", help="one run of each (to test this script)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before a measured command is killed")
    parser.add_argument(
        "--copies", type=int, default=30, help="copies of the .h5 models in the duplicates tree (0: none)"
    )
    args = parser.parse_args(argv)
    runs = 1 if args.quick else args.runs
    load_start = ", ".join(f"{x:.1f}" for x in os.getloadavg())  # the machine may be shared: say how busy it was
    tree = args.tree.resolve()
    work = args.workdir.resolve() / "tree"
    logs = fresh(work / "logs")
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"  # also for the Dask workers this process starts
    env = {k: v for k, v in os.environ.items() if k != "TF_USE_LEGACY_KERAS"}

    from distributed import LocalCluster

    from kerasmigrate.batch.discover import walk
    from kerasmigrate.batch.storage import Store

    entries = walk(Store(str(tree)))
    models = [e for e in entries if e.is_model]
    if not models:
        raise SystemExit(f"no models under {tree}")
    listing = work / "models.json"
    listing.write_bytes(orjson.dumps([e.rel for e in models]))
    kinds = Counter(e.kind for e in models)
    print(
        f"{tree}: {len(entries)} entries, {len(models)} models "
        f"({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}); {os.cpu_count()} CPUs; {runs} run(s) each",
        file=sys.stderr,
    )

    def cli(out: Path, *extra: str, root: Path = tree) -> list[str]:
        return [sys.executable, "-m", "kerasmigrate.cli", "convert", str(root), "-o", str(out), *extra, "--json"]

    def ours(name: str, out: Path, cmd: list[str], run: int, expected: int = len(entries)) -> tuple[float, float, dict]:
        # exit 1 is kerasmigrate's "some models refused or failed": the summary line says which
        seconds, peak, stdout = measure(cmd, env, logs / f"{name}-{run}", args.timeout, ok_codes=(0, 1))
        return seconds, peak, summary_of(stdout, cmd, expected)

    copies_tree, h5 = work / "copies-tree", [e.rel for e in models if e.kind == "keras-h5"]
    if args.copies:
        build_copies(tree, h5, fresh(copies_tree), args.copies)
    sizes = {name: len(models) for name in ("-j 1", "-j 2", "rerun -j 2", "dask", "keras")}
    sizes.update({"copies -j 2": len(h5) * args.copies} if args.copies else {})
    results: dict[str, list[tuple[float, float, dict]]] = {n: [] for n in sizes}
    for run in range(runs):  # interleaved, so drift affects all alike
        print(f"run {run + 1}/{runs} ...", file=sys.stderr)
        out = fresh(work / "j1")
        results["-j 1"].append(ours("j1", out, cli(out, "-j", "1"), run))
        out = fresh(work / "j2")
        results["-j 2"].append(ours("j2", out, cli(out, "-j", "2"), run))
        results["rerun -j 2"].append(ours("rerun", out, cli(out, "-j", "2"), run))
        if args.copies:
            out = fresh(work / "copies")
            cmd = cli(out, "-j", "2", root=copies_tree)
            results["copies -j 2"].append(ours("copies", out, cmd, run, expected=sizes["copies -j 2"]))

        out = fresh(work / "dask")
        with LocalCluster(
            n_workers=2, threads_per_worker=1, dashboard_address=None, silence_logs=logging.ERROR
        ) as cluster:  # not timed; anew each run, so its workers start cold like -j 2's
            cmd = cli(out, "--executor", "dask", "--scheduler", cluster.scheduler_address)
            results["dask"].append(ours("dask", out, cmd, run))

        out = fresh(work / "keras")
        result_path = work / "keras-result.json"
        result_path.unlink(missing_ok=True)
        cmd = [sys.executable, "-c", KERAS_LOAD_SAVE_TREE, str(tree), str(listing), str(out), str(result_path)]
        seconds, peak, _ = measure(cmd, env, logs / f"keras-{run}", args.timeout)
        if not result_path.exists():
            raise SystemExit(f"Keras's process wrote no result (logs: {logs}/keras-{run}.*)")
        results["keras"].append((seconds, peak, orjson.loads(result_path.read_bytes())))

    # The kerasmigrate runs must agree on the outcome; the rerun must take from the ledger all but the failed.
    counts = results["-j 1"][0][2]["counts"]
    for name in ("-j 1", "-j 2", "rerun -j 2", "dask"):
        for _, _, summary in results[name]:
            if summary["counts"] != counts:
                raise SystemExit(f"kerasmigrate {name} gave {summary['counts']}, -j 1 gave {counts}")
    redo = counts.get("failed", 0) - sum(1 for e in entries if e.unreadable)  # failures are not ledgered
    for _, _, summary in results["rerun -j 2"]:
        if summary["reused"] != len(models) - redo:
            raise SystemExit(f"the rerun reused {summary['reused']} of {len(models) - redo} models from the ledger")

    header = (
        f"{'tool':<24} {'median s':>9} {'min s':>7} {'models/s':>9} {'entries/s':>10} {'ok':>5} {'ok/s':>7} "
        f"{'peak MiB':>9} {'worker MiB':>11}"
    )
    print(header)
    print("-" * len(header))
    rates = {}
    for name, runs_ in results.items():
        times = [t for t, _, _ in runs_]
        median = statistics.median(times)
        peak = max(m for _, m, _ in runs_)
        last = runs_[-1][2]
        if name == "keras":
            ok, worker, label = last["saved"], "-", "keras load_model + save"
        else:
            ok = sum(n for s, n in last["counts"].items() if s in CONVERTED)
            peaks = [s["peak_worker_mib"] for _, _, s in runs_ if s["peak_worker_mib"]]
            worker, label = (f"{max(peaks):.1f}" if peaks else "-"), f"kerasmigrate {name}"
        n_entries = len(entries) if sizes[name] == len(models) else sizes[name]
        rates[name] = (sizes[name] / median, ok / median)
        print(
            f"{label:<24} {median:>9.2f} {min(times):>7.2f} {sizes[name] / median:>9.1f} "
            f"{n_entries / median:>10.1f} {ok:>5} {ok / median:>7.1f} {peak:>9.1f} {worker:>11}"
        )
    if args.copies:
        copies_s, j2_s = (statistics.median(t for t, _, _ in results[n]) for n in ("copies -j 2", "-j 2"))
        print(
            f"copies: {args.copies} copies of the {len(h5)} .h5 models ({sizes['copies -j 2']} files) in "
            f"{copies_s:.1f} s, {copies_s / j2_s:.1f}x the time of -j 2 over the whole tree ({len(models)} models)"
        )

    keras = results["keras"][-1][2]
    print()
    print(
        f"kerasmigrate converted {sum(n for s, n in counts.items() if s in CONVERTED)} of {len(models)} models "
        f"({', '.join(f'{n} {s}' for s, n in counts.items() if s != 'skipped')}; the other "
        f"{len(entries) - len(models)} entries are not models); the rerun took {results['rerun -j 2'][-1][2]['reused']} from the ledger."
    )
    print(
        f"Keras loaded {keras['loaded']} of {keras['attempted']} models and saved {keras['saved']} "
        f"({kinds.get('savedmodel', 0)} of them SavedModel directories, which Keras 3 cannot load)."
    )
    notes = {
        n for name in ("-j 1", "-j 2", "rerun -j 2", "dask") for _, _, s in results[name] for n in s.get("notes", [])
    }
    for note in sorted(notes):
        print(f"  kerasmigrate note: {note}")
    for reason, n in sorted(keras["reasons"].items(), key=lambda kv: -kv[1])[:5]:
        print(f"  keras failed x{n}: {reason}")
    keras_all, keras_ok = rates["keras"]
    print()
    print("ratios kerasmigrate/keras (higher is better for kerasmigrate):")
    for name in ("-j 1", "-j 2", "dask", "rerun -j 2"):
        ours_all, ours_ok = rates[name]
        vs_ok = ours_ok / keras_ok if keras_ok else float("inf")
        print(
            f"  {name:<11} models/s {ours_all / keras_all:>5.1f}x Keras's (all {len(models)} attempted); "
            f"ok/s {vs_ok:>5.1f}x Keras's (the {keras['saved']} it loaded and saved)"
        )
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"({runs} run(s) each; peak MiB: wait4's ru_maxrss, the largest process of each command; "
        f"{os.cpu_count()} CPUs, load average at the start {load_start}, at the end {load})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
