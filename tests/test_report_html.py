"""The batch reports: `report.json`'s shape, and `report.html` driven in a real headless Chromium.

The quick tests read the page as text: the data block cannot be broken out of, nothing points
outside the file, the Content-Security-Policy hashes match the inline CSS and script. The `full`
tests open the page from a file:// URL in Debian's Chromium (through Playwright, which downloads no
browser), with every non-file request blocked and counted, and use it as a person would: filter,
sort, read the summary, narrow the window.
"""

from __future__ import annotations

import base64
import hashlib
import math
import os
import random
import re
import struct
import zlib
from pathlib import Path

import orjson
import pytest

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
    summarize,
)
from kerasmigrate.batch.report import render_html, report_document, write_reports

HOSTILE = "</script><script>alert(1)</script>.h5"
HOSTILE_IMG = "evil/<img src=x onerror=alert(2)>&amp;<!--.h5"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def synthetic_records() -> list[FileRecord]:
    """40 records: every status, hostile and non-ASCII names, distinct seconds, some max diffs missing."""
    rng = random.Random(20240611)
    plan = [CONVERTED] * 7 + [VERIFIED] * 6 + [MISMATCH] * 3 + [LOADS] * 4 + [NEEDS_CONVERT] * 3
    plan += [NEEDS_REPAIR] * 2 + [REFUSED] * 6 + [FAILED] * 4 + [SKIPPED] * 5
    refusals = [
        ("unknown class CustomDense (layers: dense_1)", ["dense_1"]),
        ("Lambda layer holds Python bytecode; kerasmigrate never runs it", ["lambda_3", "lambda_4"]),
        ("not an HDF5 file (starts with PK\\x03\\x04, a zip archive)", []),
    ]
    failures = ["timeout after 600 s", "worker died (killed: out of memory)"]
    seconds = rng.sample(range(1, 10_000), len(plan))  # distinct: a sort has one right order
    records = []
    for i, status in enumerate(plan):
        path = f"models/group{i % 4}/model_{i:02d}.h5"
        if i == 5:
            path = HOSTILE
        elif i == 11:
            path = "modèles/日本語 ü.h5"
        elif i == 30:
            path = HOSTILE_IMG
        rec = FileRecord(path=path, input=f"/data/in/{path}", status=status, seconds=seconds[i] / 100)
        if status != SKIPPED:
            rec.kind = ("keras-h5", "keras-archive", "savedmodel")[i % 3]
            rec.writer = f"Keras 2.{i % 5}.0 (tensorflow)"
            rec.keras_version = f"2.{i % 5}.0"
            rec.size_bytes = 1000 + i
            rec.worker_peak_mib = 100.0 + i * 3
        if status in (CONVERTED, VERIFIED, MISMATCH, LOADS):
            rec.passes = {"leaky-relu-negative-slope": 1 + i % 3, "input-layer-batch-shape": 1}
            rec.loads_in = ["3.0.5", "3.10.0"] if i % 2 else ["3.10.0"]
            rec.output = path.replace(".h5", ".keras")
            if i % 3 == 0:
                rec.mapped = [f"dense_{i}: CustomDense -> mylib.layers>CustomDense"]
        if status in (VERIFIED, MISMATCH):
            rec.max_diff = (i + 1) * 1.5e-7 if status == VERIFIED else (i + 1) * 0.013
        if status == MISMATCH and i == 15:
            rec.max_diff = math.nan
        if status == REFUSED:
            rec.reason, rec.layers = refusals[i % 3]
            rec.reason = f"{rec.input}: {rec.reason}"  # as api errors name a file
        if status == FAILED:
            rec.reason = failures[i % 2]
        if status == SKIPPED:
            rec.reason = "not a model file"
        if status == NEEDS_CONVERT:
            rec.fix = f"kerasmigrate convert {path}"
        if status == NEEDS_REPAIR:
            rec.fix = f"kerasmigrate repair {path}"
        rec.reused = i % 7 == 0
        records.append(rec)
    rng.shuffle(records)  # the writer sorts
    return records


def synthetic_summary(records: list[FileRecord]) -> Summary:
    summary = Summary(
        mode="convert",
        tool="kerasmigrate 0.1.0",
        inputs=["/data/in/models", "/data/in/" + HOSTILE],
        output_dir="/data/out",
        options={"workers": 2, "verify": True, "tolerance": 1e-5},
        seconds=3723.4,
        started="2026-06-11T10:00:00Z",
        finished="2026-06-11T11:02:03Z",
    )
    return summarize(summary, records)


