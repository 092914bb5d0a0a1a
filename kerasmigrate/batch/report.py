"""A batch run's reports: `report.json` (the data) and `report.html` (one page to read it in a browser).

The page is one self-contained file: its CSS and script are inline, the records are embedded as JSON
in a `<script type="application/json">` element, and its Content-Security-Policy allows nothing but
that CSS and that script (by hash). Opening it never touches the network, and a file name is always
text: the script builds the page with `textContent`, never with markup from the data.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable

import orjson

from kerasmigrate.batch.records import (
    CONVERTED,
    FAILED,
    LOADS,
    MISMATCH,
    NEEDS_CONVERT,
    NEEDS_REPAIR,
    REFUSED,
    SKIPPED,
    STATUSES,
    VERIFIED,
    FileRecord,
    Summary,
)
from kerasmigrate.batch.report_page import BODY, CSS, SCRIPT

# The statuses the summary always lists for a mode, found or not; any other status found is listed too.
MODE_STATUSES = {
    "convert": (CONVERTED, VERIFIED, MISMATCH, REFUSED, FAILED, SKIPPED),
    "check": (LOADS, NEEDS_CONVERT, NEEDS_REPAIR, REFUSED, FAILED, SKIPPED),
}


def report_document(records: list[FileRecord], summary: Summary) -> dict:
    """The content of `report.json`: the summary, then one entry per file, sorted by path."""
    ordered = sorted(records, key=lambda r: (r.path, r.input))
    return {"summary": summary.to_dict(), "files": [r.to_dict() for r in ordered]}


def render_html(records: list[FileRecord], summary: Summary) -> str:
    """`report.html`: the summary and a sortable, filterable table of the files, in one page."""
    document = report_document(records, summary)
    data = {"statuses": list(STATUSES), "modeStatuses": MODE_STATUSES.get(summary.mode, ()), **document}
    csp = f"default-src 'none'; style-src {_csp_hash(CSS)}; script-src {_csp_hash(SCRIPT)}; base-uri 'none'; form-action 'none'"
    return "".join(
        (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n',
            '<meta charset="utf-8">\n',
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n',
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n',
            "<title>kerasmigrate report</title>\n",
            f"<style>{CSS}</style>\n",
            "</head>\n",
            BODY,
            f'<script type="application/json" id="data">{_script_json(data)}</script>\n',
            f"<script>{SCRIPT}</script>\n",
            "</body>\n</html>\n",
        )
    )


def write_reports(
    out_dir: str,
    records: list[FileRecord],
    summary: Summary,
    *,
    write_bytes: Callable[[str, bytes], None],
) -> None:
    """Write `report.json` then `report.html` into `out_dir` through `write_bytes(relative_name, data)`.

    `write_bytes` does the writing (atomically, locally or to a remote store); `out_dir` is where
    the names are relative to.
    """
    document = report_document(records, summary)
    json_bytes = orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE, default=_to_json)
    write_bytes("report.json", json_bytes)
    write_bytes("report.html", render_html(records, summary).encode("utf-8"))


def _to_json(value):
    """What orjson does not serialize itself and a caller's options may hold: paths and sets."""
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=str)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _script_json(data: dict) -> str:
    """JSON to sit inside a <script> element: no `<`, `>` or `&` left to end it or open a comment.

    Those characters only occur inside JSON strings, where their \\u escapes mean the same.
    """
    text = orjson.dumps(data, default=_to_json).decode("utf-8")
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"
