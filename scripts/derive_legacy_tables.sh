#!/usr/bin/env bash
# Write kerasmigrate/data/legacy_targets.json: what each old loader accepts, derived by
# scripts/derive_legacy_tables.py inside the real stacks of ../shared/oracles.
set -euo pipefail
cd "$(dirname "$0")/.."
ORACLES=../shared/oracles
OUT=kerasmigrate/data/legacy_targets.json
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
for pair in keras-2.3:keras2.3 tf-2.2:tf2.2 tf-2.4:tf2.4; do
    target=${pair%%:*}
    stack=${pair#*:}
    "$ORACLES/setup.sh" "$stack" >&2
    "$ORACLES/run.sh" "$stack" scripts/derive_legacy_tables.py > "$TMP/$target.json"
done
python3 - "$TMP" "$OUT" <<'PY'
import json, pathlib, sys
tmp, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
stacks = {"keras-2.3": "keras2.3", "tf-2.2": "tf2.2", "tf-2.4": "tf2.4"}
tables = {}
for target, stack in stacks.items():
    table = json.loads((tmp / f"{target}.json").read_text())
    table["stack"] = stack
    tables[target] = table
out.write_text(json.dumps({"generator": "scripts/derive_legacy_tables.py", "targets": tables},
                          indent=1, sort_keys=True) + "\n")
PY
echo "wrote $OUT" >&2
