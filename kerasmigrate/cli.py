"""Command line: parses, calls kerasmigrate.api / verify, prints. Nothing else.

Exit codes: 0 done, 1 verification found a mismatch, 2 error (bad input,
refused conversion, usage). Data (JSON) goes to stdout, messages to stderr.
"""

from __future__ import annotations

import functools
import os
import sys
import traceback

import click
import orjson

from kerasmigrate import __version__, api
from kerasmigrate.errors import KerasMigrateError

EXIT_OK, EXIT_MISMATCH, EXIT_ERROR = 0, 1, 2
EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE, what a shell reports for a tool its reader left


def _stdout_console():
    """Rich on stdout; on a pipe, long lines (file paths) stay whole instead of wrapping at 80 columns."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=not sys.stdout.isatty())


def _emit_json(data) -> None:
    sys.stdout.write(orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SERIALIZE_NUMPY).decode())
    sys.stdout.write("\n")


def handle_errors(func):
    """One line naming the file and the problem, exit 2; the traceback only with --debug."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        debug = click.get_current_context().find_root().params.get("debug", False)
        try:
            return func(*args, **kwargs)
        except KerasMigrateError as exc:
            if debug:
                traceback.print_exc()
            if click.get_current_context().params.get("as_json"):
                _emit_json({"ok": False, "error": exc.to_dict()})
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_ERROR)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except BrokenPipeError:
            # The reader left (`| head`): stop as a Unix tool stops on SIGPIPE, quietly, exit 141.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(EXIT_BROKEN_PIPE)
        except Exception as exc:  # a bug, not bad input: say so, keep the exit code
            if debug:
                traceback.print_exc()
            click.echo(
                f"error: internal error ({type(exc).__name__}: {exc}); rerun with --debug for the traceback", err=True
            )
            sys.exit(EXIT_ERROR)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kerasmigrate")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def main(debug: bool) -> None:
    """Move Keras models across format generations (legacy .h5 and SavedModel directories -> Keras 3 .keras)."""


