"""Real files people committed to public repositories (../shared/realworld, not part of this repo).

Properties checked on every full model there, without naming any file:
* a file either converts, or is refused with a clear KerasMigrateError;
* every file that converts and has reference outputs matches them (1e-5):
  a wrong model must never get through;
* every file with Lambda layers whose code uses only the vocabulary of the
  translation (VOCABULARY: the names it may use) converts without a mapping,
  the report saying what each Lambda became; those with references computed in
  the writers' own Python and Keras (github/lambda_refs/) match them (1e-5);
  every other one is refused naming the custom class or the operation;
* a mapping still wins over the translation.
Nothing of the stored bytecode is run: it is read as data (the names a Lambda
uses, here with kerasmigrate.lambdas.bytecode `describe`).
"""

import csv
import json
import zipfile

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
        return  # Lambda files: test_a_lambda_file_converts_or_is_refused_naming_why says which
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
    """The skeleton names each Lambda layer and custom class of the file, reading the stored
    bytecode as data only (the Python that wrote it, its function name)."""
    import tomllib

    from kerasmigrate.upgrade import mapping

    source = REALWORLD / "files" / f"{row['id']}.h5"
    text = mapping.skeleton([source])
    doc = tomllib.loads(text)
    assert set(_lambda_layers(source)) <= set(doc.get("lambdas", {}))
    if row["lambda"] == "y":
        assert doc.get("lambdas") and "bytecode written by Python" in text
    for cls in row["custom"].split(","):
        if cls:
            assert cls in doc.get("classes", {})


# --- Lambda layers translated from their bytecode -----------------------------------------------

LAMBDA_REFS = REALWORLD / "lambda_refs"  # computed in the writers' own Python and Keras (its README)
# The names a Lambda's code may use and still be inside the vocabulary the translation promises:
# the modules old code named (`K.tf.…` and `keras.backend.tf.…` included) and the functions of
# those it calls. Read from the bytecode as data: co_names (globals, attributes, imported modules).
VOCABULARY = {
    *("K", "keras", "backend", "tf", "tensorflow", "np", "numpy", "math"),
    *("image", "resize", "resize_images", "ResizeMethod", "AREA", "BILINEAR", "NEAREST_NEIGHBOR", "BICUBIC"),
    *("nn", "space_to_depth", "expand_dims", "concatenate", "mean", "sum", "l2_normalize"),
    *("square", "sqrt", "maximum", "minimum", "epsilon"),
}


def _lambda_layers(path) -> dict[str, set[str]]:
    """{Lambda layer name: the names its function and its output_shape function use}."""
    import h5py

    from kerasmigrate.core.configs import iter_layers
    from kerasmigrate.lambdas.bytecode import describe

    with h5py.File(path, "r") as f:
        config = json.loads(f.attrs["model_config"])
    found = {}
    for _, entry in iter_layers(config):
        if entry.get("class_name") == "Lambda":
            layer = entry["config"]
            names = set(describe(layer["function"]).names)
            if layer.get("output_shape_type") in ("lambda", "function"):
                names |= set(describe(layer["output_shape"]).names)
            found[layer["name"]] = names
    return found


def _lambda_files():
    """Every file with Lambda layers: full models, and weights joined with their JSON architecture."""
    if not (REALWORLD / "manifest.tsv").exists():
        return []
    with open(REALWORLD / "manifest.tsv", newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["lambda"] == "y"]
    return [pytest.param(r, id=r["id"]) for r in rows if r["kind"] in ("full", "json-arch")]


def _model_file(row, tmp_path):
    files = REALWORLD / "files"
    if row["kind"] == "full":
        return files / f"{row['id']}.h5"
    joined = tmp_path / "joined.h5"
    api.join(files / f"{row['id']}.h5", files / f"{row['id']}.json", joined)
    return joined


