"""Convert trees of models and compare the outcome with an earlier run, byte for byte.

    python scripts/compare_conversions.py snapshot OUT.json ROOT... [--mapping M --custom-module P]
    python scripts/compare_conversions.py compare BEFORE.json AFTER.json

`snapshot` converts every model under the ROOTs twice, as a user would: the batch command
(`kerasmigrate convert ROOT -o DIR`) and the single-file command (`kerasmigrate convert FILE -o
OUT.keras`, once per model file the batch found), and records for each input its status,
its message (paths made relative) and the sha256 of each output file. `compare` prints every
difference and exits 1 if there is one: a refactoring that changes no behaviour leaves none.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

KERASMIGRATE = [sys.executable, "-m", "kerasmigrate"]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _scrub(text: str | None, *roots: Path) -> str | None:
    if text is None:
        return None
    for root in roots:
        text = text.replace(str(root), "<root>")
    return text


def _batch(root: Path, extra: list[str], work: Path) -> dict:
    out = work / "batch"
    subprocess.run([*KERASMIGRATE, "convert", str(root), "-o", str(out), "-j", "2", *extra], capture_output=True)
    report = json.loads((out / "report.json").read_text())
    entries = {}
    for rec in report["files"]:
        output = rec.get("output")
        digest = None
        if output:
            produced = out / output if not Path(output).is_absolute() else Path(output)
            digest = _sha256(produced) if produced.is_file() else "missing"
        entries[rec["path"]] = {
            "status": rec["status"],
            "reason": _scrub(rec.get("reason"), root, out),
            "output": digest,
        }
    return entries


def _single(root: Path, paths: list[str], extra: list[str], work: Path) -> dict:
    entries = {}
    for rel in paths:
        output = work / "single" / (rel.replace("/", "__") + ".keras")
        output.parent.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(
            [*KERASMIGRATE, "convert", str(root / rel), "-o", str(output), *extra],
            capture_output=True,
            text=True,
        )
        errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
        entries[rel] = {
            "exit": done.returncode,
            "error": _scrub(errors[-1] if errors else done.stderr.strip(), root, work) if done.returncode else None,
            "output": _sha256(output) if output.is_file() else None,
        }
    return entries


def snapshot(out: Path, roots: list[Path], extra: list[str]) -> None:
    result = {}
    for root in roots:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            batch = _batch(root.resolve(), extra, work)
            models = [rel for rel, e in batch.items() if e["status"] != "skipped"]
            result[str(root)] = {"batch": batch, "single": _single(root.resolve(), models, extra, work)}
            print(f"{root}: {len(batch)} entries, {len(models)} models", file=sys.stderr)
    out.write_text(json.dumps(result, indent=1, sort_keys=True))


def compare(before: Path, after: Path) -> int:
    a, b = json.loads(before.read_text()), json.loads(after.read_text())
    differences = 0
    counted = 0
    for root in sorted(set(a) | set(b)):
        for side in ("batch", "single"):
            ea, eb = a.get(root, {}).get(side, {}), b.get(root, {}).get(side, {})
            for rel in sorted(set(ea) | set(eb)):
                counted += 1
                if ea.get(rel) != eb.get(rel):
                    differences += 1
                    print(f"{side} {root}/{rel}:\n  before {ea.get(rel)}\n  after  {eb.get(rel)}")
    same_outputs = sum(
        1
        for root in a
        for side in ("batch", "single")
        for rel, e in a[root][side].items()
        if e.get("output") and b.get(root, {}).get(side, {}).get(rel, {}).get("output") == e["output"]
    )
    print(f"{counted} entries compared, {same_outputs} outputs byte-identical, {differences} difference(s)")
    return 1 if differences else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    snap = sub.add_parser("snapshot")
    snap.add_argument("out", type=Path)
    snap.add_argument("roots", type=Path, nargs="+")
    cmp_ = sub.add_parser("compare")
    cmp_.add_argument("before", type=Path)
    cmp_.add_argument("after", type=Path)
    args, extra = parser.parse_known_args()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if args.command == "snapshot":
        snapshot(args.out, args.roots, extra)
        return 0
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