@main.command("inspect")
@click.argument("path", type=click.Path(dir_okay=True, path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output on stdout.")
@handle_errors
def inspect_command(path: str, as_json: bool) -> None:
    """What a model file is and what converting it involves (no TensorFlow import)."""
    info = api.inspect_file(path)
    if as_json:
        _emit_json(info)
        return
    out = _stdout_console()
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
    if needs.get("unknown_classes") or needs.get("unknown_functions"):
        out.print(f"  write a mapping: kerasmigrate map init {info['file']} -o mapping.toml")
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


def _batch_options(func):
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
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _storage_options(text: str | None) -> dict:
    if not text:
        return {}
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--storage-options") from None
    if not isinstance(value, dict):
        raise click.BadParameter("must be a JSON object", param_hint="--storage-options")
    return value


def _is_tree(paths: tuple[str, ...]) -> bool:
    """Several paths, a URL, or a directory that is not itself a SavedModel: a batch."""
    if len(paths) != 1:
        return True
    path = paths[0]
    if "://" in path:
        return True
    return os.path.isdir(path) and not os.path.isfile(os.path.join(path, "saved_model.pb"))


def _run_tree(mode: str, as_json: bool, call) -> None:
    from kerasmigrate import batch
    from kerasmigrate.progress import make_display

    display = make_display(mode, as_json)
    try:
        result = call(batch, on_start=display.start, on_record=display.record)
    finally:
        display.close()
    display.finish(result.summary, result.report_files)
    sys.exit(EXIT_OK if result.ok else EXIT_MISMATCH)


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
    "--verify", "verify_outputs", is_flag=True, help="Batch: verify each output (imports Keras in each worker)."
)
@click.option(
    "--refs-dir",
    "refs_dir",
    type=click.Path(file_okay=False, path_type=str),
    help="Batch --verify: stored references, NAME.refs.npz mirroring the tree (else the original runs in tf_keras).",
)
@_batch_options
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
    verify_outputs: bool,
    refs_dir: str | None,
    jobs: int | None,
    timeout: float,
    max_memory: int | None,
    executor: str,
    scheduler: str | None,
    storage_options: str | None,
    as_json: bool,
) -> None:
    """Convert a legacy .h5 model or a Keras SavedModel directory to a Keras 3 .keras file;
    or every model of directories (and fsspec URLs) into an output directory: in parallel,
    resumable (a ledger in OUTDIR), with report.json and report.html there.

    Batch exit codes: 0 every model converted (and verified), 1 some refused, failed or
    mismatched (the report lists them), 2 bad usage or an unreadable input path."""
    from pathlib import Path

    if _is_tree(input_paths):
        if not output:
            raise click.UsageError("a batch needs -o OUTDIR, the output directory")
        if executor == "dask" and not scheduler:
            raise click.UsageError("--executor dask needs --scheduler ADDRESS")
        _run_tree(
            "convert",
            as_json,
            lambda batch, **display: batch.convert_tree(
                list(input_paths),
                output,
                jobs=jobs,
                timeout=timeout,
                verify=verify_outputs,
                refs_dir=refs_dir,
                mapping=mapping,
                custom_module=custom_module,
                target=target,
                keep_functions=keep_functions,
                force=force,
                executor=executor,
                scheduler=scheduler,
                storage_options=_storage_options(storage_options),
                max_memory_mib=max_memory,
                **display,
            ),
        )
        return
    (input_path,) = input_paths
    output = output or str(Path(input_path).with_suffix(".keras"))
    report = api.convert(
        input_path,
        output,
        overwrite=force,
        mapping=mapping,
        custom_module=custom_module,
        target=target,
        keep_functions=keep_functions,
    )
    if as_json:
        _emit_json({"ok": True, **report.to_dict()})
        return
    click.echo(
        f"converted {report.input} -> {report.output} "
        f"({report.layers} layers, {report.weights} weights, "
        f"{len(report.passes)} passes, {report.seconds:.2f}s)",
        err=True,
    )
    click.echo(f"  written for Keras {report.target_release}; loads in Keras {', '.join(report.loads_in)}", err=True)
    _echo_older_targets(report.older_targets)
    for item in report.training:
        click.echo(f"  carried over: {item}", err=True)
    for item in report.dropped:
        click.echo(f"  not carried over: {item}", err=True)
    for item in report.notes:
        click.echo(f"  note: {item}", err=True)
    for section in ("classes", "lambdas", "functions"):
        for where, what in (report.mapped.get(section) or {}).items():
            click.echo(f"  mapped {where}: {what}", err=True)
    if report.mapped.get("unused_rules"):
        click.echo(f"  mapping rules this file does not use: {', '.join(report.mapped['unused_rules'])}", err=True)
    if report.renamed_layers:
        click.echo(
            f"  renamed {len(report.renamed_layers)} layers whose names Keras 3 rejects "
            "('/' -> '_'); the table is in the output's metadata.json",
            err=True,
        )
    if report.weight_transforms:
        steps = [t for ts in report.weight_transforms.values() for t in ts]
        why = (
            [f"converted to the Keras 3 layout ({report.backend} backend)"]
            if any("scale(" not in t or "join(" in t for t in steps)
            else []
        )
        why += ["scaled by 1.2 to fold Keras 2's hard_sigmoid"] if any("scale(" in t for t in steps) else []
        click.echo(
            f"  weights {' and '.join(why)}: {', '.join(report.weight_transforms)}; the steps are in the "
            "output's metadata.json",
            err=True,
        )