def _data_block(html: str) -> str:
    match = re.search(r'<script type="application/json" id="data">(.*?)</script>', html, re.S)
    assert match, "no data block"
    return match.group(1)


# ---- Quick tests: no browser ----


def test_json_document_shape():
    records = synthetic_records()
    summary = synthetic_summary(records)
    doc = report_document(records, summary)
    assert list(doc) == ["summary", "files"]
    assert doc["summary"] == summary.to_dict()
    assert [f["path"] for f in doc["files"]] == sorted(r.path for r in records)
    by_path = {r.path: r for r in records}
    # (compared as dicts: a NaN difference is not equal to itself as a float)
    assert all(FileRecord.from_dict(f).to_dict() == by_path[f["path"]].to_dict() for f in doc["files"])


def test_write_reports_writes_json_then_html():
    records = synthetic_records()
    summary = synthetic_summary(records)
    written = []
    write_reports("/data/out", records, summary, write_bytes=lambda name, data: written.append((name, data)))
    assert [name for name, _ in written] == ["report.json", "report.html"]
    json_bytes, html_bytes = written[0][1], written[1][1]
    assert json_bytes.startswith(b'{\n  "summary": {\n    "mode": "convert"')  # indent 2
    loaded = orjson.loads(json_bytes)
    assert loaded == report_document(records, summary)
    nan_entry = next(f for f in loaded["files"] if f["path"] == "models/group3/model_15.h5")
    assert nan_entry["max_diff"] == "NaN"  # not null, which would read as "not verified"
    assert math.isnan(FileRecord.from_dict(nan_entry).max_diff)
    assert html_bytes.decode("utf-8") == render_html(records, summary)


def test_html_is_deterministic_and_independent_of_record_order():
    records = synthetic_records()
    summary = synthetic_summary(records)
    assert render_html(records, summary) == render_html(list(reversed(records)), summary)


def test_hostile_names_stay_inside_the_data_block():
    records = synthetic_records()
    html = render_html(records, synthetic_summary(records))
    assert HOSTILE not in html and "<img" not in html
    assert html.count("<script") == 2 and html.count("</script>") == 2
    block = _data_block(html)
    assert "<" not in block and ">" not in block and "&" not in block
    data = orjson.loads(block)
    paths = [f["path"] for f in data["files"]]
    assert HOSTILE in paths and HOSTILE_IMG in paths and "modèles/日本語 ü.h5" in paths
    assert data["summary"]["inputs"][1].endswith(HOSTILE)
    nan_entry = next(f for f in data["files"] if f["path"] == "models/group3/model_15.h5")
    assert nan_entry["max_diff"] == "NaN"


def test_html_points_nowhere_outside():
    records = synthetic_records()
    records[0].input = "https://models.example.com/a.h5"  # an input read from a URL is data, not a link
    html = render_html(records, synthetic_summary(records))
    page = html.replace(_data_block(html), "")
    for needle in ("http://", "https://", "src=", "href=", "url(", "@import", "<link", "<img", "<iframe", "<object"):
        assert needle not in page, needle
    script = page.split("<script>")[1]
    for needle in ("fetch(", "XMLHttpRequest", "WebSocket", "sendBeacon", "import(", "innerHTML", "outerHTML"):
        assert needle not in script, needle
    assert "https://models.example.com/a.h5" in {f["input"] for f in orjson.loads(_data_block(html))["files"]}


def test_content_security_policy_allows_only_the_inline_css_and_script():
    records = synthetic_records()
    html = render_html(records, synthetic_summary(records))
    csp = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]*)">', html).group(1)
    assert "default-src 'none'" in csp and "unsafe" not in csp

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"

    style = re.search(r"<style>(.*?)</style>", html, re.S).group(1)
    script = re.search(r"<script>(.*?)</script>", html, re.S).group(1)
    assert f"style-src {digest(style)};" in csp
    assert f"script-src {digest(script)};" in csp


