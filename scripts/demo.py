"""Convert every sample model into OUT_DIR, verify each against its references, print a table.

    python scripts/demo.py [SAMPLES_DIR] [OUT_DIR]

SAMPLES_DIR holds one folder per writing stack with a manifest.json (as
scripts/gen_samples.py writes them). References are the outputs the writing
stack itself computed, so "verified" means: the Keras 3 file gives the numbers
the original Keras gave. Weights-only samples, and samples whose
manifest kind is "refused" (a conversion that cannot be faithful), must be
refused with a clear message; samples of kind "mapped" convert with the
mapping (and Keras 3 module) their manifest names. Exit code 1 if any model
fails to convert or to verify.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from rich.console import Console
from rich.table import Table

from kerasmigrate.api import convert
from kerasmigrate.errors import KerasMigrateError, WeightsOnlyFileError
from kerasmigrate.verify import DEFAULT_ATOL, HALF_PRECISION_ATOL, verify  # verify quiets TensorFlow


def main(argv: list[str]) -> int:
    samples = Path(argv[0] if argv else "sample_models")
    out_dir = Path(argv[1] if len(argv) > 1 else "out")
    table = Table(
        title=f"kerasmigrate: {samples} -> {out_dir} (tolerance: max abs diff <= {DEFAULT_ATOL:g}, "
        f"{HALF_PRECISION_ATOL:g} for float16 compute)"
    )
    for col in ("writer", "sample", "result", "max abs diff", "passes", "seconds"):
        table.add_column(col, no_wrap=True)
    failures = 0
    total = verified = 0
    for manifest_path in sorted(samples.glob("*/manifest.json")):
        stack_dir = manifest_path.parent
        manifest = json.loads(manifest_path.read_text())
        versions = manifest["versions"]
        writer = f"{'Keras' if versions['api'] == 'keras' else 'tf.keras'} {versions['keras_version']}"
        for sample in manifest["samples"]:
            source = stack_dir / sample["file"]
            target = out_dir / stack_dir.name / (Path(sample["file"]).stem + ".keras")
            if sample["kind"] == "mapped":  # needs the user's mapping (and Keras 3 module)
                total += 1
                try:
                    report = convert(source, target, overwrite=True, mapping=stack_dir / sample["mapping"])
                    result = verify(
                        source,
                        target,
                        refs=stack_dir / sample["refs"],
                        custom_module=str(stack_dir / sample["custom_module"]),
                    )
                except KerasMigrateError as exc:
                    failures += 1
                    table.add_row(writer, sample["name"], f"[red]error[/red]: {exc.message}", "", "", "")
                    continue
                verified += result.ok
                failures += not result.ok
                table.add_row(
                    writer,
                    sample["name"],
                    "verified (mapped)" if result.ok else "[red]MISMATCH[/red]",
                    f"{result.max_abs:.2g}",
                    str(len(report.passes)),
                    f"{report.seconds:.3f}",
                )
                continue
            if sample["kind"] != "model":
                expected = WeightsOnlyFileError if sample["kind"] == "weights" else KerasMigrateError
                try:
                    convert(source, target, overwrite=True)
                    table.add_row(writer, sample["name"], "[red]converted, but must be refused[/red]", "", "", "")
                    failures += 1
                except expected as exc:
                    table.add_row(writer, sample["name"], f"refused as expected: {exc.kind}", "", "", "")
                continue
            total += 1
            try:
                report = convert(source, target, overwrite=True)
                result = verify(source, target, refs=stack_dir / sample["refs"])
            except KerasMigrateError as exc:
                failures += 1
                table.add_row(writer, sample["name"], f"[red]error[/red]: {exc.message}", "", "", "")
                continue
            if result.ok:
                verified += 1
            else:
                failures += 1
            table.add_row(
                writer,
                sample["name"],
                "verified" if result.ok else "[red]MISMATCH[/red]",
                f"{result.max_abs:.2g}",
                str(len(report.passes)),
                f"{report.seconds:.3f}",
            )
    # On a pipe no terminal width applies: wide enough that no path or message is cut.
    terminal = Console()
    console = Console(width=terminal.width if terminal.is_terminal else 250)
    console.print(table)
    console.print(f"{verified} of {total} sample models converted and verified; {failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
