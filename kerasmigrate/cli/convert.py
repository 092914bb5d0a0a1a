"""convert: one model (any kind kerasmigrate reads) into a .keras file, or every model of trees.

One model goes through api.convert, the same single conversion each file of a tree goes through
in its worker; what was done is printed from the result's data.
"""

from __future__ import annotations

from pathlib import Path

import click

from kerasmigrate import api
from kerasmigrate.cli.app import echo_older_targets, emit_json, handle_errors, main
from kerasmigrate.cli.trees import batch_options, is_tree, run_tree, tree_options


@main.command("convert")
@click.argument("input_paths", metavar="INPUT...", nargs=-1, required=True, type=str)
@click.option(
    "-o",
    "--output",
    "output",
    type=str,
    help="One model: the output .keras file (default: INPUT with the suffix .keras). "
    "A directory, several paths or URLs: the output directory (required), mirroring the tree.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace an existing output file (a batch: also files in OUTDIR no earlier run wrote).",
)
@click.option(
    "--mapping",
    type=click.Path(dir_okay=False, path_type=str),
    help="mapping.toml: what custom classes, functions and Lambda layers become.",
)
@click.option(
    "--custom-module",
    "custom_module",
    metavar="FILE.py|MODULE",
    help="Your Keras 3 classes and registered functions (imports it, and Keras).",
)
@click.option(
    "--target",
    "target",
    metavar="keras-3.X",
    help="Keras 3 release the file must load in (keras-3.3, keras-3.6, keras-3.9, "
    "keras-3.12, keras-3.15); default: the oldest release whose file also loads in "
    "every newer one (3.3 for most models, 3.6 for a Functional inside a Sequential).",
)
@click.option(
    "--keep-functions",
    "keep_functions",
    is_flag=True,
    help="Keep Keras 2's hard_sigmoid as the registered function kerasmigrate>hard_sigmoid_keras2 "
    "and the weights (and optimizer state) as stored, instead of folding it into the weights; "
    "loading then needs `import kerasmigrate.keras_objects`.",
)
@click.option(
    "--channels-last",
    "channels_last",
    is_flag=False,
    flag_value="inner",
    default=None,
    type=click.Choice(["inner", "io"]),
    help="Rewrite a channels_first model to compute the same function channels_last (runs on every "
    "CPU with TensorFlow); its inputs and outputs keep their layout (Permutes), or with "
    "--channels-last=io become channels_last too.",
)
@click.option(
    "--verify", "verify_outputs", is_flag=True, help="Batch: verify each output (imports Keras in each worker)."
)
@click.option(
    "--refs-dir",
    "refs_dir",
    type=click.Path(file_okay=False, path_type=str),
    help="Batch --verify: stored references, NAME.refs.npz mirroring the tree (else the original runs in tf_keras).",
)
@batch_options
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (a batch: JSON Lines, one per file).")
@handle_errors
def convert_command(
    input_paths: tuple[str, ...],
    output: str | None,
    force: bool,
    mapping: str | None,
    custom_module: str | None,
    target: str | None,
    keep_functions: bool,
    channels_last: str | None,
    verify_outputs: bool,
    refs_dir: str | None,
    jobs: int | None,
    timeout: float,
    max_memory: int | None,
    executor: str,
    scheduler: str | None,
    storage_options: str | None,
    allow_empty: bool,
    as_json: bool,
) -> None:
    """Convert a legacy .h5 model, a Keras SavedModel directory or a .keras archive (tf.keras
    2.12-2.15's repaired, Keras 3's rewritten for --target) to a Keras 3 .keras file;
    or every model of directories (and fsspec URLs) into an output directory: in parallel,
    resumable (a ledger in OUTDIR), with report.json and report.html there.

    Batch exit codes: 0 every model converted (and verified), 1 some refused, failed or
    mismatched (the report lists them), 2 bad usage, an unreadable input path, or no model
    found (unless --allow-empty)."""
    conversion = {
        "mapping": mapping,
        "custom_module": custom_module,
        "target": target,
        "keep_functions": keep_functions,
        "channels_last": channels_last,
    }
    if is_tree(input_paths):
        if not output:
            raise click.UsageError("a batch needs -o OUTDIR, the output directory")
        options = tree_options(jobs, timeout, max_memory, executor, scheduler, storage_options)
        run_tree(
            "convert",
            as_json,
            lambda batch, **display: batch.convert_tree(
                list(input_paths),
                output,
                verify=verify_outputs,
                refs_dir=refs_dir,
                force=force,
                **conversion,
                **options,
                **display,
            ),
            allow_empty,
        )
        return
    (input_path,) = input_paths
    result = api.convert(
        input_path, output or str(Path(input_path).with_suffix(".keras")), overwrite=force, **conversion
    )
    if as_json:
        emit_json({"ok": True, **result.to_dict()})
    elif result.report is None:
        echo_archive_conversion(result)
    else:
        echo_legacy_conversion(result.report)