# ---- Full tests: the page in headless Chromium ----


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what}; in CI the browser test must run (scripts/install_chromium.sh installs Chromium)")
    pytest.skip(f"{what} (scripts/install_chromium.sh installs Chromium; pip install playwright==1.65.2)")


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        _missing(f"{CHROMIUM} is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Opened:
    """A page with every request outside file:// blocked and recorded, and its errors and dialogs."""

    def __init__(self, browser, url: str, width: int = 1280, height: int = 900):
        self.outside: list[str] = []
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.page.route("**/*", self._route)
        self.page.on("request", lambda r: None if r.url.startswith("file://") else self.outside.append(r.url))
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.goto(url)

    def _route(self, route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def assert_clean(self):
        assert self.outside == [], f"requests outside file://: {self.outside}"
        assert self.errors == [], f"console errors: {self.errors}"
        assert self.dialogs == [], f"dialogs opened: {self.dialogs}"


@pytest.fixture
def report(browser, tmp_path):
    records = synthetic_records()
    summary = synthetic_summary(records)
    path = tmp_path / "report.html"
    path.write_text(render_html(records, summary), encoding="utf-8")
    opened = Opened(browser, path.as_uri())
    opened.records, opened.summary, opened.tmp_path = records, summary, tmp_path
    yield opened
    opened.page.close()
    opened.assert_clean()


def visible_rows(page) -> list[tuple[str, str]]:
    """(status, path) of the table rows a person sees, top to bottom."""
    return [
        tuple(row)
        for row in page.evaluate(
            """() => Array.from(document.querySelectorAll('#files tbody tr'))
                 .filter((tr) => tr.checkVisibility())
                 .map((tr) => [tr.dataset.status, tr.querySelector('td[data-col="path"]').textContent])"""
        )
    ]


def shown_count(page) -> str:
    return page.text_content("#shown-count")


def matches(record: FileRecord, needle: str) -> bool:
    return any(
        needle.lower() in text.lower() for text in [record.path, record.reason or "", *record.layers, *record.mapped]
    )


@pytest.mark.full
def test_one_row_per_record_with_hostile_names_as_text(report):
    page, records = report.page, report.records
    n = len(records)
    assert page.locator("#files tbody tr").count() == n
    assert visible_rows(page) == [(r.status, r.path) for r in sorted(records, key=lambda r: r.path)]
    assert shown_count(page) == f"{n} of {n} files shown"
    assert page.locator("script").count() == 2 and page.locator("img").count() == 0
    assert page.title() == "kerasmigrate convert report"
    report.assert_clean()


@pytest.mark.full
def test_status_filter_shows_exactly_that_status(report):
    page, records = report.page, report.records
    n = len(records)
    present = [s for s in STATUSES if any(r.status == s for r in records)]
    assert page.eval_on_selector_all("#status-filter option", "os => os.map(o => o.value)") == ["", *present]
    page.select_option("#status-filter", "refused")
    refused = sorted(r.path for r in records if r.status == REFUSED)
    rows = visible_rows(page)
    assert {status for status, _ in rows} == {REFUSED}
    assert sorted(path for _, path in rows) == refused
    assert shown_count(page) == f"{len(refused)} of {n} files shown"
    page.select_option("#status-filter", "")
    assert len(visible_rows(page)) == n and shown_count(page) == f"{n} of {n} files shown"
    # A count in the summary filters the table to its status.
    page.click("#count-failed")
    assert page.input_value("#status-filter") == FAILED
    assert {status for status, _ in visible_rows(page)} == {FAILED}
    report.assert_clean()


@pytest.mark.full
@pytest.mark.parametrize("needle", ["CUSTOMdense", "lambda_4", "group2", "日本語", "out of memory", "<img"])
def test_text_filter_narrows_rows(report, needle):
    page, records = report.page, report.records
    page.fill("#text-filter", needle)
    expected = sorted(r.path for r in records if matches(r, needle))
    assert 0 < len(expected) < len(records)
    assert sorted(path for _, path in visible_rows(page)) == expected
    assert shown_count(page) == f"{len(expected)} of {len(records)} files shown"
    # With a status too: both must match.
    page.select_option("#status-filter", REFUSED)
    both = sorted(r.path for r in records if matches(r, needle) and r.status == REFUSED)
    assert sorted(path for _, path in visible_rows(page)) == both
    page.select_option("#status-filter", "")
    page.fill("#text-filter", "no such file anywhere")
    assert visible_rows(page) == [] and shown_count(page) == f"0 of {len(records)} files shown"
    assert page.is_visible("#no-match")
    page.fill("#text-filter", "")
    assert len(visible_rows(page)) == len(records)


@pytest.mark.full
def test_seconds_header_sorts_ascending_then_descending(report):
    page, records = report.page, report.records
    by_seconds = [r.path for r in sorted(records, key=lambda r: r.seconds)]
    header = page.locator('#files th[data-key="seconds"]')
    header.click()
    assert [path for _, path in visible_rows(page)] == by_seconds
    assert header.get_attribute("aria-sort") == "ascending"
    header.click()
    assert [path for _, path in visible_rows(page)] == by_seconds[::-1]
    assert header.get_attribute("aria-sort") == "descending"
    # Sorting keeps the filter: only refused rows, still in order.
    page.select_option("#status-filter", REFUSED)
    assert [path for _, path in visible_rows(page)] == [
        p for p in by_seconds[::-1] if p in {r.path for r in records if r.status == REFUSED}
    ]
    report.assert_clean()


@pytest.mark.full
def test_max_diff_sorts_numerically_with_empty_values_last(report):
    page, records = report.page, report.records

    def key(r):
        return math.inf if math.isnan(r.max_diff) else r.max_diff

    with_diff = [r.path for r in sorted((r for r in records if r.max_diff is not None), key=key)]
    without = {r.path for r in records if r.max_diff is None}
    header = page.locator('#files th[data-key="max_diff"]')
    for expected in (with_diff, with_diff[::-1]):
        header.click()
        order = [path for _, path in visible_rows(page)]
        assert order[: len(with_diff)] == expected
        assert set(order[len(with_diff) :]) == without
    assert page.text_content('#files tbody tr td[data-col="max_diff"]') == "NaN"  # descending: NaN first
    report.assert_clean()


@pytest.mark.full
def test_summary_shows_the_totals(report):
    page, summary = report.page, report.summary
    assert page.text_content("#mode") == "convert"
    assert page.text_content("#tool") == "kerasmigrate 0.1.0"
    assert page.text_content("#total-files") == str(len(report.records))
    assert page.text_content("#output-dir") == "/data/out"
    assert page.text_content("#total-time") == "3723.4 s (1 h 2 min 3 s)"
    assert page.text_content("#reused") == str(summary.reused) and summary.reused > 0
    assert page.text_content("#peak-memory") == f"{summary.peak_worker_mib:.0f} MiB"
    assert page.eval_on_selector_all("#inputs li", "ls => ls.map(l => l.textContent)") == summary.inputs
    for status in STATUSES:
        assert page.text_content(f"#count-{status} .n") == str(summary.counts[status]), status

    def table(selector):
        return dict(
            page.eval_on_selector_all(
                f"{selector} tbody tr",
                "rows => rows.map(r => [r.cells[0].textContent, Number(r.cells[1].textContent)])",
            )
        )

    assert table("#refused-reasons") == summary.refused_by_reason and len(summary.refused_by_reason) == 3
    assert table("#failed-reasons") == summary.failed_by_reason and len(summary.failed_by_reason) == 2
    assert table("#loads-in") == summary.loads_in
    assert list(table("#loads-in")) == ["3.0.5", "3.10.0"]  # release order, not text order
    report.assert_clean()


def png_pixels_vary(data: bytes) -> int:
    """How many distinct byte values the decompressed image data holds (a blank page: a handful)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    idat, pos = b"", 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        if data[pos + 4 : pos + 8] == b"IDAT":
            idat += data[pos + 8 : pos + 8 + length]
        pos += 12 + length
    return len(set(zlib.decompress(idat)))


@pytest.mark.full
def test_screenshot_and_narrow_window(report, tmp_path):
    page = report.page
    shot = tmp_path / "report.png"
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    width, height = struct.unpack(">II", data[16:24])
    assert width == 1280 and height > 900, (width, height)
    assert len(data) > 20_000 and png_pixels_vary(data) > 64
    # A phone-sized window: no sideways scrolling, every row still there.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The table too: one card per file, not a table to scroll sideways inside its box.
    assert page.evaluate("document.getElementById('files').getBoundingClientRect().right") <= 390
    assert len(visible_rows(page)) == len(report.records)
    page.screenshot(path=str(tmp_path / "report-narrow.png"), full_page=True)
    report.assert_clean()


@pytest.mark.full
def test_network_guard_catches_a_request(browser, tmp_path):
    """The guard the other tests rely on sees a request an unprotected page makes."""
    path = tmp_path / "leaky.html"
    path.write_text('<!DOCTYPE html><img src="http://127.0.0.1:9/x.png"><script>console.error("boom")</script>')
    opened = Opened(browser, Path(path).as_uri())
    opened.page.wait_for_timeout(200)
    opened.page.close()
    assert opened.outside and opened.outside[0].startswith("http://127.0.0.1:9/")
    assert "boom" in opened.errors
