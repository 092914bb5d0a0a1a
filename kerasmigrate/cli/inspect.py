"""inspect (what a file is), passes (the pass tables), verify (the converted model computes the same)."""

from __future__ import annotations

import sys

import click

from kerasmigrate import api
from kerasmigrate.cli.app import (
    EXIT_MISMATCH,
    EXIT_OK,
    emit_json,
    handle_errors,
    main,
    stdout_console,
    user_code_options,
)


@main.command("inspect")
@click.argument("path", type=click.Path(dir_okay=True, path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@handle_errors
@user_code_options
def inspect_command(path: str, as_json: bool, user) -> None:
    """What a model file is and what converting it involves (no TensorFlow import)."""
    info = api.inspect_file(path, user)
    if as_json:
        emit_json(info)
        return
    out = stdout_console()
    out.print(f"[bold]{info['file']}[/bold]  ({info['format']}, {info.get('size_bytes')} bytes)")
    for key in (
        "keras_version",
        "backend",
        "writer",
        "model_class",
        "model_name",
        "layers",
        "weights",
        "weight_bytes",
        "optimizer",
    ):
        if info.get(key) is not None:
            suffix = f" ({info['backend_source']})" if key == "backend" and info.get("backend_source") else ""
            out.print(f"  {key.replace('_', ' ')}: {info[key]}{suffix}")
    if info.get("layer_classes"):
        out.print("  layer classes: " + ", ".join(f"{k} x{v}" for k, v in info["layer_classes"].items()))
    if info.get("nested_models"):
        out.print("  nested models: " + ", ".join(info["nested_models"]))
    if info.get("layer_names") is not None:
        out.print(f"  layers with weights: {', '.join(info['layer_names'])}")
    needs = info.get("needs_mapping") or {}
    if needs.get("unknown_classes"):
        for cls, where in needs["unknown_classes"].items():
            out.print(f"  [yellow]needs mapping[/yellow]: {cls} ({', '.join(where)})")
    for name, where in (needs.get("unknown_functions") or {}).items():
        out.print(f"  [yellow]needs mapping[/yellow]: function {name} ({', '.join(where)})")
    for where, lam in (info.get("lambda_translations") or {}).items():
        expression = lam.get("expression") or "bytecode"
        if lam.get("became"):
            out.print(f"  Lambda {where}: {expression} → {lam['became']}")
        else:
            out.print(f"  [yellow]Lambda {where}[/yellow]: {expression}; not translated: {lam.get('refused')}")
    if needs.get("unknown_classes") or needs.get("unknown_functions"):
        out.print(f"  write a mapping: {api.map_init_command(info['file'])}")
    _print_traced(out, info.get("traced"))
    if info.get("passes"):
        out.print("  passes: " + ", ".join(f"{k} x{v}" for k, v in info["passes"].items()))
    if info.get("refused"):
        out.print(f"  [red]cannot convert[/red]: {info['refused']}")
    if info.get("target"):
        out.print(f"  written for: Keras {info['target']}")
    if info.get("loads_in") is not None:
        out.print(
            "  loads in: "
            + (", ".join(f"Keras {v}" for v in info["loads_in"]) or "none of the Keras 3 releases kerasmigrate knows")
        )


def _print_traced(out, traced: dict | None) -> None:
    if not traced:
        return
    what = ", ".join(
        f"the whole model ({p['class_name']})" if p["whole_model"] else f"layer {p['object']} ({p['class_name']})"
        for p in traced["parts"]
    )
    out.print(f"  from traced functions: {what}, its {traced['computation']}")
    for op in traced["untranslatable_ops"]:
        out.print(f"  [red]no translation[/red]: op {op['op']} in function {op['function']} of layer {op['layer']!r}")


@main.command("passes")
@click.option("--json", "as_json", is_flag=True)
def passes_command(as_json: bool) -> None:
    """List the pass tables in the order they run: upgrade, downgrade (repair), Keras 3 targets."""
    rows = api.pass_tables()
    if as_json:
        emit_json(rows)
        return
    table = None
    for row in rows:
        if row["table"] != table:
            table = row["table"]
            click.echo(f"[{table}]")
        click.echo(f"{row['name']:<32} {row['since']:<12} {row['summary']}")


@main.command("verify")
@click.argument("original", type=click.Path(dir_okay=True, path_type=str))
@click.argument("converted", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--refs",
    type=click.Path(exists=True, dir_okay=False, path_type=str),
    help="Reference inputs/outputs (.npz) instead of running the original in tf_keras; inputs by position "
    "(input_0…), or by name (input_<name>, or in_0… named by an input_names array).",
)
@click.option(
    "--atol", type=float, default=None, help="Absolute tolerance (default 1e-5; 1e-3 for models computing in float16)."
)
@click.option(
    "--rtol", type=float, default=None, help="Relative tolerance (default 0; 1e-3 for models computing in float16)."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the generated inputs.")
@click.option(
    "--custom-module",
    "custom_module",
    metavar="FILE.py|MODULE",
    help="Import this first: the classes and functions a mapped conversion refers to.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@handle_errors
def verify_command(original, converted, refs, atol, rtol, seed, custom_module, as_json) -> None:
    """Run both models on the same inputs and compare outputs (imports Keras)."""
    from kerasmigrate import verify as verify_module

    report = verify_module.verify(
        original, converted, refs=refs, seed=seed, atol=atol, rtol=rtol, custom_module=custom_module
    )
    if as_json:
        emit_json(report.to_dict())
    else:
        from rich.table import Table

        out = stdout_console()
        out.print(f"{converted} vs {original} ({report.references})", markup=False)
        table = Table()
        for col in ("output", "shape", "max abs diff", "max rel diff", "within tolerance"):
            table.add_column(col)
        for o in report.outputs:
            table.add_row(
                str(o.index),
                str(tuple(o.shape)),
                f"{o.max_abs:.3g}",
                f"{o.max_rel:.3g}",
                "yes" if o.ok else "[red]NO[/red]",
            )
        out.print(table)
        for note in report.notes:
            click.echo(f"note: {note}", err=True)
        click.echo(f"{'match' if report.ok else 'MISMATCH'}: atol={report.atol:g} rtol={report.rtol:g}", err=True)
    sys.exit(EXIT_OK if report.ok else EXIT_MISMATCH)