def echo_archive_conversion(result: api.Conversion) -> None:
    """A .keras archive: repaired, retargeted or copied, and where it loads."""
    click.echo(
        f"{' and '.join(result.actions)} {result.input} -> {result.output} "
        f"(written by {result.writer}, {len(result.passes)} passes)",
        err=True,
    )
    click.echo(f"  loads in Keras {', '.join(result.loads_in) or 'none of the releases kerasmigrate knows'}", err=True)


def echo_legacy_conversion(report: api.ConversionReport) -> None:
    click.echo(
        f"converted {report.input} -> {report.output} "
        f"({report.layers} layers, {report.weights} weights, "
        f"{len(report.passes)} passes, {report.seconds:.2f}s)",
        err=True,
    )
    click.echo(f"  written for Keras {report.target_release}; loads in Keras {', '.join(report.loads_in)}", err=True)
    echo_older_targets(report.older_targets)
    for item in report.training:
        click.echo(f"  carried over: {item}", err=True)
    for item in report.dropped:
        click.echo(f"  not carried over: {item}", err=True)
    for item in report.notes:
        click.echo(f"  note: {item}", err=True)
    for section in ("classes", "lambdas", "functions"):
        for where, what in (report.mapped.get(section) or {}).items():
            click.echo(f"  mapped {where}: {what}", err=True)
    for where, what in report.lambdas.items():
        click.echo(f"  Lambda {where}: {what}", err=True)
    if report.mapped.get("unused_rules"):
        click.echo(f"  mapping rules this file does not use: {', '.join(report.mapped['unused_rules'])}", err=True)
    if report.renamed_layers:
        click.echo(
            f"  renamed {len(report.renamed_layers)} layers whose names Keras 3 rejects "
            "('/' -> '_'); the table is in the output's metadata.json",
            err=True,
        )
    if report.channels_last:
        echo_channels_last(report.channels_last)
    if report.weight_transforms:
        click.echo(
            f"  weights {weight_changes(report)}: {', '.join(report.weight_transforms)}; the steps are in the "
            "output's metadata.json",
            err=True,
        )


def echo_channels_last(summary: dict) -> None:
    """What --channels-last rewrote (the whole list is in metadata.json)."""
    click.echo(
        f"  channels_last: {len(summary['rewritten'])} layers rewritten, {len(summary['permutes'])} Permutes inserted",
        err=True,
    )
    for where, shape in summary["input_shapes"].items():
        click.echo(f"  input {where} is now channels_last: shape {shape}", err=True)


def weight_changes(report: api.ConversionReport) -> str:
    """What was done to the weights the report lists as computed, not copied."""
    why = [f"converted to the Keras 3 layout ({report.backend} backend)"] if report.layout_converted else []
    why += ["scaled by 1.2 to fold Keras 2's hard_sigmoid"] if report.folded else []
    return " and ".join(why)
