"""Fuzz kerasmigrate with mutated copies of the committed samples for N minutes.

    python scripts/fuzz.py --minutes 10 [--kinds h5,keras,savedmodel] [--seed 1] [--crash-dir tests/hostile/crashes]

Each case takes an input kind in turn (tests/hostile/cases.py: legacy `.h5` files, `.keras`
archives, SavedModel directories), copies one of its samples, applies one to three mutations
(tests/hostile/mutate*.py) and runs one of that kind's commands on it through the API.
A `KerasMigrateError` is the expected outcome for bad input; anything else is a crash.
Each new crash site (exception type and the innermost kerasmigrate frame) is written to
the crash directory as `<site>.h5`, `<site>.keras` or `<site>.savedmodel/` (the input) and
`<site>.json` (kind, command, sample, mutations, traceback); tests/hostile/test_crashes.py
replays them. A case that runs longer than --case-seconds counts as a hang, and is written
the same way.
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import itertools
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

from kerasmigrate.errors import KerasMigrateError  # noqa: E402
from tests.hostile.cases import COMMANDS, KINDS, SUFFIX, mutate, run_command, samples  # noqa: E402


class Hang(Exception):
    pass


def site(exc: BaseException) -> str:
    """The innermost frame in kerasmigrate (else the innermost), with the exception type."""
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "/kerasmigrate/" in f.filename]
    frame = (ours or frames)[-1] if (ours or frames) else None
    where = f"{Path(frame.filename).name}:{frame.lineno}" if frame else "?"
    return f"{type(exc).__name__}@{where}"


def save_crash(crash_dir: Path, name: str, case: Path, record: dict) -> None:
    """The input as `<name><suffix>` (a directory for a SavedModel) and what happened as `<name>.json`."""
    target = crash_dir / f"{name}{SUFFIX[record['kind']]}"
    if case.is_dir():
        shutil.copytree(case, target)
    else:
        shutil.copyfile(case, target)
    (crash_dir / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")


def remove(path: Path) -> None:
    if path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=1.0)
    parser.add_argument("--kinds", default=",".join(KINDS), help="input kinds, comma-separated, taken in turn")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--crash-dir", type=Path, default=ROOT / "tests" / "hostile" / "crashes")
    parser.add_argument("--case-seconds", type=float, default=20.0)
    args = parser.parse_args(argv)
    args.kinds = args.kinds.split(",")
    if unknown := set(args.kinds) - set(KINDS):
        parser.error(f"unknown kinds {sorted(unknown)} (known: {', '.join(KINDS)})")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    seed = args.seed if args.seed is not None else int(time.time())
    rnd = random.Random(seed)
    args.crash_dir.mkdir(parents=True, exist_ok=True)
    known = {p.stem for p in args.crash_dir.glob("*.json")}
    counts: dict[str, collections.Counter] = {kind: collections.Counter() for kind in args.kinds}
    sites: collections.Counter = collections.Counter()
    slowest = (0.0, "")

    def alarm(*_):
        raise Hang(f"case ran longer than {args.case_seconds} s")

    signal.signal(signal.SIGALRM, alarm)
    with tempfile.TemporaryDirectory(prefix="kerasmigrate-fuzz-") as tmp:
        work = Path(tmp)
        (work / "keras3").mkdir()
        sources = {kind: samples(kind, work / "keras3") for kind in args.kinds}
        deadline = time.monotonic() + args.minutes * 60
        for kind in itertools.cycle(args.kinds):
            if time.monotonic() >= deadline:
                break
            count = counts[kind]
            source = rnd.choice(sources[kind])
            case = work / f"case{SUFFIX[kind]}"
            remove(case)
            try:
                mutations = mutate(kind, source, case, rnd)
            except Exception:  # a mutation h5py or zipfile cannot write: not a finding
                count["mutation failed"] += 1
                continue
            command = rnd.choice(COMMANDS[kind])
            start = time.monotonic()
            signal.setitimer(signal.ITIMER_REAL, args.case_seconds)
            try:
                run_command(command, case, work)
                count["accepted"] += 1
            except KerasMigrateError:
                count["refused"] += 1
            except (Exception, Hang, RecursionError) as exc:
                count["crashed"] += 1
                key = site(exc)
                sites[key] += 1
                name = hashlib.sha1(key.encode()).hexdigest()[:12]
                if name not in known:
                    known.add(name)
                    record = {
                        "site": key,
                        "kind": kind,
                        "command": command,
                        "sample": str(source.relative_to(ROOT)) if source.is_relative_to(ROOT) else source.name,
                        "mutations": mutations,
                        "error": f"{type(exc).__name__}: {exc}"[:2000],
                        "traceback": traceback.format_exception(exc)[-6:],
                    }
                    save_crash(args.crash_dir, name, case, record)
                    print(f"new crash {key} ({command} {source.name}): {mutations}", flush=True)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            elapsed = time.monotonic() - start
            if elapsed > slowest[0]:
                slowest = (elapsed, f"{command} {source.name} {mutations}")
            count["cases"] += 1
    print(json.dumps({"seed": seed, "kinds": counts, "sites": dict(sites.most_common())}, indent=1))
    print(f"slowest case: {slowest[0]:.2f} s ({slowest[1]})"[:400])
    return 1 if sites else 0


if __name__ == "__main__":
    raise SystemExit(main())
