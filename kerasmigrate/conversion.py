"""One entry per input: every kind of model the tool reads goes through `convert` and `verdict`.

    convert(input, output, ...) -> Conversion   what the file became, and how
    verdict(path, target, ...)  -> Verdict      what convert would do; does it load in `target` as it is

The kind is found by content (`sniff`), never by name:

    legacy .h5, SavedModel directory   converted                          upgrade/convert.py
    tf.keras 2.12-2.15 .keras archive  repaired for Keras 3, then as one  upgrade/keras2_archive.py
    Keras 3 .keras archive             retargeted when it does not load   keras3_targets/
                                       in `target`, else copied

`kerasmigrate convert FILE`, the batch worker (`convert DIR`, `check`) and the Python API
(`api.convert`) call these, so one file converts the same way alone and in a tree.
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from kerasmigrate.core.atomic import copy_file_atomic
from kerasmigrate.core.reader import sniff
from kerasmigrate.core.validate import UserNames
from kerasmigrate.diagnose import diagnose
from kerasmigrate.errors import KerasMigrateError, OutputExistsError, UnsupportedError
from kerasmigrate.keras3_targets import RELEASES as KERAS3_RELEASES
from kerasmigrate.keras3_targets import TargetError, diagnose_archive, repair_archive, resolve_target
from kerasmigrate.passes.keras3_releases import Finding
from kerasmigrate.upgrade import convert as legacy
from kerasmigrate.upgrade.inspect import inspect_file
from kerasmigrate.upgrade.keras2_archive import KERAS3_TARGET, repair_keras2_archive
from kerasmigrate.upgrade.mapped_classes import user_names_of

ARCHIVE = "zip"  # what sniff calls a .keras archive

# What convert did, in order (Conversion.actions) or would do (Verdict.action).
CONVERTED, REPAIRED, RETARGETED, COPIED = "converted", "repaired", "retargeted", "copied"
CONVERT, REPAIR, RETARGET = "convert", "repair", "retarget"


@dataclass
class Conversion:
    """What `convert` made of one input. For a legacy input (.h5, SavedModel) `report` is the
    whole ConversionReport, and its fields read through this result as well (`result.layers`):
    `api.convert` returned a ConversionReport before it took every kind."""

    input: str
    output: str
    kind: str  # what sniff found: hdf5, savedmodel, zip
    actions: tuple[str, ...]  # converted | repaired, retargeted | copied: what was done, in order
    keras_version: str | None  # the writer's
    passes: dict[str, int]
    loads_in: list[str]
    backend: str | None = None
    report: legacy.ConversionReport | None = None

    def __getattr__(self, name: str):
        report = self.__dict__.get("report")
        if report is None or name.startswith("__"):
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return getattr(report, name)

    @property
    def writer(self) -> str:
        return f"Keras {self.keras_version or '?'}" + (f" ({self.backend})" if self.backend else "")

    def to_dict(self) -> dict:
        done = {"kind": self.kind, "actions": list(self.actions)}
        if self.report is not None:
            return {**self.report.to_dict(), **done}
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "report"} | done


@dataclass(frozen=True)
class Verdict:
    """Whether a file loads as it is in a Keras 3 release, and what `convert` would do to it."""

    kind: str
    release: str  # the Keras 3 release asked about, e.g. '3.9.2'
    keras_version: str | None
    loads: bool  # loads in `release` as it is
    action: str | None  # convert | repair | retarget: what makes it load; None when it loads
    repairable: bool = True  # False: that action cannot make it load
    refusal: KerasMigrateError | None = None  # what convert raises for this file and target, if it refuses it
    problems: tuple[str, ...] = ()  # why it does not load as it is, one line each
    layers: tuple[str, ...] = ()  # the layers the problems name
    loads_in: list[str] = field(default_factory=list)
    passes: dict[str, int] = field(default_factory=dict)
    backend: str | None = None

    @property
    def writer(self) -> str:
        return f"Keras {self.keras_version or '?'}" + (f" ({self.backend})" if self.backend else "")


def convert(
    input_path: str | Path,
    output_path: str | Path,
    *,
    overwrite: bool = False,
    mapping=None,
    custom_module: str | None = None,
    target: str | None = None,
    keep_functions: bool = False,
    channels_last: str | None = None,
) -> Conversion:
    """Convert any model the tool reads into a Keras 3 `.keras` file at `output_path`.

    A legacy `.h5` or SavedModel is converted (`mapping`, `custom_module`, `keep_functions`,
    `channels_last` "inner" or "io": upgrade/convert.py, upgrade/channels_last.py); a `.keras`
    archive is repaired (tf.keras 2.12-2.15), rewritten for `target` when it does not load
    there, else copied byte for byte. Raises KerasMigrateError.
    """
    kind = sniff(input_path)
    if kind == ARCHIVE:
        if channels_last is not None:
            raise UnsupportedError(
                input_path, "--channels-last rewrites legacy .h5 files and SavedModels, not .keras archives"
            )
        user = user_names_of(mapping, custom_module)
        return _convert_archive(Path(input_path), Path(output_path), target, overwrite, user)
    # Everything else takes the legacy path, which also says what a non-model is.
    report = legacy.convert(
        input_path,
        output_path,
        overwrite=overwrite,
        mapping=mapping,
        custom_module=custom_module,
        target=target,
        keep_functions=keep_functions,
        channels_last=channels_last,
    )
    return Conversion(
        input=report.input,
        output=report.output,
        kind=kind,
        actions=(CONVERTED,),
        keras_version=report.keras_version,
        passes=dict(report.passes),
        loads_in=list(report.loads_in),
        backend=report.backend,
        report=report,
    )


def _is_keras3(keras_version: str | None) -> bool:
    return str(keras_version or "").startswith("3.")


def _refuse_existing(input_path: Path, output_path: Path, overwrite: bool) -> None:
    """The output checks of upgrade/convert.py's `convert`, for the archive path."""
    if output_path.exists() and output_path.resolve() == input_path.resolve():
        raise OutputExistsError(output_path, "the output would overwrite the input")
    if output_path.exists() and not overwrite:
        raise OutputExistsError(output_path, "already exists (use --force to replace it)")


