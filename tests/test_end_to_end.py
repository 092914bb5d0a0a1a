"""Every sample written by a real old Keras converts, loads in plain Keras 3 (safe mode) and matches.

References: the outputs the writing stack computed (sample_models/*/NAME.refs.npz),
and, independently, the original run by tf_keras on seeded inputs.
Tolerance: verify's defaults, 1e-5 absolute for float32 models (most match to 0 or
~1e-7) and 1e-3 for the mixed-precision sample, which computes in float16.
"""

import io
import re
import zipfile

import h5py
import numpy as np
import pytest

from kerasmigrate import api
from kerasmigrate.core.layout import keras3_model_layers
from kerasmigrate.errors import VerifyError
from kerasmigrate.passes.registry import version_tuple
from kerasmigrate.verify import verify

from .conftest import mapped_params, missing_words, sample_params

pytestmark = pytest.mark.keras
ATOL = 1e-5


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    out = tmp_path_factory.mktemp("converted")
    cache = {}

    def get(stack_dir, entry):
        key = (stack_dir.name, entry["name"])
        if key not in cache:
            target = out / stack_dir.name / f"{entry['name']}.keras"
            api.convert(stack_dir / entry["file"], target)
            cache[key] = target
        return cache[key]

    return get


@pytest.mark.parametrize("stack_dir, entry", sample_params())
def test_matches_the_writing_stack(stack_dir, entry, converted):
    report = verify(stack_dir / entry["file"], converted(stack_dir, entry), refs=stack_dir / entry["refs"])
    assert report.atol == (1e-3 if report.half_precision else ATOL)
    assert report.half_precision == (entry["name"] == "mixed_precision")
    assert report.ok, report.to_dict()


def _computed_otherwise_by_tf_keras(path) -> str | None:
    """tf_keras runs a TF 2.2-2.6 RandomCrop as Keras 2.7+ does (smart_resize), not as its writer
    did (resize, then centre crop): the refs test checks those against the writer's own outputs."""
    with h5py.File(path, "r") as f:
        config = f.attrs.get("model_config")
        version = f.attrs.get("keras_version")
    text = config.decode() if isinstance(config, bytes) else str(config or "")
    version = version.decode() if isinstance(version, bytes) else str(version or "")
    if '"RandomCrop"' in text and (2, 0) <= version_tuple(version) < (2, 7):
        return f"its RandomCrop (written by Keras {version}) resizes then crops; tf_keras's does not"
    return None


@pytest.mark.full  # an independent cross-check of the refs test above: slow (tf_keras runs each original)
@pytest.mark.parametrize("stack_dir, entry", sample_params())
def test_matches_the_original_in_tf_keras(stack_dir, entry, converted):
    if (reason := _computed_otherwise_by_tf_keras(stack_dir / entry["file"])) is not None:
        pytest.skip(reason)
    try:
        report = verify(stack_dir / entry["file"], converted(stack_dir, entry), seed=7)
    except VerifyError as exc:
        # the refs test still checks these files: originals tf_keras cannot load (Keras 1,
        # legacy Merge) or run (CuDNN layers have no CPU kernel; Lambda layers, whose stored
        # bytecode is never run)
        if any(
            reason in exc.message
            for reason in (
                "does not load in tf_keras",
                "No OpKernel was registered",
                "bytecode kerasmigrate never runs",
            )
        ):
            pytest.skip(f"tf_keras cannot run this original: {exc.message[:120]}")
        raise
    assert report.references.startswith("tf_keras")
    assert report.ok, report.to_dict()


def _tree(h5file):
    items = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            items[name] = np.asarray(obj)
        elif name.endswith("vars"):
            items[name] = obj.attrs.get("name")

    h5file.visititems(visit)
    return items


@pytest.mark.parametrize("stack_dir, entry", sample_params())
def test_weights_layout_is_what_keras_3_itself_saves(stack_dir, entry, converted, tmp_path):
    """Load our file, save it again with Keras 3: the weights file must have the same tree."""
    import keras

    import kerasmigrate.keras_objects  # noqa: F401

    ours = converted(stack_dir, entry)
    model = keras.saving.load_model(ours)  # compiled where the file is: optimizer state too
    resaved = tmp_path / "resaved.keras"
    model.save(resaved)
    with zipfile.ZipFile(ours) as a, zipfile.ZipFile(resaved) as b:
        mine = _tree(h5py.File(io.BytesIO(a.read("model.weights.h5")), "r"))
        theirs = _tree(h5py.File(io.BytesIO(b.read("model.weights.h5")), "r"))
    assert sorted(mine) == sorted(theirs)
    for key, value in theirs.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(mine[key], value, err_msg=key)
        elif not re.fullmatch(re.escape(str(mine[key])) + r"_\d+", str(value)):
            # (Keras numbers the names of sub-layers it creates itself, `dropout_1`,
            # by how many it made before in that process: those may differ.)
            assert mine[key] == value, key


