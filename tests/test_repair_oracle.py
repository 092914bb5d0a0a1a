"""Repaired files load in the REAL old loaders and compute the references' outputs.

The stacks are built (cached) by ../shared/oracles/setup.sh; every repairable
sample written by TF 2.4, 2.12, 2.15 and tf_keras 2.21 is repaired for each
target (keras-2.3, tf-2.2; tf-2.4 for the later writers), and the samples of
each of the two old stacks for the other one and loaded in one process per stack by scripts/load_repaired.py, which
predicts on the refs' inputs. Tolerance: 1e-5 absolute (weights are the
file's own bytes; the samples differ by <= 1.2e-7), 1e-3 for the float16 sample. Compiled samples must
come back with their optimizer state, unrepaired files with the loader's
usual error.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess

import h5py
import numpy as np
import pytest

from kerasmigrate.api import repair
from kerasmigrate.core.reader import read_name_list, read_text_attr
from kerasmigrate.downgrade.join import join
from kerasmigrate.downgrade.repair import TARGETS, RepairRefused

from .conftest import ROOT, sample_entries

ORACLES = ROOT.parent / "shared" / "oracles"
SOURCES = {
    "keras-2.3": ("tf2.2", "tf2.4", "tf2.12", "tf2.15", "tf_keras2.21"),
    "tf-2.2": ("keras2.3", "tf2.4", "tf2.12", "tf2.15", "tf_keras2.21"),
    "tf-2.4": ("tf2.12", "tf2.15", "tf_keras2.21"),
}
ATOL = 1e-5
ATOL_FLOAT16 = 1e-3  # the mixed_precision samples compute in float16
# What no config edit can express for each target (checked to be refused, not silently passed).
REFUSED = {
    "keras-2.3": {
        "attention_family",
        "layer_norm",
        "multi_head_attention",
        "preprocessing",
        "lookups",
        "mixed_precision",
        "tf_ops",
        "text_vectorization",
        "augmentation",  # RandomBrightness (TF 2.9+) and the other augmentation layers
        *("random_crop_aspect", "random_crop_functional"),  # no RandomCrop before TF 2.2's tf.keras
    },
    "tf-2.2": {
        *("multi_head_attention", "preprocessing", "lookups", "mixed_precision", "tf_ops", "text_vectorization"),
        "augmentation",
        *("random_crop_aspect", "random_crop_functional"),  # its RandomCrop resizes, then crops
    },
    "tf-2.4": {
        *("multi_head_attention", "preprocessing", "lookups", "text_vectorization", "augmentation"),
        *("random_crop_aspect", "random_crop_functional"),  # its RandomCrop resizes, then crops
    },
}
# tf.keras runs channels_first convolutions and pooling on a CPU only through oneDNN (not in TF 2.2/2.4)
# or XLA: the repaired file loads there, and its run fails with TensorFlow's own NHWC-only error.
NHWC_ONLY = re.compile(r"only supports (the )?NHWC")
# The families: these must repair for both targets.
REQUIRED = {
    "mlp_sequential",
    "sequential_built",
    "functional_nested",
    "sequential_in_functional",
    "functional_in_sequential",
    "nested_three_levels",
    "shared_layers",
    "conv_bn",
    "rnn_lstm_gru",
    "embedding",
    "compiled_trained",
}

# make check runs each test file in one worker (--dist loadfile): the module fixture sets up each stack once.
pytestmark = [pytest.mark.oracle, pytest.mark.full]


def _stack_env() -> dict:
    """The environment without what this process's TensorFlow set for itself: importing TF 2.x
    exports TF2_BEHAVIOR=1, which turns TF 1.15 (the keras2.3 stack) eager and breaks Keras 2.3.1;
    the tests' XLA_FLAGS are for today's XLA."""
    drop = {"TF2_BEHAVIOR", "TF_USE_LEGACY_KERAS", "KERAS_BACKEND", "KERAS_HOME", "XLA_FLAGS"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def _setup(stack: str) -> None:
    done = subprocess.run(["bash", str(ORACLES / "setup.sh"), stack], capture_output=True, text=True, env=_stack_env())
    assert done.returncode == 0, f"setup.sh {stack} failed:\n{done.stdout}\n{done.stderr}"


def _load_all(stack: str, pairs: list[tuple[str, str]]) -> dict[str, dict]:
    args = [f"{path}={refs}" for path, refs in pairs]
    done = subprocess.run(
        ["bash", str(ORACLES / "run.sh"), stack, str(ROOT / "scripts" / "load_repaired.py"), *args],
        capture_output=True,
        text=True,
        timeout=1800,
        env=_stack_env(),
    )
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(rows) == len(pairs), f"{stack}: {len(rows)} answers for {len(pairs)} files\n{done.stderr[-3000:]}"
    return {row["file"]: row for row in rows}


@pytest.fixture(scope="module", params=["keras-2.3", "tf-2.2", "tf-2.4"])
def repaired(request, tmp_path_factory):
    """(target, {sample id: load result}, {sample id: repair report}, refused ids, unrepaired results)."""
    target = request.param
    stack = TARGETS[target].stack
    _setup(stack)
    out_dir = tmp_path_factory.mktemp(target)
    pairs, reports, refused = [], {}, set()
    for stack_dir, entry in sample_entries("model"):
        if stack_dir.name not in SOURCES[target]:
            continue
        sid = f"{stack_dir.name}/{entry['name']}"
        out = out_dir / f"{stack_dir.name}__{entry['name']}.h5"
        try:
            reports[sid] = repair(stack_dir / entry["file"], target, out)
        except RepairRefused:
            refused.add(sid)
            continue
        pairs.append((str(out), str(stack_dir / entry["refs"])))
    # unrepaired originals, to show the check can fail
    broken = "compiled_trained" if target == "tf-2.4" else "functional_nested"
    originals = [
        (str(ROOT / "sample_models" / s / f"{broken}.h5"), str(ROOT / "sample_models" / s / f"{broken}.refs.npz"))
        for s in ("tf2.12", "tf2.15")
    ]
    # a file whose string attributes h5py 3 rewrote as UTF-8 `str` (any editing script does it)
    utf8 = out_dir / "utf8_attributes.h5"
    shutil.copyfile(ROOT / "sample_models" / "tf2.4" / "mlp_sequential.h5", utf8)
    with h5py.File(utf8, "r+") as h5:
        weights = h5["model_weights"].attrs
        h5.attrs["model_config"] = h5.attrs["model_config"]  # read back as str, written as UTF-8
        weights["keras_version"] = read_text_attr(weights, "keras_version")
        weights["layer_names"] = np.array(read_name_list(weights, "layer_names"), dtype=h5py.string_dtype())
    utf8_refs = str(ROOT / "sample_models" / "tf2.4" / "mlp_sequential.refs.npz")
    repair(utf8, target, out_dir / "utf8_repaired.h5")
    originals.append((str(utf8), utf8_refs))
    pairs.append((str(out_dir / "utf8_repaired.h5"), utf8_refs))
    reports["utf8/repaired"] = None
    # weights-only files joined with their JSON architecture, then repaired
    for source in SOURCES[target]:
        joined = out_dir / f"{source}_joined.h5"
        join(
            ROOT / "sample_models" / source / "weights_only.h5",
            ROOT / "sample_models" / source / "weights_only.arch.json",
            joined,
        )
        sid = f"joined/{source}"
        reports[sid] = repair(joined, target, out_dir / f"joined__{source}.h5")
        pairs.append(
            (str(out_dir / f"joined__{source}.h5"), str(ROOT / "sample_models" / source / "weights_only.refs.npz"))
        )
    results = _load_all(stack, pairs + originals)
    results[str(out_dir / "utf8__repaired.h5")] = results[str(out_dir / "utf8_repaired.h5")]
    by_id = {sid: results[str(out_dir / f"{sid.replace('/', '__')}.h5")] for sid in reports}
    return target, by_id, reports, refused, [results[p] for p, _ in originals]


def _runs_nchw_on_cpu(target: str, sid: str, result: dict) -> bool:
    """A channels_first sample repaired for tf.keras, which loads there and cannot run on its CPU kernels."""
    channels_first = sid.split("/")[1].startswith("channels_first_")
    return target.startswith("tf-") and channels_first and bool(NHWC_ONLY.search(result["error"] or ""))


def test_every_repaired_sample_loads_and_matches(repaired):
    target, results, _, _, _ = repaired
    bad = {
        sid: (r["error"], r["max_abs_diff"])
        for sid, r in results.items()
        if not _runs_nchw_on_cpu(target, sid, r)
        and (
            not r["ok"]
            or r["max_abs_diff"] is None
            or r["max_abs_diff"] > (ATOL_FLOAT16 if sid.endswith("/mixed_precision") else ATOL)
        )
    }
    assert not bad, f"{target}: {bad}"
    names = {sid.split("/")[1] for sid in results}
    assert REQUIRED <= names
    assert {sid for sid in results if sid.startswith("joined/")} == {f"joined/{s}" for s in SOURCES[target]}
    for source in SOURCES[target]:
        assert {n for n in REQUIRED if f"{source}/{n}" in results} == REQUIRED, source


def test_only_the_inexpressible_samples_are_refused(repaired):
    target, _, _, refused, _ = repaired
    assert {sid.split("/")[1] for sid in refused} <= REFUSED[target]


def test_optimizer_state_restored(repaired):
    target, results, _, _, _ = repaired
    compiled = {sid: r for sid, r in results.items() if sid.split("/")[1].startswith("compiled_")}
    assert len(compiled) == 3 * len(SOURCES[target])
    assert {sid: r["optimizer_state"] for sid, r in compiled.items() if r["optimizer_state"] != "restored"} == {}


def test_unrepaired_files_fail_there(repaired):
    target, _, _, _, originals = repaired
    expected = "Unknown optimizer: Custom>Adam" if target == "tf-2.4" else "Unknown layer: Functional"
    for row in originals[:-1]:
        assert not row["ok"] and expected in row["error"], row
    assert not originals[-1]["ok"] and "has no attribute 'decode'" in originals[-1]["error"]
