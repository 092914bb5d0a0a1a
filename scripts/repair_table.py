#!/usr/bin/env python
"""Print the table samples x repair targets: repaired? loads in the real old stack? max abs diff.

    PYTHONPATH=. python scripts/repair_table.py [--sources tf2.4,tf2.12,...] [--targets keras-2.3,tf-2.2,tf-2.4]

Repairs every model sample of the given writers for each target, loads all of
them in one process per stack (scripts/load_repaired.py, via
../shared/oracles/run.sh; the stacks must be set up), and prints a Markdown
table: `max abs diff` when the file loaded and matched its refs, `refused`
when repair refused it (what cannot be expressed), the error otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from pathlib import Path

from kerasmigrate.api import repair
from kerasmigrate.downgrade.repair import TARGETS, RepairRefused

ROOT = Path(__file__).resolve().parent.parent
ORACLES = ROOT.parent / "shared" / "oracles"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", default="keras2.3,tf2.2,tf2.4,tf2.12,tf2.15,tf_keras2.21")
    parser.add_argument("--targets", default="keras-2.3,tf-2.2,tf-2.4")
    args = parser.parse_args()
    sources = args.sources.split(",")
    targets = args.targets.split(",")
    cells: dict[tuple[str, str], str] = {}
    rows: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for target in targets:
            pairs = []
            for source in sources:
                manifest = json.loads((ROOT / "sample_models" / source / "manifest.json").read_text())
                for entry in manifest["samples"]:
                    if entry["kind"] not in ("model", "refused"):
                        continue
                    sid = f"{source}/{entry['name']}"
                    if sid not in rows:
                        rows.append(sid)
                    out = Path(tmp) / f"{target}__{source}__{entry['name']}.h5"
                    try:
                        report = repair(ROOT / "sample_models" / source / entry["file"], target, out)
                    except RepairRefused:
                        cells[(sid, target)] = "refused"
                        continue
                    if not report.changed:
                        out.write_bytes((ROOT / "sample_models" / source / entry["file"]).read_bytes())
                    pairs.append((sid, out, ROOT / "sample_models" / source / entry["refs"]))
            done = subprocess.run(
                [
                    "bash",
                    str(ORACLES / "run.sh"),
                    TARGETS[target].stack,
                    str(ROOT / "scripts" / "load_repaired.py"),
                    *[f"{o}={r}" for _, o, r in pairs],
                ],
                capture_output=True,
                text=True,
                env={k: v for k, v in os.environ.items() if k != "TF2_BEHAVIOR"},
            )
            results = {
                json.loads(line)["file"]: json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")
            }
            for sid, out, _ in pairs:
                r = results.get(str(out))
                if r is None:
                    cells[(sid, target)] = "no answer"
                elif r["ok"]:
                    opt = " (opt. state restored)" if r.get("optimizer_state") == "restored" else ""
                    cells[(sid, target)] = f"{r['max_abs_diff']:.1g}{opt}"
                else:
                    cells[(sid, target)] = f"FAILS: {r['error'][:60]}"
    print("| sample | " + " | ".join(targets) + " |")
    print("|---|" + "---|" * len(targets))
    for sid in rows:
        print(f"| {sid} | " + " | ".join(cells.get((sid, t), "") for t in targets) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
