"""The `kerasmigrate` group and what every command shares: one-line errors, exit codes, output.

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


def stdout_console():
    """Rich on stdout; on a pipe, long lines (file paths) stay whole instead of wrapping at 80 columns."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=not sys.stdout.isatty())


def emit_json(data) -> None:
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
                emit_json({"ok": False, "error": exc.to_dict()})
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


def user_code_options(func):
    """--mapping and --custom-module for a command that reads files, given to it as `user`: the
    code they name is vouched for beside Keras's (api.user_names_of). Under @handle_errors."""

    @click.option(
        "--mapping",
        type=click.Path(dir_okay=False, path_type=str),
        help="mapping.toml: the custom classes and functions the file may name.",
    )
    @click.option(
        "--custom-module",
        "custom_module",
        metavar="FILE.py|MODULE",
        help="Your Keras 3 classes and registered functions, which the file may name (imports it, and Keras).",
    )
    @functools.wraps(func)
    def wrapper(*args, mapping: str | None, custom_module: str | None, **kwargs):
        return func(*args, user=api.user_names_of(mapping, custom_module), **kwargs)

    return wrapper


def echo_older_targets(older: dict) -> None:
    """Older releases the default passed over: their file would not load in every newer one."""
    for version, loads_in in older.items():
        click.echo(
            f"  Keras {version} too with --target {api.release_target(version)}: that file loads in "
            f"Keras {', '.join(loads_in)} only",
            err=True,
        )


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="kerasmigrate")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
def main(debug: bool) -> None:
    """Move Keras models across format generations (legacy .h5 and SavedModel directories -> Keras 3 .keras)."""
