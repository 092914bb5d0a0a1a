"""Files written for each Keras 3 release load there, for real, with the original's predictions.

For every release of kerasmigrate's table (3.3.3, 3.6.0, 3.9.2, 3.12.4, 3.15.1)
the test sets up that release's pinned JAX environment (scripts/keras3_envs.py,
cached in ~/.cache/kerasmigrate-tests/keras3-envs) and, through
scripts/keras3_target_matrix.py:

* converts every model of sample_models/ and the generated layer-family models
  (scripts/gen_family_models.py: tf_keras .h5) with `--target` that release;
* retargets the `.keras` files the current Keras saves for the same family
  models (`repair_archive`), and those each older release saves itself to the
  oldest and the current release;
* loads them in that release (one process per release, many files each) and
  compares predictions with the references: max abs difference <= 1e-5
  (1e-3 for the sample that computes in float16). A family file is loaded in
  every release its metadata says will load it, not only its target.

Models Keras runs on TensorFlow only (lookup layers) and MultiHeadAttention
with value_dim != key_dim (Keras's JAX code fails it from 3.9 on) load in each
release's TensorFlow environment (tensorflow-cpu of its time, ~30 s each to
set up); the rest under JAX.

Set-up on a fresh machine: ~2 min for the five JAX environments and ~2 min for
the four TensorFlow ones, ~2 min to generate the family models; the loads take
the rest.
"""

import importlib.util

import pytest

from kerasmigrate import keras3_targets

from .conftest import REALWORLD, ROOT

# make check runs each test file in one worker (--dist loadfile): the module fixture builds the environments once.
pytestmark = [
    pytest.mark.keras,
    pytest.mark.keras3_releases,
    pytest.mark.full,
    pytest.mark.timeout(4800),  # the module fixture: ~10 environments, then ~2,900 loads
]


