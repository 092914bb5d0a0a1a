"""What a person (or a program) sees while a batch runs: one of three displays.

a terminal  a rich progress bar (files done / total, rate, ETA, failures so far), each
            problem printed above it as it happens
a pipe      one plain line per file, as it finishes
--json      JSON Lines: one object per file, then {"summary": ...}
"""

from __future__ import annotations

import sys

import orjson

from kerasmigrate.batch.records import (
    CHECK_FAILURES,
    FAILED,
    MISMATCH,
    REFUSED,
    FileRecord,
    Summary,
)

PROBLEMS = set(CHECK_FAILURES) | {MISMATCH}


def make_display(mode: str, as_json: bool, stream=None):
    stream = stream or sys.stdout
    if as_json:
        return JsonLines(stream)
    if stream.isatty():
        return Bar(mode, stream)
    return Lines(stream)


def _line(rec: FileRecord) -> str:
    text = f"{rec.status:<13} {rec.path}"
    if rec.output and rec.output != rec.path:
        text += f" -> {rec.output}"
    if rec.max_diff is not None:
        text += f" (max diff {rec.max_diff:.2g})"
    if rec.reused:
        text += " (done before)"
    if rec.identical_to:
        text += (
            f" (identical to {rec.identical_to}: its output copied)"
            if rec.output
            else f" (identical to {rec.identical_to})"
        )
    if rec.reason:
        text += f": {rec.reason}"
    if rec.fix:
        text += f"\n{'':<14}fix: {rec.fix}"
    return text


def summary_lines(summary: Summary, report_files: list[str]) -> list[str]:
    counts = ", ".join(f"{n} {status}" for status, n in summary.counts.items()) or "no files"
    lines = [f"{summary.files} files in {summary.seconds:.1f} s: {counts}"]
    if summary.reused:
        lines.append(f"{summary.reused} done by an earlier run (ledger), not redone")
    for reason, n in sorted(summary.refused_by_reason.items(), key=lambda kv: -kv[1])[:10]:
        lines.append(f"  refused x{n}: {reason}")
    for reason, n in sorted(summary.failed_by_reason.items(), key=lambda kv: -kv[1])[:10]:
        lines.append(f"  failed x{n}: {reason}")
    if summary.loads_in:
        lines.append("loads in: " + ", ".join(f"Keras {v} ({n})" for v, n in summary.loads_in.items()))
    lines += [f"note: {note}" for note in summary.notes]
    for path in report_files:
        lines.append(f"report: {path}")
    return lines


class Lines:
    def __init__(self, stream):
        self.stream = stream

    def start(self, total: int) -> None:
        pass

    def record(self, rec: FileRecord, done: int, total: int) -> None:
        self.stream.write(f"[{done}/{total}] {_line(rec)}\n")
        self.stream.flush()

    def finish(self, summary: Summary, report_files: list[str]) -> None:
        for line in summary_lines(summary, report_files):
            self.stream.write(line + "\n")
        self.stream.flush()

    def close(self) -> None:
        pass


class JsonLines(Lines):
    def record(self, rec: FileRecord, done: int, total: int) -> None:
        self.stream.write(orjson.dumps(rec.to_dict()).decode() + "\n")
        self.stream.flush()

    def finish(self, summary: Summary, report_files: list[str]) -> None:
        self.stream.write(orjson.dumps({"summary": summary.to_dict(), "reports": report_files}).decode() + "\n")
        self.stream.flush()


class Bar:
    def __init__(self, mode: str, stream):
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.console = Console(file=stream, highlight=False)
        self.failures = 0
        self.progress = Progress(
            TextColumn(f"[bold]{mode}[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[problems]}"),
            console=self.console,
            transient=False,
        )
        self.task = None

    def start(self, total: int) -> None:
        self.progress.start()
        self.task = self.progress.add_task("files", total=total, rate="", problems="")

    def record(self, rec: FileRecord, done: int, total: int) -> None:
        if rec.status in PROBLEMS:
            self.failures += 1
            style = "red" if rec.status in (FAILED, MISMATCH) else "yellow" if rec.status == REFUSED else "cyan"
            self.progress.console.print(f"[{style}]{_escape(_line(rec))}[/{style}]")
        task = self.progress.tasks[0]
        elapsed = task.elapsed or 0
        rate = f"{done / elapsed:.1f} files/s" if elapsed > 0.5 else ""
        problems = f"[red]{self.failures} not ok[/red]" if self.failures else ""
        self.progress.update(self.task, completed=done, rate=rate, problems=problems)

    def finish(self, summary: Summary, report_files: list[str]) -> None:
        self.close()
        for line in summary_lines(summary, report_files):
            self.console.print(line, markup=False)

    def close(self) -> None:
        if self.progress.live.is_started:
            self.progress.stop()


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
