"""join (weights-only .h5 + JSON architecture) and map init (the mapping custom code needs)."""

from __future__ import annotations

import click

from kerasmigrate import api
from kerasmigrate.cli.app import emit_json, handle_errors, main


@main.command("join")
@click.argument("weights", type=click.Path(dir_okay=False, path_type=str))
@click.argument("architecture", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=str), help="The full-model .h5 to write."
)
@click.option("--force", is_flag=True, help="Replace an existing output file.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@handle_errors
def join_command(weights, architecture, output, force, as_json) -> None:
    """Join a weights-only .h5 (save_weights) and its JSON architecture (to_json) into a full model."""
    report = api.join(weights, architecture, output, overwrite=force)
    if as_json:
        emit_json({"ok": True, **report.to_dict()})
        return
    click.echo(
        f"joined {report.weights} + {report.architecture} -> {report.output} "
        f"({len(report.layers_with_weights)} layers with weights)",
        err=True,
    )


# --- map: mappings for custom classes, functions and Lambda layers ----------


@main.group("map")
def map_group() -> None:
    """Write the mapping that custom classes, functions and Lambda layers need."""


@map_group.command("init")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=True, path_type=str))
@click.option(
    "-o",
    "--output",
    "output",
    required=True,
    type=click.Path(dir_okay=False, path_type=str),
    help="The mapping.toml to write.",
)
@click.option("--force", is_flag=True, help="Replace an existing file.")
@handle_errors
def map_init_command(paths, output: str, force: bool) -> None:
    """List every custom class, Lambda layer, custom function and unknown TF op of PATHS
    in a mapping skeleton to fill in (reads configs only; runs nothing stored in them)."""
    counts = api.write_mapping_skeleton(list(paths), output, overwrite=force)
    click.echo(
        f"wrote {output}: {counts['classes']} classes, {counts['lambdas']} Lambda layers, "
        f"{counts['functions']} functions, {counts['tf_ops']} TF ops to map",
        err=True,
    )