def _convert_archive(
    input_path: Path, output_path: Path, target: str | None, overwrite: bool, user: UserNames
) -> Conversion:
    """tf.keras 2.12-2.15's archive is repaired for Keras 3; a Keras 3 archive is rewritten for
    `target` when it does not load there; what needs neither is copied as it is. Its config
    names only Keras's code and what the user's mapping or custom module names (`user`)."""
    _refuse_existing(input_path, output_path, overwrite)
    keras_version = inspect_file(input_path, user).get("keras_version")
    actions: list[str] = []
    passes: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="kerasmigrate-archive-") as tmp:
        current = input_path
        if not _is_keras3(keras_version):
            repaired = Path(tmp) / "keras3.keras"
            report = repair_keras2_archive(input_path, repaired, backup=False, overwrite=True, user=user)
            passes = {name: len(where) for name, where in report.passes.items()}
            if repaired.exists():
                current = repaired
                actions.append(REPAIRED)
        loads_in = inspect_file(current, user).get("loads_in") or []
        if target and resolve_target(target) not in loads_in:
            retargeted = Path(tmp) / "target.keras"
            result = repair_archive(current, target, retargeted, user=user)
            for name in dict.fromkeys(change["pass"] for change in result["changes"]):  # once per pass that ran
                passes[name] = passes.get(name, 0) + 1
            if retargeted.exists():
                current = retargeted
                actions.append(RETARGETED)
            loads_in = list(result["loads_in"])
        copy_file_atomic(current, output_path)
    return Conversion(
        input=str(input_path),
        output=str(output_path),
        kind=ARCHIVE,
        actions=tuple(actions) or (COPIED,),
        keras_version=keras_version,
        passes=passes,
        loads_in=list(loads_in),
    )


def verdict(
    path: str | Path,
    target: str | None = None,
    *,
    mapping=None,
    custom_module: str | None = None,
    keep_functions: bool = False,
) -> Verdict:
    """Does the model at `path` load as it is in the Keras 3 release `target` (default: the
    newest kerasmigrate knows), and if not, what makes it load. Writes nothing.

    A legacy `.h5` or SavedModel never loads as it is (kerasmigrate does not vouch for Keras 3's
    legacy loader): it is converted into a scratch file, so what `convert` refuses raises here
    the same KerasMigrateError. A Keras 3 archive that no rewrite makes load in `target` is not
    repairable, and `refusal` is the TargetError `convert --target` raises for it.
    """
    path = Path(path)
    release = resolve_target(target or KERAS3_RELEASES[-1])
    kind = sniff(path)
    if kind != ARCHIVE:
        return _legacy_verdict(path, kind, release, mapping, custom_module, keep_functions)
    user = user_names_of(mapping, custom_module)
    info = inspect_file(path, user)
    keras_version = info.get("keras_version")
    if _is_keras3(keras_version):
        return _keras3_verdict(path, release, keras_version, user)
    found = diagnose(path, KERAS3_TARGET, user=user).targets[0]
    if found.loads:
        return Verdict(ARCHIVE, release, keras_version, True, None, loads_in=list(info.get("loads_in") or []))
    return Verdict(
        ARCHIVE,
        release,
        keras_version,
        False,
        REPAIR,
        repairable=found.repairable,
        problems=tuple(f.symptom for f in found.findings),
    )


def _keras3_verdict(path: Path, release: str, keras_version: str | None, user: UserNames) -> Verdict:
    found = diagnose_archive(path, release, user=user)
    loads_in = list(found["loads_in"])
    if release in loads_in:
        return Verdict(ARCHIVE, release, keras_version, True, None, loads_in=loads_in)
    findings = found["findings"].get(release) or []
    refusals = [Finding(**f) for f in findings if f["action"] == "refuse"]
    return Verdict(
        ARCHIVE,
        release,
        keras_version,
        False,
        RETARGET,
        repairable=not refusals,
        refusal=TargetError(path, release, refusals) if refusals else None,
        problems=tuple(f"{f.get('layer')}: {f.get('argument')}: {f.get('why')}" for f in findings),
        layers=tuple(sorted({str(f["layer"]) for f in findings if f.get("layer")})),
        loads_in=loads_in,
    )


def _legacy_verdict(path: Path, kind: str, release: str, mapping, custom_module, keep_functions) -> Verdict:
    with tempfile.TemporaryDirectory(prefix="kerasmigrate-check-") as tmp:
        result = convert(
            path,
            Path(tmp) / "check.keras",
            mapping=mapping,
            custom_module=custom_module,
            target=release,
            keep_functions=keep_functions,
        )
    return Verdict(
        kind,
        release,
        result.keras_version,
        False,
        CONVERT,
        problems=(
            f"a {'SavedModel directory' if kind == 'savedmodel' else 'legacy .h5 file'}: Keras 3 needs it converted",
        ),
        loads_in=result.loads_in,
        passes=result.passes,
        backend=result.backend,
    )
