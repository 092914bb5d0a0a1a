"""Table of sample models: kerasmigrate convert + verify, beside Keras 3's own load_model.

    python scripts/coverage_report.py [SAMPLES_DIR] [--markdown]

For every sample (sample_models/<stack>/manifest.json): does kerasmigrate convert
it, does the result match the writing stack's outputs (max abs diff), and what
does plain `keras.saving.load_model(original.h5)` of the installed Keras 3 do
on the same file: error, loads but gives other outputs ("WRONG"), or matches.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402

from kerasmigrate.api import convert  # noqa: E402
from kerasmigrate.errors import KerasMigrateError  # noqa: E402
from kerasmigrate.verify import load_references, verify  # noqa: E402


def keras_own(path: Path, refs: Path) -> str:
    import keras

    inputs, expected = load_references(refs)
    try:
        model = keras.saving.load_model(path, compile=False)
    except Exception as exc:
        return f"error: {type(exc).__name__}: {str(exc).splitlines()[0][:60]}"
    try:
        got = model.predict(inputs[0] if len(inputs) == 1 else inputs, verbose=0)
    except Exception as exc:
        return f"loads, predict fails: {type(exc).__name__}"
    got = got if isinstance(got, (list, tuple)) else [got]
    diff = max(
        float(np.max(np.abs(np.asarray(g) - e))) if np.shape(g) == np.shape(e) else float("inf")
        for g, e in zip(got, expected)
    )
    return f"matches ({diff:.1g})" if diff <= 1e-3 else f"WRONG (max diff {diff:.2g})"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("samples", nargs="?", default="sample_models", type=Path)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for manifest in sorted(args.samples.glob("*/manifest.json")):
            stack = manifest.parent
            for entry in json.loads(manifest.read_text())["samples"]:
                if entry["kind"] == "weights":
                    continue
                source = stack / entry["file"]
                refs = stack / entry["refs"]
                target = Path(tmp) / stack.name / f"{entry['name']}.keras"
                try:
                    convert(source, target)
                    report = verify(source, target, refs=refs)
                    ours = ("verified" if report.ok else "MISMATCH", f"{report.max_abs:.1g}")
                except KerasMigrateError as exc:
                    ours = ("refused" if entry["kind"] == "refused" else "FAILED", exc.kind)
                rows.append((stack.name, entry["name"], *ours, keras_own(source, refs)))
    print("| writer | model | kerasmigrate | max abs diff | Keras 3 load_model on the .h5 |")
    print("|---|---|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    ok = sum(1 for r in rows if r[2] == "verified")
    own = sum(1 for r in rows if r[4].startswith("matches"))
    print(
        f"\nkerasmigrate: {ok} of {len(rows)} verified "
        f"({sum(1 for r in rows if r[2] == 'refused')} refused as expected); "
        f"Keras 3's own load_model: {own} of {len(rows)} match"
    )
    return 0 if all(r[2] in ("verified", "refused") for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
