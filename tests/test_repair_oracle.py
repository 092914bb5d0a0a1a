"""Repaired files load in the REAL old loaders and compute the references' outputs.

The stacks are built (cached) by ../shared/oracles/setup.sh; every repairable
sample written by TF 2.4, 2.12, 2.15 and tf_keras 2.21 is repaired for each
target and loaded in one process per stack by scripts/load_repaired.py, which
predicts on the refs' inputs. Tolerance: 1e-5 absolute (weights are the
file's own bytes; the samples differ by <= 1.2e-7). Compiled samples must
come back with their optimizer state, unrepaired files with the loader's
usual error.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from kerasmigrate.repair import TARGETS, RepairRefused, repair

from .conftest import ROOT, sample_entries

ORACLES = ROOT.parent / "shared" / "oracles"
SOURCES = ("tf2.4", "tf2.12", "tf2.15", "tf_keras2.21")
ATOL = 1e-5
# What no config edit can express for each target (checked to be refused, not silently passed).
REFUSED = {
    "keras-2.3": {"attention_family", "layer_norm", "multi_head_attention", "preprocessing", "lookups",
                  "mixed_precision", "tf_ops"},
    "tf-2.2": {"multi_head_attention", "preprocessing", "lookups", "mixed_precision", "tf_ops"},
}
# The families: these must repair for both targets.
REQUIRED = {"mlp_sequential", "sequential_built", "functional_nested", "sequential_in_functional",
            "functional_in_sequential", "nested_three_levels", "shared_layers", "conv_bn",
            "rnn_lstm_gru", "embedding", "compiled_trained"}

pytestmark = pytest.mark.oracle


def _setup(stack: str) -> None:
    done = subprocess.run(["bash", str(ORACLES / "setup.sh"), stack], capture_output=True, text=True)
    assert done.returncode == 0, f"setup.sh {stack} failed:\n{done.stdout}\n{done.stderr}"


def _load_all(stack: str, pairs: list[tuple[str, str]]) -> dict[str, dict]:
    args = [f"{path}={refs}" for path, refs in pairs]
    done = subprocess.run(["bash", str(ORACLES / "run.sh"), stack, str(ROOT / "scripts" / "load_repaired.py"),
                           *args], capture_output=True, text=True, timeout=1800)
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(rows) == len(pairs), f"{stack}: {len(rows)} answers for {len(pairs)} files\n{done.stderr[-3000:]}"
    return {row["file"]: row for row in rows}


@pytest.fixture(scope="module", params=["keras-2.3", "tf-2.2"])
def repaired(request, tmp_path_factory):
    """(target, {sample id: load result}, {sample id: repair report}, refused ids, unrepaired results)."""
    target = request.param
    stack = TARGETS[target].stack
    _setup(stack)
    out_dir = tmp_path_factory.mktemp(target)
    pairs, reports, refused = [], {}, set()
    for stack_dir, entry in sample_entries("model"):
        if stack_dir.name not in SOURCES:
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
    originals = [(str(ROOT / "sample_models" / s / "functional_nested.h5"),
                  str(ROOT / "sample_models" / s / "functional_nested.refs.npz")) for s in ("tf2.4", "tf2.15")]
    results = _load_all(stack, pairs + originals)
    by_id = {sid: results[str(out_dir / f"{sid.replace('/', '__')}.h5")] for sid in reports}
    return target, by_id, reports, refused, [results[p] for p, _ in originals]


def test_every_repaired_sample_loads_and_matches(repaired):
    target, results, _, _, _ = repaired
    bad = {sid: (r["error"], r["max_abs_diff"]) for sid, r in results.items()
           if not r["ok"] or r["max_abs_diff"] is None or r["max_abs_diff"] > ATOL}
    assert not bad, f"{target}: {bad}"
    names = {sid.split("/")[1] for sid in results}
    assert REQUIRED <= names
    for source in SOURCES:
        assert {n for n in REQUIRED if f"{source}/{n}" in results} == REQUIRED, source


def test_only_the_inexpressible_samples_are_refused(repaired):
    target, _, _, refused, _ = repaired
    assert {sid.split("/")[1] for sid in refused} <= REFUSED[target]


def test_optimizer_state_restored(repaired):
    target, results, _, _, _ = repaired
    compiled = {sid: r for sid, r in results.items() if sid.split("/")[1].startswith("compiled_")}
    assert len(compiled) == 3 * len(SOURCES)
    assert {sid: r["optimizer_state"] for sid, r in compiled.items() if r["optimizer_state"] != "restored"} == {}


def test_unrepaired_files_fail_there(repaired):
    _, _, _, _, originals = repaired
    for row in originals:
        assert not row["ok"] and "Unknown layer: Functional" in row["error"]
