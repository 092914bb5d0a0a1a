"""Command line: parses, calls kerasmigrate.api / verify, prints. Nothing else.

    app.py      the `kerasmigrate` group, one-line errors and exit codes, JSON on stdout
    convert.py  convert (one model, or a tree through trees.py)
    trees.py    what the commands that walk trees share, and check
    inspect.py  inspect, passes, verify
    repair.py   repair, diagnose (legacy loaders and Keras 3 releases)
    mapping.py  join, map init

Exit codes: 0 done, 1 verification found a mismatch, 2 error (bad input,
refused conversion, usage). Data (JSON) goes to stdout, messages to stderr.
"""

from kerasmigrate.cli import convert, inspect, mapping, repair, trees  # noqa: F401  (each registers its commands)
from kerasmigrate.cli.app import main

__all__ = ["main"]