@pytest.mark.parametrize("row", _lambda_files())
def test_a_lambda_file_converts_or_is_refused_naming_why(row, tmp_path):
    """Lambdas inside the vocabulary, no custom class: converts, the report naming each Lambda
    (what it became). Otherwise refused, naming each custom class or a Lambda and a name of it
    outside the vocabulary; or, for a Lambda beyond it that still translates, converted."""
    source = _model_file(row, tmp_path)
    lambdas = _lambda_layers(source)
    outside = {layer: names - VOCABULARY for layer, names in lambdas.items() if names - VOCABULARY}
    custom = [c for c in row["custom"].split(",") if c]
    target = tmp_path / "out.keras"
    try:
        report = api.convert(source, target)
    except KerasMigrateError as exc:
        assert custom or outside, f"Lambdas {lambdas} use only the vocabulary: {exc.message}"
        assert not target.exists()
        if custom:
            assert all(c in exc.message for c in custom), exc.message
        else:
            assert any(
                layer in exc.message and any(name in exc.message for name in names) for layer, names in outside.items()
            ), (outside, exc.message)
        return
    assert not custom, "a custom class converted without a mapping"
    said = json.dumps(report.to_dict(), default=str)
    assert all(layer in said for layer in lambdas), said


@pytest.mark.parametrize("refs", sorted(LAMBDA_REFS.glob("*.npz")), ids=lambda p: p.stem)
def test_a_lambda_file_with_references_matches_them(refs, tmp_path):
    """The Lambda files whose writers' own stacks computed references (lambda_refs/README.md):
    translated without a mapping, they give the same outputs (in_0.. -> out_0.., 1e-5)."""
    source = REALWORLD / "files" / f"{refs.stem}.h5"
    assert _lambda_layers(source), "a reference of lambda_refs/ for a file without Lambda layers"
    target = tmp_path / "out.keras"
    api.convert(source, target)
    report = verify(source, target, refs=refs, atol=ATOL)
    assert report.ok, report.to_dict()


def test_every_lambda_reference_is_of_a_file_inside_the_vocabulary():
    """So that the test above cannot pass by a file that is allowed a refusal."""
    refs = sorted(LAMBDA_REFS.glob("*.npz"))
    assert len(refs) >= 3
    for path in refs:
        lambdas = _lambda_layers(REALWORLD / "files" / f"{path.stem}.h5")
        assert all(names <= VOCABULARY for names in lambdas.values()), (path.stem, lambdas)


MAPPINGS = __import__("pathlib").Path(__file__).parent / "realworld_mappings"


@pytest.mark.parametrize(
    "row", [p for p in _with_lambda_or_custom() if "last_hidden_state" in p.values[0]["ref_detail"]]
)
def test_a_lambda_file_converts_with_a_mapping_and_loads(row, tmp_path):
    """A mapping still wins over the translation: the Lambda becomes the mapped function, the file
    loads with safe mode on, runs, and matches the writer's references where lambda_refs/ has them."""
    import keras
    import numpy as np

    source = REALWORLD / "files" / f"{row['id']}.h5"
    target = tmp_path / "out.keras"
    report = api.convert(source, target, mapping=MAPPINGS / "last_step.toml")
    assert report.mapped["lambdas"]
    model = keras.saving.load_model(target, compile=False, safe_mode=True)
    inputs = [np.zeros([2] + [d or 4 for d in t.shape[1:]], dtype=t.dtype) for t in model.inputs]
    assert all(np.isfinite(np.asarray(o)).all() for o in keras.tree.flatten(model.predict(inputs, verbose=0)))
    with zipfile.ZipFile(target) as archive:  # the mapped function, not a translation, in the file
        assert b"RealWorld>last_step" in archive.read("config.json")
    refs = LAMBDA_REFS / f"{row['id']}.npz"
    if refs.exists():
        result = verify(source, target, refs=refs, atol=ATOL, custom_module=str(MAPPINGS / "rw_functions.py"))
        assert result.ok, result.to_dict()


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
