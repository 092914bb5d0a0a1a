"""The public API: one function per command. The CLI (and any program) calls these.

    inspect_file(path)                      what a file is, what converting it involves
    convert(input, output, ...)             any model it reads -> Keras 3 .keras (kerasmigrate/conversion.py:
                                            legacy .h5 and SavedModel converted, .keras archives
                                            repaired, retargeted or copied), a Conversion
    verdict(path, target, ...)              does it load in a Keras 3 release as it is; what convert would do
    repair(path, target, output, ...)       a file for an older loader        (kerasmigrate/downgrade/,
                                            keras-3: kerasmigrate/upgrade/keras2_archive.py)
    repair_for_release(path, target, ...)   a .keras file for an older Keras 3 (kerasmigrate/keras3_targets/)
    diagnose(path, target)                  why a file fails in a loader, and the fix
    diagnose_for_release(path, target)      the same for a Keras 3 release
    join(weights, architecture, output)     weights-only .h5 + JSON -> full-model .h5
    write_mapping_skeleton(paths, output)   mapping.toml to fill in for custom code
    pass_tables()                           the pass tables, in the order they run
    user_names_of(mapping, custom_module)   what they vouch for: the `user` inspect_file, diagnose,
                                            repair and repair_for_release accept besides Keras's code
    sniff(path), sniff_stream(f, size)      what a file is by its content
    is_savedmodel_dir(path), SAVED_MODEL_PB a SavedModel directory, by content
    check_regular_tree(directory)           only regular files inside it (no FIFO, device, link out)
    convert_command(...), repair_command, map_init_command, join_command, release_target
                                            the fix commands messages name
    keras3_releases(), resolve_release(t)   the Keras 3 releases kerasmigrate knows
    atomic_output(path), write_bytes_atomic, copy_file_atomic   outputs written whole or not at all

`verify` lives in kerasmigrate.verify: it imports Keras and TensorFlow. Nothing
here imports them (a custom module the user names is imported, and with it Keras).
Bad input raises a KerasMigrateError subclass (kerasmigrate.errors).
"""

from __future__ import annotations

from pathlib import Path

from kerasmigrate.conversion import Conversion, Verdict, convert, verdict
from kerasmigrate.core.atomic import atomic_output, copy_file_atomic, write_bytes_atomic
from kerasmigrate.core.configs import iter_layers
from kerasmigrate.core.fix_commands import (
    convert_command,
    join_command,
    map_init_command,
    release_target,
    repair_command,
)
from kerasmigrate.core.reader import sniff, sniff_stream
from kerasmigrate.core.rewrite import RepairReport
from kerasmigrate.core.safe_open import check_regular_tree
from kerasmigrate.core.savedmodel import SAVED_MODEL_PB, is_savedmodel_dir
from kerasmigrate.core.validate import NO_USER_NAMES, UserNames
from kerasmigrate.diagnose import diagnose
from kerasmigrate.downgrade import repair as downgrade_repair
from kerasmigrate.downgrade.join import JoinReport, join
from kerasmigrate.errors import KerasMigrateError
from kerasmigrate.keras3_targets import RELEASES, TargetError, resolve_target
from kerasmigrate.keras3_targets import diagnose_archive as diagnose_for_release
from kerasmigrate.keras3_targets import repair_archive as repair_for_release
from kerasmigrate.passes import CHANNELS_LAST, CHANNELS_LAST_IO, DOWNGRADE, UPGRADE
from kerasmigrate.passes.target import TARGET
from kerasmigrate.upgrade.convert import ConversionReport
from kerasmigrate.upgrade.inspect import inspect_file
from kerasmigrate.upgrade.keras2_archive import KERAS3_TARGET, repair_keras2_archive
from kerasmigrate.upgrade.mapped_classes import user_names_of
from kerasmigrate.upgrade.mapping import write_skeleton as write_mapping_skeleton

__all__ = [
    "SAVED_MODEL_PB",
    "atomic_output",
    "check_regular_tree",
    "copy_file_atomic",
    "write_bytes_atomic",
    "Conversion",
    "ConversionReport",
    "JoinReport",
    "RepairReport",
    "TargetError",
    "Verdict",
    "convert",
    "convert_command",
    "diagnose",
    "diagnose_for_release",
    "inspect_file",
    "is_savedmodel_dir",
    "iter_layers",
    "join",
    "join_command",
    "map_init_command",
    "pass_tables",
    "release_target",
    "repair",
    "repair_command",
    "repair_for_release",
    "repair_targets",
    "keras3_releases",
    "resolve_release",
    "sniff",
    "sniff_stream",
    "user_names_of",
    "verdict",
    "write_mapping_skeleton",
]


def keras3_releases() -> list[str]:
    """The Keras 3 releases kerasmigrate knows (their loaders' rules are its data), oldest first."""
    return list(RELEASES)


def resolve_release(target: str) -> str:
    """'keras-3.9', '3.9' or '3.9.2' -> the known release '3.9.2'; KerasMigrateError if unknown."""
    return resolve_target(target)


def repair_targets() -> list[str]:
    """The targets `repair` takes (Keras 3 releases go to `repair_for_release`)."""
    return sorted([*downgrade_repair.TARGETS, KERAS3_TARGET])


def repair(
    path: str | Path,
    target: str,
    output: str | Path | None = None,
    *,
    dry_run: bool = False,
    backup: bool = True,
    overwrite: bool = False,
    allow_lambda: bool = False,
    user: UserNames = NO_USER_NAMES,
) -> RepairReport:
    """Rewrite `path` for the loader `target` into `output` (or in place, keeping `path.bak`).

    keras-2.3, tf-2.2, tf-2.4: a legacy `.h5` for that loader (attributes only);
    keras-3: a `.keras` archive of tf.keras 2.12-2.15 for Keras 3. The file names only Keras's
    code and `user`'s (`user_names_of`).
    """
    if target == KERAS3_TARGET:
        return repair_keras2_archive(path, output, dry_run=dry_run, backup=backup, overwrite=overwrite, user=user)
    if target not in downgrade_repair.TARGETS:
        raise KerasMigrateError(None, f"unknown target {target!r} (known: {', '.join(repair_targets())})")
    return downgrade_repair.repair(
        path,
        target,
        output,
        dry_run=dry_run,
        backup=backup,
        overwrite=overwrite,
        allow_lambda=allow_lambda,
        user=user,
    )


def pass_tables() -> list[dict]:
    """Every pass of the tables (upgrade, channels-last, downgrade, Keras 3 targets), in the order they run."""
    rows = []
    tables = (
        ("upgrade", UPGRADE),
        ("channels-last", CHANNELS_LAST + CHANNELS_LAST_IO),  # only with convert --channels-last
        ("downgrade", DOWNGRADE),
        ("keras3-target", TARGET),
    )
    for table, passes in tables:
        for func in passes:
            p = func.km_pass
            row = {"table": table, "name": p.name, "kind": p.kind, "since": p.boundary}
            if table == "upgrade":
                row["classes"] = sorted(p.classes) if p.classes else None
            elif table == "downgrade":
                row["targets"] = sorted(p.loaders)
            rows.append({**row, "summary": p.summary()})
    return rows
