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

from pathlib import Path

import h5py

from kerasmigrate.core.reader import open_legacy_model, read_keras_archive_config, read_weights_only_info, sniff
from kerasmigrate.core.source import open_model
from kerasmigrate.downgrade.repair import TARGETS, RepairRefused, plan_h5
from kerasmigrate.errors import KerasMigrateError
from kerasmigrate.passes import DOWNGRADE
from kerasmigrate.upgrade.checks import unknown_classes
from kerasmigrate.upgrade.inspect import inspect_file
from kerasmigrate.upgrade.keras2_archive import KERAS3_TARGET

KERAS3 = KERAS3_TARGET
SYMPTOMS = {f.km_target_pass.name: f.km_target_pass.symptom for f in DOWNGRADE}
DECODE_SYMPTOM = "AttributeError: 'str' object has no attribute 'decode'"


def target_names() -> list[str]:
    return sorted(TARGETS) + [KERAS3]


def _finding(symptom: str, cause: str, where: list[str] | None = None, repairable: bool = True) -> dict:
    return {
        "symptom": symptom,
        "cause": cause,
        "where": (where or [])[:8],
        "more": max(0, len(where or []) - 8),
        "repairable": repairable,
    }


def _legacy_verdict(path: Path, name: str, quoted: str) -> dict:
    row = TARGETS[name]
    fix = f"kerasmigrate repair {quoted} --target {name} -o {Path(quoted).stem}.{name}.h5"
    try:
        plan = plan_h5(path, row)
    except RepairRefused as exc:
        lines = exc.message.splitlines()[1:]
        return {
            "target": name,
            "loader": row.description,
            "loads": False,
            "repairable": False,
            "findings": [_finding(_refusal_symptom(line), line.strip(), repairable=False) for line in lines],
            "fix": None,
        }
    report = plan.report
    findings = []
    for pass_name, where in report.passes.items():
        findings.append(_finding(SYMPTOMS.get(pass_name, pass_name), f"rewrite {pass_name}", where))
    if report.attributes:
        findings.append(
            _finding(
                DECODE_SYMPTOM,
                "string attributes stored as UTF-8 strings (h5py >= 3 "
                "writer); the loader's h5py 2.10 returns them without .decode",
                report.attributes,
            )
        )
    for item in report.dropped:
        findings.append(_finding("training state not loadable", item, repairable=False))
    return {
        "target": name,
        "loader": row.description,
        "loads": not report.changed,
        "repairable": True,
        "findings": findings,
        "fix": fix if report.changed else None,
    }


def _refusal_symptom(line: str) -> str:
    text = line.strip()
    if text.startswith("class "):
        return f"ValueError: Unknown layer: {text.split()[1]}"
    if "(Lambda)" in text:
        return "ValueError: bad marshal data / SystemError (Lambda bytecode of another Python)"
    if "argument" in text:
        return f"TypeError: ('Keyword argument not understood:', '{text.split('argument ')[1].split('=')[0]}')"
    return "refused"