@main.command("verify")
@click.argument("original", type=click.Path(dir_okay=True, path_type=str))
@click.argument("converted", type=click.Path(dir_okay=False, path_type=str))
@click.option(
    "--refs",
    type=click.Path(exists=True, dir_okay=False, path_type=str),
    help="Reference inputs/outputs (.npz) instead of running the original in tf_keras.",
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
        _emit_json(report.to_dict())
    else:
        from rich.table import Table

        out = _stdout_console()
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
@_batch_options
@click.option("--json", "as_json", is_flag=True, help="JSON Lines: one object per file, then the summary.")
@handle_errors
def check_command(
    paths, target, mapping, custom_module, output_dir, jobs, timeout, max_memory, executor, scheduler,
    storage_options, as_json,
) -> None:  # fmt: skip
    """Exit 1 when any model under PATH... will not load in the target Keras 3 as it is, or
    cannot be converted; lists each with the command that fixes it. Converts nothing.

    Exit codes: 0 every model loads; 1 some need `convert` or `repair`, were refused or failed;
    2 bad usage or an unreadable path. Non-model files are listed as skipped, never an error."""
    if executor == "dask" and not scheduler:
        raise click.UsageError("--executor dask needs --scheduler ADDRESS")
    _run_tree(
        "check",
        as_json,
        lambda batch, **display: batch.check_tree(
            list(paths),
            target=target,
            output_dir=output_dir,
            jobs=jobs,
            timeout=timeout,
            mapping=mapping,
            custom_module=custom_module,
            executor=executor,
            scheduler=scheduler,
            storage_options=_storage_options(storage_options),
            max_memory_mib=max_memory,
            **display,
        ),
    )


@main.command("passes")
@click.option("--json", "as_json", is_flag=True)
def passes_command(as_json: bool) -> None:
    """List the pass tables in the order they run: upgrade, downgrade (repair), Keras 3 targets."""
    rows = api.pass_tables()
    if as_json:
        _emit_json(rows)
        return
    table = None
    for row in rows:
        if row["table"] != table:
            table = row["table"]
            click.echo(f"[{table}]")
        click.echo(f"{row['name']:<32} {row['since']:<12} {row['summary']}")


# --- repair / diagnose -------------------------------------------------------


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
def repair_command(path, target, output, dry_run, no_backup, force, keep_lambda, as_json) -> None:
    """Rewrite a model file so that an older Keras loader accepts it (weights untouched)."""
    if _is_keras3_release(target):
        _repair_for_keras3_release(path, target, output, dry_run, not no_backup, force, as_json)
        return
    report = api.repair(
        path, target, output, dry_run=dry_run, backup=not no_backup, overwrite=force, allow_lambda=keep_lambda
    )
    if as_json:
        _emit_json({"ok": True, **report.to_dict()})
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
def diagnose_command(path, target, as_json) -> None:
    """Why a model file fails (or will fail) in a loader, and the command that fixes it (no TensorFlow)."""
    if _is_keras3_release(target):
        _diagnose_for_keras3_release(path, target, as_json)
        return
    result = api.diagnose(path, target).to_dict()
    if as_json:
        _emit_json(result)
    else:
        out = _stdout_console()
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


def _repair_for_keras3_release(path, target, output, dry_run, backup, overwrite, as_json) -> None:
    report = api.repair_for_release(path, target, output, dry_run=dry_run, backup=backup, overwrite=overwrite)
    if as_json:
        _emit_json({"ok": True, **report})
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
    _echo_older_targets(report["older_targets"])


def _echo_older_targets(older: dict) -> None:
    """Older releases the default passed over: their file would not load in every newer one."""
    for version, loads_in in older.items():
        pin = "keras-" + ".".join(version.split(".")[:2])
        click.echo(
            f"  Keras {version} too with --target {pin}: that file loads in Keras {', '.join(loads_in)} only", err=True
        )


def _diagnose_for_keras3_release(path, target, as_json) -> None:
    result = api.diagnose_for_release(path, target)
    if as_json:
        _emit_json(result)
    else:
        out = _stdout_console()
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
                out.print(f"  fix: kerasmigrate repair {path} --target {target} -o FIXED.keras", markup=False)
    if any(result["findings"].values()):
        sys.exit(EXIT_MISMATCH)


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
        _emit_json({"ok": True, **report.to_dict()})
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


if __name__ == "__main__":  # pragma: no cover
    main()
