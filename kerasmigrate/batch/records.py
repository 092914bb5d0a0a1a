"""What a batch run says about each file, and about the whole run.

One `FileRecord` per entry of the tree (model or not); one `Summary` per run. Both
serialize to plain JSON (`to_dict`), the shape of `report.json`, of `--json`'s lines
and of the ledger's stored records.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import asdict, dataclass, field

# Statuses of `convert_tree`.
CONVERTED = "converted"  # written, not verified
VERIFIED = "verified"  # written and its outputs matched the original's within tolerance
MISMATCH = "mismatch"  # written, but verify found outputs outside tolerance
# Statuses of `check_tree`.
LOADS = "loads"  # loads as it is in the target Keras 3 release
NEEDS_CONVERT = "needs-convert"  # legacy format: `kerasmigrate convert` makes it load
NEEDS_REPAIR = "needs-repair"  # a .keras archive: `kerasmigrate repair` makes it load
# Both.
REFUSED = "refused"  # kerasmigrate refused it with a reason (bad input, unknown class, ...)
FAILED = "failed"  # crashed, hung (timeout) or its worker died (killed, out of memory)
SKIPPED = "skipped"  # not a model file (or unreadable before it could be sniffed)

STATUSES = (CONVERTED, VERIFIED, MISMATCH, LOADS, NEEDS_CONVERT, NEEDS_REPAIR, REFUSED, FAILED, SKIPPED)
# A check fails (exit 1) when any model is in one of these.
CHECK_FAILURES = (NEEDS_CONVERT, NEEDS_REPAIR, REFUSED, FAILED)


@dataclass
class FileRecord:
    path: str  # relative to the run's root, '/'-separated; the output mirrors it
    input: str  # the path or URL read
    status: str
    kind: str | None = None  # keras-h5 | keras-archive | savedmodel | None for non-models
    reason: str | None = None  # refusal, failure or skip reason: one line
    layers: list[str] = field(default_factory=list)  # layers a refusal names
    fix: str | None = None  # check: the command that makes it load
    output: str | None = None  # relative to OUTDIR
    writer: str | None = None  # e.g. "Keras 2.3.1 (tensorflow)"
    keras_version: str | None = None
    passes: dict[str, int] = field(default_factory=dict)
    mapped: list[str] = field(default_factory=list)  # "layer: Class -> module>Class"
    # SavedModel objects translated from their traced functions: "the whole model (Class)" or
    # "layer name (Class)", each its inference computation only (core/traced/)
    traced: list[str] = field(default_factory=list)
    loads_in: list[str] = field(default_factory=list)  # Keras 3 releases the output (or input) loads in
    # verify: largest absolute difference over all outputs; JSON has no NaN or infinity, so to_dict
    # writes those as "NaN", "inf" or "-inf" (null would read as "not verified"; a NaN output is a mismatch)
    max_diff: float | None = None
    seconds: float = 0.0
    sha256: str | None = None
    size_bytes: int | None = None
    joined_with: str | None = None  # a weights-only file: the JSON architecture joined to it
    reused: bool = False  # taken from the ledger of an earlier run, not redone
    identical_to: str | None = None  # the file of this run with the same content it was converted as (its path)
    worker_peak_mib: float | None = None  # peak resident memory of the worker process so far

    def to_dict(self) -> dict:
        data = asdict(self)
        if self.max_diff is not None and not math.isfinite(self.max_diff):
            data["max_diff"] = "NaN" if math.isnan(self.max_diff) else ("inf" if self.max_diff > 0 else "-inf")
        return data

    @classmethod
    def from_dict(cls, data: dict) -> FileRecord:
        known = cls.__dataclass_fields__
        fields = {k: v for k, v in data.items() if k in known}
        if isinstance(fields.get("max_diff"), str):
            fields["max_diff"] = float(fields["max_diff"])
        return cls(**fields)


@dataclass
class Summary:
    mode: str  # convert | check
    tool: str  # "kerasmigrate X.Y.Z"
    inputs: list[str]
    output_dir: str | None
    options: dict
    files: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # status -> files
    refused_by_reason: dict[str, int] = field(default_factory=dict)
    failed_by_reason: dict[str, int] = field(default_factory=dict)
    loads_in: dict[str, int] = field(default_factory=dict)  # Keras 3 release -> outputs loading there
    reused: int = 0
    seconds: float = 0.0
    started: str = ""
    finished: str = ""
    peak_worker_mib: float | None = None
    notes: list[str] = field(default_factory=list)  # about the run itself (e.g. a ledger it could not write)

    def to_dict(self) -> dict:
        return asdict(self)


def reason_class(reason: str | None) -> str:
    """A refusal or failure reason without what names one file: groups the summary's counts."""
    if not reason:
        return "(no reason given)"
    text = reason.split(": ", 1)[1] if reason.startswith(("/", "s3:", "gs:", "memory:", "file:")) else reason
    return text.split(" (")[0][:160]


def summarize(summary: Summary, records: list[FileRecord]) -> Summary:
    """Fill the counts of `summary` from `records`."""
    counts = Counter(r.status for r in records)
    summary.files = len(records)
    summary.counts = {s: counts[s] for s in STATUSES if counts[s]}
    summary.refused_by_reason = dict(Counter(reason_class(r.reason) for r in records if r.status == REFUSED))
    summary.failed_by_reason = dict(Counter(reason_class(r.reason) for r in records if r.status == FAILED))
    releases = Counter(v for r in records if r.status in (CONVERTED, VERIFIED, MISMATCH, LOADS) for v in r.loads_in)
    summary.loads_in = dict(sorted(releases.items(), key=lambda kv: tuple(int(p) for p in kv[0].split("."))))
    summary.reused = sum(r.reused for r in records)
    peaks = [r.worker_peak_mib for r in records if r.worker_peak_mib]
    summary.peak_worker_mib = max(peaks) if peaks else None
    return summary
