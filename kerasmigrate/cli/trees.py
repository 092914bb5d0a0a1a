"""What the commands that walk trees share (convert with a directory, check), and check.

Each file of a tree goes through the same single conversion as `convert FILE` (kerasmigrate/conversion.py),
in worker processes (kerasmigrate/batch/).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
import orjson

from kerasmigrate import api
from kerasmigrate.cli.app import EXIT_ERROR, EXIT_MISMATCH, EXIT_OK, handle_errors, main


def batch_options(func):
    """Options of the commands that walk trees (convert with a directory, check)."""
    options = [
        click.option("-j", "--jobs", type=click.IntRange(min=1), help="Worker processes (default: the cores)."),
        click.option(
            "--timeout",
            type=click.FloatRange(min=0.1),
            default=600,
            show_default=True,
            help="Seconds one file may take before its worker is stopped and the file reported failed.",
        ),
        click.option(
            "--max-memory",
            "max_memory",
            type=click.IntRange(min=64),
            metavar="MIB",
            help="Resident-memory limit of each worker (MiB; Linux): a file whose worker goes past it fails alone.",
        ),
        click.option(
            "--executor",
            type=click.Choice(["local", "dask"]),
            default="local",
            show_default=True,
            help="local worker processes, or an existing Dask cluster (--scheduler).",
        ),
        click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786."),
        click.option(
            "--storage-options",
            "storage_options",
            metavar="JSON",
            help='fsspec options for URL paths, e.g. \'{"endpoint_url": "http://localhost:9000"}\'.',
        ),
        click.option(
            "--allow-empty",
            "allow_empty",
            is_flag=True,
            help="Exit 0 when the paths hold no model at all (else exit 2: a wrong path, most likely).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def parse_storage_options(text: str | None) -> dict:
    if not text:
        return {}
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--storage-options") from None
    if not isinstance(value, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--storage-options")
    return value


def tree_options(
    jobs: int | None,
    timeout: float,
    max_memory: int | None,
    executor: str,
    scheduler: str | None,
    storage_options: str | None,
) -> dict:
    """The batch options as convert_tree and check_tree take them."""
    if executor == "dask" and not scheduler:
        raise click.UsageError("--executor dask needs --scheduler ADDRESS")
    return {
        "jobs": jobs,
        "timeout": timeout,
        "max_memory_mib": max_memory,
        "executor": executor,
        "scheduler": scheduler,
        "storage_options": parse_storage_options(storage_options),
    }


# A directory named like a model file is a wrong path given as one model, not a tree to walk.
MODEL_FILE_SUFFIXES = (".h5", ".hdf5", ".keras")


def is_tree(paths: tuple[str, ...]) -> bool:
    """Several paths, a URL, or a directory that is not itself a SavedModel (nor named like a
    model file: `convert FILE` says what it is): a batch."""
    if len(paths) != 1:
        return True
    if "://" in paths[0]:
        return True
    return api.sniff(paths[0]) == "directory" and Path(paths[0]).suffix.lower() not in MODEL_FILE_SUFFIXES


def run_tree(mode: str, as_json: bool, call, allow_empty: bool) -> None:
    from kerasmigrate import batch
    from kerasmigrate.progress import make_display

    display = make_display(mode, as_json)
    try:
        result = call(batch, on_start=display.start, on_record=display.record)
    finally:
        display.close()
    display.finish(result.summary, result.report_files)
    if result.ok and not result.found_models and not allow_empty:  # a failure says more: exit 1
        inputs = ", ".join(result.summary.inputs)
        click.echo(f"error: no model found in {inputs}; --allow-empty accepts a tree without models", err=True)
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_OK if result.ok else EXIT_MISMATCH)


@main.command("check")
@click.argument("paths", metavar="PATH...", nargs=-1, required=True, type=str)
@click.option(
    "--target",
    "-t",
    metavar="keras-3.X",
    help="The Keras 3 release the models must load in (default: the newest kerasmigrate knows).",
)
@click.option(
    "--mapping", type=click.Path(dir_okay=False, path_type=str), help="mapping.toml used to check convertibility."
)
@click.option("--custom-module", "custom_module", metavar="FILE.py|MODULE", help="Your Keras 3 classes.")
@click.option(
    "-o",
    "--output-dir",
    "output_dir",
    type=str,
    help="Write report.json, report.html and the ledger there (a rerun skips unchanged files).",
)
@batch_options
@click.option("--json", "as_json", is_flag=True, help="JSON Lines: one object per file, then the summary.")
@handle_errors
def check_command(
    paths, target, mapping, custom_module, output_dir, jobs, timeout, max_memory, executor, scheduler,
    storage_options, allow_empty, as_json,
) -> None:  # fmt: skip
    """Exit 1 when any model under PATH... will not load in the target Keras 3 as it is, or
    cannot be converted; lists each with the command that fixes it. Converts nothing.

    Exit codes: 0 every model loads; 1 some need `convert` or `repair`, were refused or failed;
    2 bad usage, an unreadable path, or no model found (unless --allow-empty). Non-model files
    are listed as skipped, never an error."""
    options = tree_options(jobs, timeout, max_memory, executor, scheduler, storage_options)
    run_tree(
        "check",
        as_json,
        lambda batch, **display: batch.check_tree(
            list(paths),
            target=target,
            output_dir=output_dir,
            mapping=mapping,
            custom_module=custom_module,
            **options,
            **display,
        ),
        allow_empty,
    )