def _load_matrix_module():
    spec = importlib.util.spec_from_file_location("keras3_target_matrix", ROOT / "scripts" / "keras3_target_matrix.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    module = _load_matrix_module()
    out = tmp_path_factory.mktemp("keras3-releases")
    realworld = REALWORLD if (REALWORLD / "manifest.tsv").exists() else None
    cases, per_release = module.build(out, samples=True, realworld=realworld)
    results = module.run(per_release, out)
    (out / "table.md").write_text(module.table(cases, results) + "\n")
    return module, cases, results


def test_every_file_written_for_a_release_loads_there_and_matches(matrix):
    module, cases, results = matrix
    failures, checked = {}, 0
    for case in cases:
        if case["kind"] in ("current-keras-file", "native-file"):
            continue
        if "error" in case:
            if case["kind"] == "convert-default" and case["model"].startswith("realworld/"):
                continue  # refused real-world files: tests/test_realworld.py checks the refusal
            if "cannot be written for Keras" not in case["error"]:
                failures[f"{case['kind']} {case['model']} -> {case['target']}"] = case["error"]
            continue
        for version in case["check_in"]:
            value = results[version][case["file"]]
            checked += 1
            if isinstance(value, str) or value > module.tolerance(case["model"]):
                failures[f"{case['kind']} {case['model']} -> {case['target']}, loaded in {version}"] = value
    assert not failures, failures
    assert checked > 1000


def test_refusals_are_for_releases_that_cannot_express_the_model(matrix):
    """Refused targets are all older than every target the same model converts for."""
    _, cases, _ = matrix
    by_model: dict = {}
    for case in cases:
        if case["kind"] in ("convert", "retarget"):
            by_model.setdefault((case["kind"], case["model"]), []).append(case)
    refused = 0
    for (kind, model), group in by_model.items():
        converted = sorted((c["target"] for c in group if "error" not in c), key=_key)
        for case in group:
            if "error" in case:
                refused += 1
                assert converted and _key(case["target"]) < _key(converted[0]), (kind, model, case)
    # 129 on this commit: tf_ops, masked concatenate, Softmax over axis 1, and the Lambda samples whose
    # keras.ops nodes (concatenate, expand_dims, mean, ...) releases before 3.12 give no name
    assert refused <= 140, "few samples need a newer release than 3.3 (op nodes, masked concatenate, Softmax axis 1)"


def _key(version):
    return tuple(int(p) for p in version.split("."))


def test_targets_cover_every_release_and_the_family(matrix):
    _, cases, _ = matrix
    family = {c["model"] for c in cases if c["kind"] == "retarget"}
    assert {
        "dense",
        "conv1d",
        "conv2d",
        "conv3d",
        "separable_depthwise",
        "pooling",
        "batch_norm",
        "layer_norm",
        "rnn",
        "embedding_mask",
        "attention",
        "merges",
        "time_distributed",
        "nested",
        "sequential_nested",
        "sequential",
        "mobilenet_v2",
        "efficientnet_b0",
    } <= family
    for kind in ("retarget", "convert"):
        targets = {c["target"] for c in cases if c["kind"] == kind}
        assert targets == {"3.3.3", "3.6.0", "3.9.2", "3.12.4", "3.15.1"}
    # files written for 3.3 retargeted to the current release: every family model
    assert {c["model"] for c in cases if c["kind"] == "forward" and "error" not in c} == family


def test_current_keras_files_load_in_the_current_release(matrix):
    """The current Keras's own files are the baseline the table sets beside the others."""
    module, cases, results = matrix
    for case in cases:
        if case["kind"] == "current-keras-file":
            value = results["3.15.1"][case["file"]]
            assert not isinstance(value, str) and value <= 1e-5, (case["model"], value)


def test_default_target_loads_in_every_newer_release(matrix):
    """Without --target a file is written for the oldest release whose file also loads in every
    newer one (a Functional inside a Sequential: 3.6, since a 3.3 file is misread from 3.12 on);
    the loads themselves are checked above."""
    _, cases, _ = matrix
    defaults = [c for c in cases if c["kind"] == "convert-default" and "error" not in c]
    releases = keras3_targets.RELEASES
    assert len(defaults) >= 20
    for case in defaults:
        newer = releases[releases.index(case["target"]) :]
        assert set(newer) <= set(case["loads_in"]), case
    by_model = {c["model"]: c["target"] for c in defaults}
    assert by_model["dense"] == releases[0]
    assert by_model["sequential_nested"] == "3.6.0"


def test_files_older_releases_save_repair_to_the_oldest_and_the_current_release(matrix):
    """Each older release's own files load in it (the baseline is sane) and repair both ways;
    whether they load as they are in newer releases is the table's baseline, not asserted."""
    module, cases, results = matrix
    native = [c for c in cases if c["kind"] == "native-file"]
    assert {c["writer"] for c in native} == set(keras3_targets.RELEASES[:-1])
    for case in native:
        value = results[case["writer"]][case["file"]]
        assert not isinstance(value, str) and value <= 1e-5, (case["model"], case["writer"], value)
    repaired = [c for c in cases if c["kind"] == "repair-native"]
    assert len(repaired) == 2 * len(native) and not [c for c in repaired if "error" in c]


# SavedModel objects translated from their traced functions (kerasmigrate/core/traced/): not in the
# matrix above, which takes sample_models/*/manifest.json; their own, smaller set of loads.
TRACED_SAMPLES = ("subclassed", "traced_mlp", "traced_conv", "traced_nested", "traced_multi_io", "dense_transpose")
TRACED_SAMPLES += ("traced_rnn",)
TRACED_REALWORLD = ("f96baca3ffdeebbf", "70369bd7d333ed09", "e35c50555c3a5e9d", "717d4bbd5f4bffde", "e4c58ff24130c750")


@pytest.fixture(scope="module")
def traced_matrix(tmp_path_factory):
    """Each traced sample converted for every release and by default, each real directory by
    default; each file loaded in every release its metadata claims (a --target file: that one)."""
    import json

    from .conftest import REALWORLD_SAVEDMODEL_RTOL

    module = _load_matrix_module()
    out = tmp_path_factory.mktemp("keras3-traced")
    cases = []
    for manifest in sorted((ROOT / "sample_models" / "savedmodel").glob("*/manifest.json")):
        for entry in json.loads(manifest.read_text())["samples"]:
            if entry["name"] not in TRACED_SAMPLES:
                continue
            source, refs = manifest.parent / entry["file"], str(manifest.parent / entry["refs"])
            name = f"{manifest.parent.name}/{entry['name']}"
            for version in (None, *keras3_targets.RELEASES):
                output = out / (version or "default") / f"{name}.keras"
                kind = "convert" if version else "convert-default"
                cases.append(module._case(output, name, kind, version, source, refs, every_claimed=not version))
    real = ROOT.parent / "shared" / "realworld" / "savedmodel"
    for row_id in TRACED_REALWORLD if (real / "files").exists() else ():
        source, refs = real / "files" / row_id, str(real / "refs" / f"{row_id}.npz")
        cases.append(module._case(out / "rw" / f"{row_id}.keras", row_id, "convert-default", None, source, refs, True))
    per_release: dict = {}
    for case in cases:
        for version in case["check_in"]:
            per_release.setdefault((version, case["backend"]), []).append([case["file"], case["refs"]])
    tolerance = {row_id: 1e-5 + rtol * 175 for row_id, rtol in REALWORLD_SAVEDMODEL_RTOL.items()}  # outputs <= 174.5
    return cases, module.run(per_release, out), tolerance


def test_traced_models_load_in_every_release_they_claim(traced_matrix):
    """Written from traced functions, with or without keras.ops nodes (which Keras names from 3.12
    on only): refused only for releases older than every one the model is written for, and every
    claimed release loads the file with the writing stack's outputs (1e-5)."""
    cases, results, tolerance = traced_matrix
    failures, checked = {}, 0
    for case in cases:
        if "error" in case:
            if case["kind"] != "convert" or "cannot be written for Keras" not in case["error"]:
                failures[f"{case['kind']} {case['model']} -> {case['target']}"] = case["error"]
            continue
        for version in case["check_in"]:
            value, checked = results[version][case["file"]], checked + 1
            if isinstance(value, str) or value > tolerance.get(case["model"], 1e-5):
                failures[f"{case['kind']} {case['model']} -> {case['target']}, loaded in {version}"] = value
    assert not failures, failures
    defaults = [c for c in cases if c["kind"] == "convert-default"]
    assert checked >= 150 and all(set(c["loads_in"]) >= {"3.12.4", "3.15.1"} for c in defaults)
    groups: dict = {}
    for case in cases:
        if case["kind"] == "convert":
            groups.setdefault(case["model"], []).append(case)
    for model, group in groups.items():
        written = sorted(_key(c["target"]) for c in group if "error" not in c)
        assert written and all(_key(c["target"]) < written[0] for c in group if "error" in c), model