def _keras3_verdict(info: dict, quoted: str) -> dict:
    """What Keras 3's own load_model does with a legacy .h5 (from `inspect`'s analysis)."""
    findings = []
    needs = info.get("needs_mapping") or {}
    unknown = dict(needs.get("unknown_classes") or {})
    lambdas = unknown.pop("Lambda", None) or needs.get("lambda_layers") or []
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
    for cls in ("TFOpLambda", "SlicingOpLambda", "TensorFlowOpLayer"):
        if cls in unknown and not info.get("refused"):
            findings.append(
                _finding(
                    f"ValueError: Unknown layer: '{cls}'",
                    "TensorFlow ops recorded as layers; convert rewrites them as keras.ops",
                    unknown.pop(cls),
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
    suffix = Path(quoted).suffix.lower()
    if info.get("format") == "savedmodel":
        findings.append(
            _finding(
                "ValueError: File format not supported: filepath=... Keras 3 only supports V3 `.keras` "
                "files and legacy H5 format files (`.h5` extension)",
                "a TensorFlow SavedModel directory: Keras 3 loads none (keras.layers.TFSMLayer runs it for "
                "inference only); convert reads its Keras config and checkpoint",
                ["<directory>"],
            )
        )
    elif suffix not in (".h5", ".hdf5"):
        symptom = (
            "ValueError: File not found: filepath=... Please ensure the file is an accessible `.keras` zip file."
            if suffix == ".keras"
            else "ValueError: File format not supported: filepath=... Keras 3 only supports V3 `.keras` "
            "files and legacy H5 format files (`.h5` extension)"
        )
        findings.append(
            _finding(
                symptom,
                f"an HDF5 model file named {suffix or 'without a suffix'} (tf.keras "
                "2.12 `model.save('x.keras')` wrote HDF5); Keras 3 chooses its "
                "loader by the file name (keras/src/saving/saving_api.py)",
                ["<file>"],
            )
        )
    if info.get("nested_models"):
        findings.append(
            _finding(
                "ValueError: Invalid Functional model configuration ... nodes failed to be resolved",
                "nested models in a legacy .h5: Keras 3's legacy loader mis-reads their node indices "
                "(most nested samples of six writers fail; some load)",
                info["nested_models"],
            )
        )
    refused = info.get("refused")
    if refused and not any(not f["repairable"] for f in findings):
        findings.append(_finding("refused by kerasmigrate convert", refused, repairable=False))
    convertible = not refused and not unknown and not lambdas
    # No finding is no proof: Keras 3's legacy loader fails or computes other outputs on files
    # with none of these (the table in the README's coverage report), so `loads` stays unknown.
    return {
        "target": KERAS3,
        "loader": "Keras 3 (keras.saving.load_model)",
        "loads": False if len(findings) > bool(info.get("nested_models")) else None,
        "repairable": convertible,
        "findings": findings,
        "fix": f"kerasmigrate convert {quoted} -o {Path(quoted).stem}.keras"
        if convertible
        else (
            f"kerasmigrate map init {quoted} -o mapping.toml  (then convert with the mapping)"
            if (unknown or lambdas)
            else None
        ),
    }


def _string_attr_encodings(path: Path) -> dict:
    out = {}
    with h5py.File(path, "r") as h5:
        for key in ("model_config", "keras_version", "backend", "training_config"):
            if key in h5.attrs:
                info = h5py.check_string_dtype(h5.attrs.get_id(key).dtype)
                if info is not None:
                    out[key] = f"{'variable' if info.length is None else 'fixed'}-length {info.encoding}"
    return out


def diagnose(path: str | Path, target: str | None = None) -> dict:
    """A JSON-ready diagnosis of `path` for `target` (or every known loader)."""
    path = Path(path)
    quoted = str(path)
    if target is not None and target not in TARGETS and target != KERAS3:
        raise KerasMigrateError(None, f"unknown target {target!r} (known: {', '.join(target_names())})")
    wanted = [target] if target else target_names()
    kind = sniff(path)
    result: dict = {"file": quoted, "targets": []}
    if kind == "zip":
        archive = read_keras_archive_config(path)
        version = archive["metadata"].get("keras_version")
        result.update(format="keras-archive", keras_version=version)
        for name in wanted:
            if name == KERAS3:
                old_writer = bool(version) and not str(version).startswith("3.")
                findings = (
                    [
                        _finding(
                            "TypeError: Could not deserialize class 'Functional' because its parent module "
                            "keras.src.engine.functional cannot be imported",
                            f"written by Keras {version} (the tf.keras 2.12-2.15 .keras format: Keras 2 module "
                            "paths, legacy node lists and arguments)",
                            ["config.json"],
                        )
                    ]
                    if old_writer
                    else []
                )
                for cls, where in unknown_classes(archive["config"]).items():
                    if cls in ("Functional", "Model", "Sequential"):
                        continue
                    findings.append(
                        _finding(
                            f"TypeError: Could not locate class '{cls}'",
                            "not a Keras 3 built-in class: it must be importable and "
                            "registered when the file is loaded",
                            where,
                            repairable=False,
                        )
                    )
                result["targets"].append(
                    {
                        "target": name,
                        "loader": "Keras 3",
                        "loads": False if findings else None,
                        "repairable": all(f["repairable"] for f in findings),
                        "findings": findings,
                        "fix": (
                            f"kerasmigrate repair {quoted} --target keras-3 -o {path.stem}.keras3.keras"
                            if old_writer and all(f["repairable"] for f in findings)
                            else None
                        ),
                    }
                )
            else:
                result["targets"].append(
                    {
                        "target": name,
                        "loader": TARGETS[name].description,
                        "loads": False,
                        "repairable": False,
                        "findings": [
                            _finding(
                                "OSError: Unable to open file (file signature not found)",
                                "a .keras zip archive; this loader reads HDF5 only",
                                repairable=False,
                            )
                        ],
                        "fix": None,
                    }
                )
        return result
    if kind == "hdf5":
        weights_only = read_weights_only_info(path)
        if weights_only is not None:
            result.update(format="weights-only", **weights_only)
            result["note"] = (
                "a legacy weights-only file (save_weights): every loader reads it with "
                "model.load_weights into the same architecture"
            )
            return result
        with h5py.File(path, "r") as h5:
            if "model_config" not in h5.attrs and "layers" in h5 and "vars" in h5:
                result.update(format="weights-only (Keras 3 layout)")
                result["note"] = (
                    "weights saved in the new layout (Keras >= 2.12 `.weights.h5`); Keras 2.3.1 "
                    "and TF <= 2.11 reject it: ValueError: You are trying to load a weight file "
                    "containing 0 layers into a model with N layers"
                )
                return result
    if kind == "savedmodel":
        open_model(path).close()  # a clear error for SavedModels without a Keras config
        info = inspect_file(path)
        result.update(
            format="savedmodel",
            keras_version=info.get("keras_version"),
            tensorflow_version=info.get("tensorflow_version"),
            model_class=info.get("model_class"),
        )
        # The legacy targets' repairs rewrite .h5 files; only the Keras 3 verdict applies
        # unless one is asked for by name.
        for name in [target] if target else [KERAS3]:
            if name == KERAS3:
                result["targets"].append(_keras3_verdict(info, quoted))
            else:
                result["targets"].append(
                    {
                        "target": name,
                        "loader": TARGETS[name].description,
                        "loads": None,
                        "repairable": False,
                        "findings": [
                            _finding(
                                "not assessed",
                                "repair rewrites .h5 files only; a SavedModel loads in the TensorFlow that "
                                f"wrote it (TF {info.get('tensorflow_version') or '?'}) and later 2.x releases",
                                repairable=False,
                            )
                        ],
                        "fix": None,
                    }
                )
        return result
    open_legacy_model(path).close()  # raises a clear error for files that are not legacy models
    info = inspect_file(path)
    result.update(
        format="keras-h5",
        keras_version=info.get("keras_version"),
        backend=info.get("backend"),
        writer=info.get("writer"),
        model_class=info.get("model_class"),
        string_attributes=_string_attr_encodings(path),
    )
    for name in wanted:
        if name == KERAS3:
            result["targets"].append(_keras3_verdict(info, quoted))
        else:
            result["targets"].append(_legacy_verdict(path, name, quoted))
    return result
