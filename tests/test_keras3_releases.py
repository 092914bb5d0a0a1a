"""Files written for each Keras 3 release load there, for real, with the original's predictions.

For every release of kerasmigrate's table (3.3.3, 3.6.0, 3.9.2, 3.12.4, 3.15.1)
the test sets up that release's pinned JAX environment (scripts/keras3_envs.py,
cached in ~/.cache/kerasmigrate-tests/keras3-envs) and, through
scripts/keras3_target_matrix.py:

* converts every model of sample_models/ and the generated layer-family models
  (scripts/gen_family_models.py: tf_keras .h5) with `--target` that release;
* retargets the `.keras` files the current Keras saves for the same family
  models (`repair_archive`);
* loads them in that release (one process per release, many files each) and
  compares predictions with the references: max abs difference <= 1e-5
  (1e-3 for the sample that computes in float16). A family file is loaded in
  every release its metadata says will load it, not only its target.

Set-up on a fresh machine: ~2 min for the five environments with a warm pip
cache, ~2 min to generate the family models; the loads take the rest.
"""

import importlib.util

import pytest

from kerasmigrate import keras3_targets

from .conftest import REALWORLD, ROOT

pytestmark = [pytest.mark.keras, pytest.mark.keras3_releases]

# Keras 3's StringLookup/IntegerLookup/Hashing/TextVectorization need the TensorFlow backend
# (keras/src/layers/preprocessing/index_lookup.py); these environments run JAX.
NEEDS_TENSORFLOW = {"lookups", "text_vectorization"}
# Keras's own MultiHeadAttention with value_dim != key_dim fails on JAX from 3.9 on
# ("cannot reshape array", "value shape should be"; see tests/test_backends.py), built
# natively as well; 3.3 and 3.6 run it.
KERAS_JAX_BUG = {"multi_head_attention"}


def _load_matrix_module():
    spec = importlib.util.spec_from_file_location("keras3_target_matrix",
                                                  ROOT / "scripts" / "keras3_target_matrix.py")
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


def _known_limit(case) -> bool:
    """A backend limit of Keras itself: such a file may fail to load; if it loads it must match."""
    name = case["model"].rsplit("/", 1)[-1]
    return name in NEEDS_TENSORFLOW or name in KERAS_JAX_BUG


def test_every_file_written_for_a_release_loads_there_and_matches(matrix):
    module, cases, results = matrix
    failures, checked = {}, 0
    for case in cases:
        if case["kind"] == "current-keras-file":
            continue
        if "error" in case:
            if case["kind"] == "convert-default" and case["model"].startswith("realworld/"):
                continue  # refused real-world files: tests/test_realworld.py checks the refusal
            if "cannot be written for Keras" not in case["error"]:
                failures[f"{case['kind']} {case['model']} -> {case['target']}"] = case["error"]
            continue
        for version in case["check_in"]:
            value = results[version][case["file"]]
            if _known_limit(case) and isinstance(value, str):
                continue
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
        if case["kind"] not in ("current-keras-file", "convert-default", "forward"):
            by_model.setdefault((case["kind"], case["model"]), []).append(case)
    refused = 0
    for (kind, model), group in by_model.items():
        converted = sorted((c["target"] for c in group if "error" not in c), key=_key)
        for case in group:
            if "error" in case:
                refused += 1
                assert converted and _key(case["target"]) < _key(converted[0]), (kind, model, case)
    assert refused <= 40, "few samples need a newer release than 3.3 (tf_ops, masked concatenate)"


def _key(version):
    return tuple(int(p) for p in version.split("."))


def test_targets_cover_every_release_and_the_family(matrix):
    _, cases, _ = matrix
    family = {c["model"] for c in cases if c["kind"] == "retarget"}
    assert {"dense", "conv1d", "conv2d", "conv3d", "separable_depthwise", "pooling", "batch_norm",
            "layer_norm", "rnn", "embedding_mask", "attention", "merges", "time_distributed",
            "nested", "sequential_nested", "sequential", "mobilenet_v2", "efficientnet_b0"} <= family
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
        newer = releases[releases.index(case["target"]):]
        assert set(newer) <= set(case["loads_in"]), case
    by_model = {c["model"]: c["target"] for c in defaults}
    assert by_model["dense"] == releases[0]
    assert by_model["sequential_nested"] == "3.6.0"
