"""diagnose: why a model file fails, or will fail, in a given loader; and the command that fixes it.

It reads across the directions: the old loaders' verdicts come from a repair
planned read-only (kerasmigrate/downgrade/), Keras 3's from what `inspect`
finds (kerasmigrate/upgrade/).

Reads the file with h5py / zipfile only (no TensorFlow, no Keras). For the
old loaders (`keras-2.3`, `tf-2.2`, `tf-2.4`) it plans a repair read-only and
reports, for every rewrite that plan needs, the error that loader raises
without it (each downgrade pass records it, measured in the real stacks);
for Keras 3 (`keras-3`) it reports what Keras 3's own `load_model` trips on
in a legacy file (nested models, Lambda layers under safe mode, TF-op layers,
classes it cannot locate) and whether `kerasmigrate convert` handles it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import h5py

from kerasmigrate.core.fix_commands import convert_command, map_init_command, repair_command
from kerasmigrate.core.reader import open_legacy_model, read_keras_archive_config, read_weights_only_info, sniff
from kerasmigrate.core.source import open_model
from kerasmigrate.core.validate import NO_USER_NAMES, UserNames
from kerasmigrate.downgrade.repair import TARGETS, RepairRefused, plan_h5
from kerasmigrate.errors import KerasMigrateError
from kerasmigrate.passes import DOWNGRADE
from kerasmigrate.upgrade.checks import unknown_classes
from kerasmigrate.upgrade.inspect import inspect_file
from kerasmigrate.upgrade.keras2_archive import KERAS3_TARGET

KERAS3 = KERAS3_TARGET
SYMPTOMS = {f.km_pass.name: f.km_pass.symptom for f in DOWNGRADE}
DECODE_SYMPTOM = "AttributeError: 'str' object has no attribute 'decode'"


@dataclass(frozen=True)
class Finding:
    """One reason a loader fails: the message it raises, why, and where in the model."""

    symptom: str
    cause: str
    where: tuple[str, ...]  # the first 8 places
    more: int  # places beyond those
    repairable: bool

    def to_dict(self) -> dict:
        return {
            "symptom": self.symptom,
            "cause": self.cause,
            "where": list(self.where),
            "more": self.more,
            "repairable": self.repairable,
        }


@dataclass(frozen=True)
class Verdict:
    """What one loader does with the file, and the command that fixes it."""

    target: str
    loader: str
    loads: bool | None  # None: no known blocker, which is no proof that it loads
    repairable: bool
    findings: tuple[Finding, ...]
    fix: str | None

    def to_dict(self) -> dict:
        return {
            "target": self.target,
            "loader": self.loader,
            "loads": self.loads,
            "repairable": self.repairable,
            "findings": [f.to_dict() for f in self.findings],
            "fix": self.fix,
        }


@dataclass(frozen=True)
class Diagnosis:
    """The verdict of every loader asked about, and what the file is."""

    file: str
    targets: tuple[Verdict, ...]
    facts: dict  # format, writer versions, ...: in the order `diagnose --json` prints them

    def to_dict(self) -> dict:
        return {"file": self.file, "targets": [v.to_dict() for v in self.targets], **self.facts}


def target_names() -> list[str]:
    return sorted(TARGETS) + [KERAS3]


def _finding(symptom: str, cause: str, where: list[str] | None = None, repairable: bool = True) -> Finding:
    where = list(where or [])
    return Finding(symptom, cause, tuple(where[:8]), max(0, len(where) - 8), repairable)


def _verdict(
    target: str,
    loader: str,
    findings: list[Finding],
    *,
    loads: bool | None,
    repairable: bool | None = None,
    fix: str | None = None,
) -> Verdict:
    """The one place a verdict is made; `repairable` defaults to every finding being so."""
    if repairable is None:
        repairable = all(f.repairable for f in findings)
    return Verdict(target, loader, loads, repairable, tuple(findings), fix)


def _legacy_verdict(path: Path, name: str, quoted: str, user: UserNames) -> Verdict:
    target = TARGETS[name]
    try:
        plan = plan_h5(path, target, user=user)
    except RepairRefused as exc:
        lines = exc.message.splitlines()[1:]
        findings = [_finding(_refusal_symptom(line), line.strip(), repairable=False) for line in lines]
        return _verdict(name, target.description, findings, loads=False, repairable=False)
    report = plan.report
    findings = [_finding(SYMPTOMS.get(p, p), f"rewrite {p}", where) for p, where in report.passes.items()]
    if report.attributes:
        findings.append(
            _finding(
                DECODE_SYMPTOM,
                "string attributes stored as UTF-8 strings (h5py >= 3 "
                "writer); the loader's h5py 2.10 returns them without .decode",
                report.attributes,
            )
        )
    findings += [_finding("training state not loadable", item, repairable=False) for item in report.dropped]
    fix = repair_command(quoted, name, f"{Path(quoted).stem}.{name}.h5")
    return _verdict(
        name,
        target.description,
        findings,
        loads=not report.changed,
        repairable=True,
        fix=fix if report.changed else None,
    )


def _refusal_symptom(line: str) -> str:
    text = line.strip()
    if text.startswith("class "):
        return f"ValueError: Unknown layer: {text.split()[1]}"
    if "(Lambda)" in text:
        return "ValueError: bad marshal data / SystemError (Lambda bytecode of another Python)"
    if "argument" in text:
        return f"TypeError: ('Keyword argument not understood:', '{text.split('argument ')[1].split('=')[0]}')"
    return "refused"


TF_OP_CLASSES = ("TFOpLambda", "SlicingOpLambda", "TensorFlowOpLayer")
NOT_SUPPORTED = (
    "ValueError: File format not supported: filepath=... Keras 3 only supports V3 `.keras` "
    "files and legacy H5 format files (`.h5` extension)"
)


def _class_findings(lambdas: list, tf_ops: dict, unknown: dict) -> list[Finding]:
    """What Keras 3 cannot build: Lambda bytecode, TensorFlow-op layers, unknown classes."""
    findings = []
    if lambdas:
        findings.append(
            _finding(
                "ValueError: Requested the deserialization of a Lambda layer ... `safe_mode=True`",
                "Lambda layers hold Python bytecode; Keras 3 refuses it in safe mode, and bytecode of another "
                "Python fails even without it",
                lambdas,
                repairable=False,
            )
        )
    for cls, where in tf_ops.items():
        findings.append(
            _finding(
                f"ValueError: Unknown layer: '{cls}'",
                "TensorFlow ops recorded as layers; convert rewrites them as keras.ops",
                where,
            )
        )
    for cls, where in unknown.items():
        findings.append(
            _finding(
                f"ValueError: Unknown layer: '{cls}' (in a .keras file: TypeError: Could not locate class '{cls}')",
                "a class that is not built into Keras 3 (custom or removed); it needs a mapping to a registered class",
                where,
                repairable=False,
            )
        )
    return findings


def _format_findings(info: dict, quoted: str) -> list[Finding]:
    """Keras 3 chooses its loader by the file name, and loads no SavedModel."""
    suffix = Path(quoted).suffix.lower()
    if info.get("format") == "savedmodel":
        cause = (
            "a TensorFlow SavedModel directory: Keras 3 loads none (keras.layers.TFSMLayer runs it for "
            "inference only); convert reads its Keras config and checkpoint"
        )
        return [_finding(NOT_SUPPORTED, cause, ["<directory>"])]
    if suffix in (".h5", ".hdf5"):
        return []
    symptom = (
        "ValueError: File not found: filepath=... Please ensure the file is an accessible `.keras` zip file."
        if suffix == ".keras"
        else NOT_SUPPORTED
    )
    cause = (
        f"an HDF5 model file named {suffix or 'without a suffix'} (tf.keras "
        "2.12 `model.save('x.keras')` wrote HDF5); Keras 3 chooses its "
        "loader by the file name (keras/src/saving/saving_api.py)"
    )
    return [_finding(symptom, cause, ["<file>"])]


def _keras3_verdict(info: dict, quoted: str) -> Verdict:
    """What Keras 3's own load_model does with a legacy .h5 (from `inspect`'s analysis)."""
    needs = info.get("needs_mapping") or {}
    classes = needs.get("unknown_classes") or {}
    lambdas = classes.get("Lambda") or needs.get("lambda_layers") or []
    refused = info.get("refused")
    # TensorFlow-op layers are what convert rewrites, unless it refuses the file anyway.
    tf_ops = {} if refused else {c: classes[c] for c in TF_OP_CLASSES if c in classes}
    unknown = {c: where for c, where in classes.items() if c != "Lambda" and c not in tf_ops}
    findings = _class_findings(lambdas, tf_ops, unknown) + _format_findings(info, quoted)
    if info.get("nested_models"):
        findings.append(
            _finding(
                "ValueError: Invalid Functional model configuration ... nodes failed to be resolved",
                "nested models in a legacy .h5: Keras 3's legacy loader mis-reads their node indices "
                "(most nested samples of six writers fail; some load)",
                info["nested_models"],
            )
        )
    if refused and all(f.repairable for f in findings):
        findings.append(_finding("refused by kerasmigrate convert", refused, repairable=False))
    convertible = not refused and not unknown and not lambdas
    if convertible:
        fix = convert_command(quoted, f"{Path(quoted).stem}.keras")
    elif unknown or lambdas:
        fix = f"{map_init_command(quoted)}  (then convert with the mapping)"
    else:
        fix = None
    # No finding is no proof: Keras 3's legacy loader fails or computes other outputs on files
    # with none of these (the table in the README's coverage report), so `loads` stays unknown.
    loads = False if len(findings) > bool(info.get("nested_models")) else None
    return _verdict(KERAS3, "Keras 3 (keras.saving.load_model)", findings, loads=loads, repairable=convertible, fix=fix)


def _unreadable(name: str, symptom: str, cause: str, *, loads: bool | None) -> Verdict:
    """An old loader asked about a file kind it does not read."""
    return _verdict(name, TARGETS[name].description, [_finding(symptom, cause, repairable=False)], loads=loads)


def _string_attr_encodings(path: Path) -> dict:
    out = {}
    with h5py.File(path, "r") as h5:
        for key in ("model_config", "keras_version", "backend", "training_config"):
            if key in h5.attrs:
                info = h5py.check_string_dtype(h5.attrs.get_id(key).dtype)
                if info is not None:
                    out[key] = f"{'variable' if info.length is None else 'fixed'}-length {info.encoding}"
    return out


def _archive_keras3_verdict(archive: dict, quoted: str) -> Verdict:
    version = archive["metadata"].get("keras_version")
    old_writer = bool(version) and not str(version).startswith("3.")
    findings = []
    if old_writer:
        findings.append(
            _finding(
                "TypeError: Could not deserialize class 'Functional' because its parent module "
                "keras.src.engine.functional cannot be imported",
                f"written by Keras {version} (the tf.keras 2.12-2.15 .keras format: Keras 2 module "
                "paths, legacy node lists and arguments)",
                ["config.json"],
            )
        )
    for cls, where in unknown_classes(archive["config"]).items():
        if cls in ("Functional", "Model", "Sequential"):
            continue
        findings.append(
            _finding(
                f"TypeError: Could not locate class '{cls}'",
                "not a Keras 3 built-in class: it must be importable and registered when the file is loaded",
                where,
                repairable=False,
            )
        )
    repairable = all(f.repairable for f in findings)
    fix = repair_command(quoted, "keras-3", f"{Path(quoted).stem}.keras3.keras")
    return _verdict(
        KERAS3, "Keras 3", findings, loads=False if findings else None, fix=fix if old_writer and repairable else None
    )


def _diagnose_archive(path: Path, wanted: list[str], user: UserNames) -> Diagnosis:
    archive = read_keras_archive_config(path, user)
    facts = {"format": "keras-archive", "keras_version": archive["metadata"].get("keras_version")}
    verdicts = [
        _archive_keras3_verdict(archive, str(path))
        if name == KERAS3
        else _unreadable(
            name,
            "OSError: Unable to open file (file signature not found)",
            "a .keras zip archive; this loader reads HDF5 only",
            loads=False,
        )
        for name in wanted
    ]
    return Diagnosis(str(path), tuple(verdicts), facts)


def _weights_only(path: Path) -> Diagnosis | None:
    """A file of weights alone: no loader verdict, a note on how it loads."""
    weights_only = read_weights_only_info(path)
    if weights_only is not None:
        facts = {
            "format": "weights-only",
            **weights_only,
            "note": "a legacy weights-only file (save_weights): every loader reads it with "
            "model.load_weights into the same architecture",
        }
        return Diagnosis(str(path), (), facts)
    with h5py.File(path, "r") as h5:
        if "model_config" not in h5.attrs and "layers" in h5 and "vars" in h5:
            facts = {
                "format": "weights-only (Keras 3 layout)",
                "note": "weights saved in the new layout (Keras >= 2.12 `.weights.h5`); Keras 2.3.1 "
                "and TF <= 2.11 reject it: ValueError: You are trying to load a weight file "
                "containing 0 layers into a model with N layers",
            }
            return Diagnosis(str(path), (), facts)
    return None


def _diagnose_savedmodel(path: Path, target: str | None, user: UserNames) -> Diagnosis:
    open_model(path, user).close()  # a clear error for SavedModels without a Keras config (or naming foreign code)
    info = inspect_file(path, user)
    facts = {
        "format": "savedmodel",
        "keras_version": info.get("keras_version"),
        "tensorflow_version": info.get("tensorflow_version"),
        "model_class": info.get("model_class"),
    }
    cause = (
        "repair rewrites .h5 files only; a SavedModel loads in the TensorFlow that "
        f"wrote it (TF {info.get('tensorflow_version') or '?'}) and later 2.x releases"
    )
    # The legacy targets' repairs rewrite .h5 files; only the Keras 3 verdict applies
    # unless one is asked for by name.
    verdicts = [
        _keras3_verdict(info, str(path)) if name == KERAS3 else _unreadable(name, "not assessed", cause, loads=None)
        for name in ([target] if target else [KERAS3])
    ]
    return Diagnosis(str(path), tuple(verdicts), facts)


def _diagnose_h5(path: Path, wanted: list[str], user: UserNames) -> Diagnosis:
    open_legacy_model(path, user).close()  # a clear error for files that are not legacy models (or name foreign code)
    info = inspect_file(path, user)
    facts = {
        "format": "keras-h5",
        "keras_version": info.get("keras_version"),
        "backend": info.get("backend"),
        "writer": info.get("writer"),
        "model_class": info.get("model_class"),
        "string_attributes": _string_attr_encodings(path),
    }
    verdicts = [
        _keras3_verdict(info, str(path)) if name == KERAS3 else _legacy_verdict(path, name, str(path), user)
        for name in wanted
    ]
    return Diagnosis(str(path), tuple(verdicts), facts)


def diagnose(path: str | Path, target: str | None = None, *, user: UserNames = NO_USER_NAMES) -> Diagnosis:
    """A diagnosis of `path` (naming only Keras's code or `user`'s) for `target` or every loader; `.to_dict()`."""
    path = Path(path)
    if target is not None and target not in TARGETS and target != KERAS3:
        raise KerasMigrateError(None, f"unknown target {target!r} (known: {', '.join(target_names())})")
    wanted = [target] if target else target_names()
    kind = sniff(path)
    if kind == "zip":
        return _diagnose_archive(path, wanted, user)
    if kind == "savedmodel":
        return _diagnose_savedmodel(path, target, user)
    if kind == "hdf5":
        found = _weights_only(path)
        if found is not None:
            return found
    return _diagnose_h5(path, wanted, user)
