"""Real files people committed to public repositories (../shared/realworld, not part of this repo).

Properties checked on every full model there, without naming any file:
* a file either converts, or is refused with a clear KerasMigrateError;
* every file that converts and has reference outputs matches them (1e-5):
  a wrong model must never get through;
* every file with a Lambda layer is refused with the Lambda layers named,
  and nothing of the stored bytecode is run.
"""

import csv

import pytest

from kerasmigrate import api
from kerasmigrate.errors import KerasMigrateError
from kerasmigrate.verify import verify

from .conftest import REALWORLD

pytestmark = [
    pytest.mark.keras,
    pytest.mark.full,
    pytest.mark.skipif(
        not (REALWORLD / "manifest.tsv").exists(), reason="../shared/realworld is not beside the checkout"
    ),
]
ATOL = 1e-5


def _full_models():
    if not (REALWORLD / "manifest.tsv").exists():
        return []
    with open(REALWORLD / "manifest.tsv", newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["kind"] == "full"]
    return [pytest.param(r, id=r["id"]) for r in rows]


@pytest.fixture(scope="module")
def outcomes():
    return {}


@pytest.mark.parametrize("row", _full_models())
def test_converts_and_matches_or_is_refused_clearly(row, tmp_path, outcomes):
    source = REALWORLD / "files" / f"{row['id']}.h5"
    target = tmp_path / "out.keras"
    try:
        api.convert(source, target)
    except KerasMigrateError as exc:
        assert str(source) in str(exc) and exc.message
        assert not target.exists()
        outcomes[row["id"]] = "refused"
        if row["lambda"] == "y":
            assert "Lambda" in exc.message and "never executes" in exc.message
        return
    assert row["lambda"] != "y", "a model with a Lambda layer must not convert without a mapping"
    if row["ref_status"] != "ok":
        outcomes[row["id"]] = "converted"
        return
    report = verify(source, target, refs=REALWORLD / "refs" / f"{row['id']}.npz", atol=ATOL)
    assert report.ok, report.to_dict()
    outcomes[row["id"]] = "verified"


def test_most_referenced_models_verify(outcomes):
    """A floor, so that a regression that refuses what used to convert is noticed."""
    if not outcomes:
        pytest.skip("no real-world files ran")
    verified = sum(1 for v in outcomes.values() if v == "verified")
    assert verified >= 23, outcomes  # 21 + the two Keras 1 files (Theano-era TF conv, per-gate LSTM)


def _with_lambda_or_custom():
    return [p for p in _full_models() if p.values[0]["lambda"] == "y" or p.values[0]["custom"]]


@pytest.mark.parametrize("row", _with_lambda_or_custom())
def test_map_init_lists_every_lambda_and_custom_class(row):
    """The skeleton names each Lambda layer and custom class the refusal names, reading
    the stored bytecode as data only (the Python that wrote it, its function name)."""
    import tomllib

    from kerasmigrate.upgrade import mapping

    source = REALWORLD / "files" / f"{row['id']}.h5"
    text = mapping.skeleton([source])
    doc = tomllib.loads(text)
    with pytest.raises(KerasMigrateError) as info:
        api.convert(source, source.with_suffix(".never-written.keras"))
    for name in doc.get("lambdas", {}):
        assert name in info.value.message
    if row["lambda"] == "y":
        assert doc.get("lambdas") and "bytecode written by Python" in text
    for cls in row["custom"].split(","):
        if cls:
            assert cls in doc.get("classes", {})


MAPPINGS = __import__("pathlib").Path(__file__).parent / "realworld_mappings"


@pytest.mark.parametrize(
    "row", [p for p in _with_lambda_or_custom() if "last_hidden_state" in p.values[0]["ref_detail"]]
)
def test_a_lambda_file_converts_with_a_mapping_and_loads(row, tmp_path):
    """No references exist for Lambda files (their bytecode was never run), so this checks that
    the mapped file converts, loads with safe mode on and runs; not its numbers."""
    import keras
    import numpy as np

    source = REALWORLD / "files" / f"{row['id']}.h5"
    target = tmp_path / "out.keras"
    report = api.convert(source, target, mapping=MAPPINGS / "last_step.toml")
    assert report.mapped["lambdas"]
    model = keras.saving.load_model(target, compile=False, safe_mode=True)
    inputs = [np.zeros([2] + [d or 4 for d in t.shape[1:]], dtype=t.dtype) for t in model.inputs]
    assert all(np.isfinite(np.asarray(o)).all() for o in keras.tree.flatten(model.predict(inputs, verbose=0)))


@pytest.mark.parametrize("row", [p for p in _with_lambda_or_custom() if "BaseNetwork" in p.values[0]["custom"]])
def test_a_subclassed_tower_and_a_lambda_convert_with_a_mapping(row, tmp_path):
    """A tower class that stored no config, called on two inputs, and a two-input Lambda. The
    tower's code is gone (its activations unknown), so this checks that each stored weight
    lands, bit for bit, in the Keras 3 sub-layer of the same name; not the outputs."""
    import sys

    import h5py
    import keras
    import numpy as np

    source = REALWORLD / "files" / f"{row['id']}.h5"
    target = tmp_path / "out.keras"
    report = api.convert(source, target, mapping=MAPPINGS / "siamese.toml")
    assert set(report.mapped["classes"]) and set(report.mapped["lambdas"])
    sys.path.insert(0, str(MAPPINGS))
    try:
        import rw_functions  # noqa: F401  (registers the classes)
    finally:
        sys.path.remove(str(MAPPINGS))
    model = keras.saving.load_model(target, compile=False, safe_mode=True)
    (tower,) = [layer for layer in model.layers if layer.__class__.__name__ == "BaseNetwork"]
    with h5py.File(source, "r") as f:
        group = f["model_weights"][tower.name]
        for name in group.attrs["weight_names"]:
            name = name.decode() if isinstance(name, bytes) else name
            sub, var = name.split("/")[-2], name.split("/")[-1].split(":")[0]
            np.testing.assert_array_equal(getattr(getattr(tower, sub), var).numpy(), group[name][()])
    assert model.predict([np.zeros((2, 28, 28)), np.ones((2, 28, 28))], verbose=0).shape == (2, 1)
    # The custom loss of its training configuration is mapped too: training resumes.
    assert report.mapped["functions"] == {"compile_config.loss": "contrastive_loss -> RealWorld>contrastive_loss"}
    compiled = keras.saving.load_model(target, safe_mode=True)
    loss = compiled.train_on_batch([np.zeros((2, 28, 28)), np.ones((2, 28, 28))], np.ones((2, 1)))
    assert np.isfinite(loss)


def test_a_custom_loss_without_a_mapping_is_left_out_and_said(tmp_path):
    """A training configuration naming a loss Keras 3 cannot resolve is not carried over
    silently (Keras 3 would fail only when training starts)."""
    rows = [p.values[0] for p in _full_models() if p.values[0]["lambda"] != "y" and not p.values[0]["custom"]]
    dropped = []
    for row in rows:
        source = REALWORLD / "files" / f"{row['id']}.h5"
        try:
            report = api.convert(source, tmp_path / f"{row['id']}.keras")
        except KerasMigrateError:
            continue
        dropped += [d for d in report.dropped if "unknown to Keras 3" in d]
        for item in report.training:
            assert "performance_metric" not in item and "contrastive" not in item
    assert dropped, "no real-world file with a custom loss or metric was found"
