"""Keras 3 -> an older Keras 3 release (`--target keras-3.X`): the third direction.

What each release accepts is data (kerasmigrate/data/keras3_releases.json); the
rewrites are the TARGET pass table (kerasmigrate/passes/target/); `retarget.py`
runs them on a config or a `.keras` archive. Nothing here imports Keras.
"""

from kerasmigrate.keras3_targets.retarget import (
    CURRENT,
    RELEASES,
    TABLES,
    Release,
    ReleaseTable,
    TargetError,
    apply_target,
    config_diff,
    describe_archive,
    diagnose,
    diagnose_archive,
    loadable_releases,
    older_targets,
    oldest_target,
    repair_archive,
    resolve_target,
    retarget,
    target_names,
)

__all__ = [
    "CURRENT",
    "RELEASES",
    "TABLES",
    "Release",
    "ReleaseTable",
    "TargetError",
    "apply_target",
    "config_diff",
    "describe_archive",
    "diagnose",
    "diagnose_archive",
    "loadable_releases",
    "older_targets",
    "oldest_target",
    "repair_archive",
    "resolve_target",
    "retarget",
    "target_names",
]