@pytest.mark.parametrize("stack_dir, entry", sample_params())
def test_layer_order_matches_keras_3(stack_dir, entry, converted):
    """The port of Keras 3's graph ordering gives the same `model.layers` at every level."""
    import json

    import keras

    import kerasmigrate.keras_objects  # noqa: F401

    path = converted(stack_dir, entry)
    with zipfile.ZipFile(path) as zf:
        config = json.loads(zf.read("config.json"))
    model = keras.saving.load_model(path, compile=False)

    def compare(config_entry, keras_model):
        ours = [layer["config"]["name"] for layer in keras3_model_layers(config_entry)]
        assert ours == [layer.name for layer in keras_model.layers]
        for layer in keras3_model_layers(config_entry):
            if layer["class_name"] in ("Functional", "Sequential"):
                compare(layer, keras_model.get_layer(layer["config"]["name"]))

    compare(config, model)


@pytest.mark.parametrize("stack_dir, entry", sample_params("refused"))
def test_refuses_what_keras_3_would_compute_differently(stack_dir, entry, tmp_path):
    """Samples built so that a faithful conversion is impossible: a clear refusal, no file.

    The references show why: Keras 3 loading the same graph computes other outputs.
    """
    from kerasmigrate.errors import KerasMigrateError

    target = tmp_path / "out.keras"
    with pytest.raises(KerasMigrateError) as info:
        api.convert(stack_dir / entry["file"], target)
    if isinstance(entry["refusal"], str):  # a pattern
        assert re.search(entry["refusal"], str(info.value)), info.value
    else:  # words, and the layer refused (the Lambda samples)
        assert missing_words(info.value.message, entry["refusal"]) == [], info.value.message
        assert entry["layer"] in info.value.message
    assert not target.exists()


# ---------------------------------------------------------------------------
# Samples with custom classes, custom activations and Lambda layers: they convert with
# the mapping their manifest names, and match the outputs the writing stack computed.
# ---------------------------------------------------------------------------

MARKER_ENV = "KERASMIGRATE_LAMBDA_MARKER"


@pytest.fixture
def marker(tmp_path, monkeypatch):
    """Where the samples' side-effect Lambda would create its file if it ever ran."""
    path = tmp_path / "lambda-ran"
    monkeypatch.setenv(MARKER_ENV, str(path))
    yield path
    assert not path.exists(), "a Lambda layer's stored bytecode was executed"


@pytest.mark.parametrize("stack_dir, entry", mapped_params())
def test_mapped_samples_convert_and_match_the_writing_stack(stack_dir, entry, tmp_path, marker):
    target = tmp_path / f"{entry['name']}.keras"
    report = api.convert(stack_dir / entry["file"], target, mapping=stack_dir / entry["mapping"])
    assert report.mapped["classes"] or report.mapped["lambdas"] or report.mapped["functions"]
    result = verify(
        stack_dir / entry["file"],
        target,
        refs=stack_dir / entry["refs"],
        custom_module=str(stack_dir / entry["custom_module"]),
    )
    assert result.atol == ATOL
    assert result.ok, result.to_dict()


# Mapped samples whose Lambdas the translation covers (t * 2, t[:, 1:4], K.l2_normalize): they need
# no mapping since Lambdas are translated from their bytecode (tests/test_lambda_samples.py).
TRANSLATED_WITHOUT_MAPPING = {"lambdas"}


@pytest.mark.parametrize("stack_dir, entry", mapped_params())
def test_mapped_samples_are_refused_without_their_mapping(stack_dir, entry, tmp_path, marker):
    """Custom classes and functions are refused with the fix (`map init`); the marker's Lambda (a
    side effect) is refused naming it; translatable Lambdas convert and match without a mapping."""
    from kerasmigrate.errors import KerasMigrateError

    target = tmp_path / "out.keras"
    if entry["name"] in TRANSLATED_WITHOUT_MAPPING:
        api.convert(stack_dir / entry["file"], target)
        result = verify(stack_dir / entry["file"], target, refs=stack_dir / entry["refs"])
        assert result.atol == ATOL and result.ok, result.to_dict()
        return
    with pytest.raises(KerasMigrateError, match="side_effect" if entry["name"] == "lambda_marker" else "map init"):
        api.convert(stack_dir / entry["file"], target)
    assert not target.exists()


def _computes_channels_first(path) -> bool:
    with h5py.File(path, "r") as f:
        config = f.attrs.get("model_config")
    text = config.decode() if isinstance(config, bytes) else str(config)
    return '"channels_first"' in text or '"dim_ordering": "th"' in text


@pytest.mark.parametrize(
    "stack_dir, entry",
    [p for p in sample_params() if _computes_channels_first(p.values[0] / p.values[1]["file"])],
)
def test_channels_first_models_run_compiled_by_xla(stack_dir, entry, converted):
    """TensorFlow's CPU kernels cannot run channels_first convolutions without oneDNN (off here, as on CPUs
    without AVX-512: tests/conftest.py): verify runs such models compiled by XLA and says so."""
    report = verify(stack_dir / entry["file"], converted(stack_dir, entry), refs=stack_dir / entry["refs"])
    assert report.ok, report.to_dict()
    assert report.xla
    assert any("XLA" in note for note in report.notes)
