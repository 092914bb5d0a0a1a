"""repair and diagnose: a file for an older loader (legacy .h5, tf.keras archives, Keras 3 releases), and why it fails."""

from __future__ import annotations

import sys

import click

from kerasmigrate import api
from kerasmigrate.cli.app import (
    EXIT_MISMATCH,
    echo_older_targets,
    emit_json,
    handle_errors,
    main,
    stdout_console,
    user_code_options,
)


@main.command("repair")
@click.argument("path", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--target",
    "-t",
    required=True,
    metavar="TARGET",
    help="Loader to repair for: keras-2.3 (Keras 2.3.1), tf-2.2, tf-2.4 (.h5 files); "
    "keras-3 (.keras archives of tf.keras 2.12-2.15); keras-3.3 ... keras-3.15 "
    "(.keras archives of a newer Keras 3, config.json rewritten only).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=str),
    help="Write the repaired file here (default: in place, keeping PATH.bak).",
)
@click.option("--dry-run", is_flag=True, help="Print the config diff; write nothing.")
@click.option("--no-backup", is_flag=True, help="In place without keeping PATH.bak.")
@click.option("--force", is_flag=True, help="Replace an existing output file.")
@click.option(
    "--keep-lambda",
    is_flag=True,
    help="Keep Lambda layers (their bytecode loads only under the writer's Python minor version).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the repair report as JSON.")
@handle_errors
@user_code_options
def repair_command(path, target, output, dry_run, no_backup, force, keep_lambda, as_json, user) -> None:
    """Rewrite a model file so that an older Keras loader accepts it (weights untouched)."""
    if _is_keras3_release(target):
        _repair_for_keras3_release(path, target, output, dry_run, not no_backup, force, as_json, user)
        return
    report = api.repair(
        path,
        target,
        output,
        dry_run=dry_run,
        backup=not no_backup,
        overwrite=force,
        allow_lambda=keep_lambda,
        user=user,
    )
    if as_json:
        emit_json({"ok": True, **report.to_dict()})
        return
    if dry_run:
        sys.stdout.write(report.diff)
    if not report.changed:
        click.echo(f"{report.input}: nothing to repair for {report.loader}", err=True)
    elif dry_run:
        click.echo(
            f"would repair {report.input} for {report.loader} "
            f"({len(report.passes)} rewrites, {len(report.attributes)} attributes re-encoded)",
            err=True,
        )
    else:
        click.echo(
            f"repaired {report.input} -> {report.output} for {report.loader}"
            + (f" (backup {report.backup})" if report.backup else ""),
            err=True,
        )
    for name, where in report.passes.items():
        click.echo(f"  {name}: {', '.join(where[:5])}{' ...' if len(where) > 5 else ''}", err=True)
    for item in report.training:
        click.echo(f"  carried over: {item}", err=True)
    for item in report.dropped:
        click.echo(f"  not carried over: {item}", err=True)


@main.command("diagnose")
@click.argument("path", type=click.Path(dir_okay=True, path_type=str))
@click.option(
    "--target",
    "-t",
    metavar="TARGET",
    help="One loader: keras-2.3, tf-2.2, tf-2.4, keras-3 (tf.keras .keras archives) or a "
    "Keras 3 release keras-3.3 ... keras-3.15 (default: all legacy loaders).",
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@handle_errors
@user_code_options
def diagnose_command(path, target, as_json, user) -> None:
    """Why a model file fails (or will fail) in a loader, and the command that fixes it (no TensorFlow)."""
    if _is_keras3_release(target):
        _diagnose_for_keras3_release(path, target, as_json, user)
        return
    result = api.diagnose(path, target, user=user).to_dict()
    if as_json:
        emit_json(result)
    else:
        out = stdout_console()
        out.print(f"[bold]{result['file']}[/bold]  ({result.get('format')})", markup=True)
        for key in ("keras_version", "backend", "writer", "model_class", "note"):
            if result.get(key):
                out.print(f"  {key.replace('_', ' ')}: {result[key]}", markup=False)
        for key, value in (result.get("string_attributes") or {}).items():
            out.print(f"  attribute {key}: {value}", markup=False)
        for verdict in result["targets"]:
            state = "loads" if verdict["loads"] else "fails" if verdict["loads"] is False else "no known blocker"
            out.print(f"\n[bold]{verdict['target']}[/bold] ({verdict['loader']}): {state}", markup=True)
            for f in verdict["findings"]:
                extra = f" +{f['more']} more" if f["more"] else ""
                where = f" [{', '.join(f['where'])}{extra}]" if f["where"] else ""
                mark = "" if f["repairable"] else " (not repairable)"
                out.print(f"  - {f['symptom']}{mark}\n      because: {f['cause']}{where}", markup=False)
            if verdict.get("fix"):
                out.print(f"  fix: {verdict['fix']}", markup=False)
    if target is not None and any(v["loads"] is False for v in result["targets"]):
        sys.exit(EXIT_MISMATCH)


def _is_keras3_release(target: str | None) -> bool:
    """keras-3.X names one Keras 3 release (keras3_targets); plain keras-3 is the archive upgrade."""
    return bool(target) and target.lower().startswith(("keras-3.", "3."))


def _repair_for_keras3_release(path, target, output, dry_run, backup, overwrite, as_json, user) -> None:
    report = api.repair_for_release(
        path, target, output, dry_run=dry_run, backup=backup, overwrite=overwrite, user=user
    )
    if as_json:
        emit_json({"ok": True, **report})
        return
    if dry_run:
        sys.stdout.write(report["diff"])
    verb = "would rewrite" if dry_run else "rewrote"
    if not report["changed"]:
        click.echo(f"{path}: nothing to change for Keras {report['release']}", err=True)
    else:
        click.echo(f"{verb} {path} -> {report['output']} for Keras {report['release']}", err=True)
    for change in report["changes"]:
        for finding in change.get("findings") or [{"layer": change.get("where"), "why": ""}]:
            click.echo(f"  {change['pass']}: {finding.get('layer')}: {finding.get('why')}", err=True)
    click.echo(f"  loads in: Keras {', '.join(report['loads_in'])}", err=True)
    echo_older_targets(report["older_targets"])


def _diagnose_for_keras3_release(path, target, as_json, user) -> None:
    result = api.diagnose_for_release(path, target, user=user)
    if as_json:
        emit_json(result)
    else:
        out = stdout_console()
        out.print(f"{result['file']} (written by Keras {result.get('keras_version')})", markup=False)
        out.print(f"  loads as it is in: Keras {', '.join(result['loads_in']) or 'none of 3.3-3.15'}", markup=False)
        for release, findings in result["findings"].items():
            out.print(f"  Keras {release}: {len(findings)} problem(s)", markup=False)
            for f in findings:
                since = f"first release: {f['first_release']}; " if f.get("first_release") else ""
                out.print(
                    f"    - {f.get('layer')}: {f.get('argument')}={f.get('value')!r}: {f.get('why')} "
                    f"({since}{f.get('action')})",
                    markup=False,
                )
            if findings:
                out.print(f"  fix: {api.repair_command(path, target, 'FIXED.keras')}", markup=False)
    if any(result["findings"].values()):
        sys.exit(EXIT_MISMATCH)
