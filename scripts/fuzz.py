"""Fuzz kerasmigrate with mutated copies of the committed samples for N minutes.

    python scripts/fuzz.py --minutes 10 [--seed 1] [--crash-dir tests/hostile/crashes]

Each case copies a sample of sample_models/ (every legacy `.h5` whose manifest kind is
"model" or "refused"), applies one to three mutations (tests/hostile/mutate.py) and runs
one command on it through the API: convert (most cases), repair, diagnose or inspect.
A `KerasMigrateError` is the expected outcome for bad input; anything else is a crash.
Each new crash site (exception type and the innermost kerasmigrate frame) is written to
the crash directory as `<site>.h5` (the input) and `<site>.json` (command, sample,
mutations, traceback); tests/hostile/test_crashes.py replays them. A case that runs
longer than --case-seconds counts as a hang, and is written the same way.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import json
import random
import shutil
import signal
import sys
import tempfile
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kerasmigrate import api  # noqa: E402
from kerasmigrate.errors import KerasMigrateError  # noqa: E402
from tests.hostile.mutate import mutate_file  # noqa: E402

COMMANDS = ["convert"] * 7 + ["repair", "repair", "diagnose", "inspect"]


class Hang(Exception):
    pass


def samples() -> list[Path]:
    out = []
    for manifest in sorted((ROOT / "sample_models").glob("*/manifest.json")):
        for entry in json.loads(manifest.read_text())["samples"]:
            if entry["kind"] in ("model", "refused") and entry["file"].endswith(".h5"):
                out.append(manifest.parent / entry["file"])
    return out


def run(command: str, path: Path, work: Path) -> None:
    out = work / "out.keras"
    if command == "convert":
        api.convert(path, out, overwrite=True)
    elif command == "repair":
        api.repair(path, "tf-2.2", work / "out.h5", overwrite=True)
    elif command == "diagnose":
        api.diagnose(path)
    else:
        api.inspect_file(path)


def site(exc: BaseException) -> str:
    """The innermost frame in kerasmigrate (else the innermost), with the exception type."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/kerasmigrate/" in f.filename]
    frame = (ours or frames)[-1] if (ours or frames) else None
    where = f"{Path(frame.filename).name}:{frame.lineno}" if frame else "?"
    return f"{type(exc).__name__}@{where}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--crash-dir", type=Path, default=ROOT / "tests" / "hostile" / "crashes")
    parser.add_argument("--case-seconds", type=float, default=20.0)
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else int(time.time())
    rnd = random.Random(seed)
    files = samples()
    args.crash_dir.mkdir(parents=True, exist_ok=True)
    known = {p.stem for p in args.crash_dir.glob("*.json")}
    counts: collections.Counter = collections.Counter()
    sites: collections.Counter = collections.Counter()
    slowest = (0.0, "")
    deadline = time.monotonic() + args.minutes * 60

    def alarm(*_):
        raise Hang(f"case ran longer than {args.case_seconds} s")

    signal.signal(signal.SIGALRM, alarm)
    with tempfile.TemporaryDirectory(prefix="kerasmigrate-fuzz-") as tmp:
        work = Path(tmp)
        while time.monotonic() < deadline:
            source = rnd.choice(files)
            case = work / "case.h5"
            try:
                mutations = mutate_file(source, case, rnd)
            except Exception:  # a mutation h5py cannot write: not a finding
                counts["mutation failed"] += 1
                continue
            command = rnd.choice(COMMANDS)
            start = time.monotonic()
            signal.setitimer(signal.ITIMER_REAL, args.case_seconds)
            try:
                run(command, case, work)
                counts["accepted"] += 1
            except KerasMigrateError:
                counts["refused"] += 1
            except (Exception, Hang, RecursionError) as exc:
                counts["crashed"] += 1
                key = site(exc)
                sites[key] += 1
                name = hashlib.sha1(key.encode()).hexdigest()[:12]
                if name not in known:
                    known.add(name)
                    shutil.copyfile(case, args.crash_dir / f"{name}.h5")
                    record = {
                        "site": key,
                        "command": command,
                        "sample": str(source.relative_to(ROOT)),
                        "mutations": mutations,
                        "error": f"{type(exc).__name__}: {exc}"[:2000],
                        "traceback": traceback.format_exception(exc)[-6:],
                    }
                    (args.crash_dir / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")
                    print(f"new crash {key} ({command} {source.name}): {mutations}", flush=True)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            elapsed = time.monotonic() - start
            if elapsed > slowest[0]:
                slowest = (elapsed, f"{command} {source.name} {mutations}")
            counts["cases"] += 1
    print(json.dumps({"seed": seed, **counts, "sites": dict(sites.most_common())}, indent=1))
    print(f"slowest case: {slowest[0]:.2f} s ({slowest[1]})"[:400])
    return 1 if sites else 0


if __name__ == "__main__":
    raise SystemExit(main())
