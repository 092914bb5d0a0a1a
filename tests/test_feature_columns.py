"""DenseFeatures models (tf.feature_column) converted into Keras 3 layers on named inputs.

Samples: sample_models/feature_columns/<stack>/, written by the real TF 2.2, 2.4, 2.12, 2.15 and
tf_keras 2.21 (scripts/gen_feature_column_samples.py): a SavedModel directory and, where the stack could write
one, an `.h5` file per model, with the writing stack's outputs on a dict of float, integer and
string features (input_<i> in sorted feature order). The pass itself is checked on configs in
tests/passes/test_dense_features.py.
"""

import json

import pytest

from kerasmigrate import api
from kerasmigrate.errors import UnsupportedError

from .conftest import ROOT, run_with_heavy_imports_blocked

SAMPLES = ROOT / "sample_models" / "feature_columns"
ATOL = 1e-5


def _files(kind):
    """(stack dir, file, words of the refusal or None): the SavedModel and the .h5 of each sample."""
    out = []
    for manifest in sorted(SAMPLES.glob("*/manifest.json")):
        for entry in json.loads(manifest.read_text())["samples"]:
            files = [(entry["file"], entry.get("refusal"))]
            if entry.get("h5"):
                files.append((entry["h5"], entry.get("refusal") or entry.get("h5_refusal")))
            for file, refusal in files:
                if (refusal is None) == (kind == "model"):
                    param = (manifest.parent, file, refusal or entry["refs"])
                    out.append(pytest.param(*param, id=f"{manifest.parent.name}/{file}"))
    return out


# --- the samples, converted and run ---------------------------------------------------------


@pytest.mark.keras
@pytest.mark.parametrize("stack_dir, file, refs", _files("model"))
def test_sample_converts_and_matches_the_writing_stack(stack_dir, file, refs, tmp_path):
    from kerasmigrate.verify import verify

    target = tmp_path / "out.keras"
    report = api.convert(stack_dir / file, target)
    assert report.passes.get("dense-features") == (2 if "nested" in file else 1)  # a nested one: it, its caller
    if "trained" in file:  # the embedding matrices' Adam slots follow them into the nested model
        if stack_dir.name == "tf2.2" and not file.endswith(".h5"):
            # TF 2.2's checkpoint names every embedding matrix's slot alike: left out, and said so
            assert any("embedding_weights" in d for d in report.dropped), report.dropped
        else:
            assert any("optimizer state" in t for t in report.training), report.training
    result = verify(stack_dir / file, target, refs=stack_dir / refs)
    assert result.atol == ATOL
    assert result.ok, result.to_dict()


@pytest.mark.parametrize("stack_dir, file, refusal", _files("refused"))
def test_sample_with_an_untranslatable_column_is_refused_naming_it(stack_dir, file, refusal, tmp_path):
    target = tmp_path / "out.keras"
    with pytest.raises(UnsupportedError, match=refusal):
        api.convert(stack_dir / file, target)
    assert not target.exists()


def test_vocabulary_files_are_read_from_the_savedmodels_assets_only(tmp_path):
    from kerasmigrate.core.savedmodel_assets import read_asset

    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "words.txt").write_text("a\nb\n")
    (tmp_path / "secret.txt").write_text("not an asset")
    assert read_asset(tmp_path, "/home/writer/data/words.txt") == b"a\nb\n"  # by its base name
    assert read_asset(tmp_path, "C:\\data\\words.txt") == b"a\nb\n"
    assert read_asset(tmp_path, "/elsewhere/secret.txt") is None
    assert read_asset(tmp_path, "../secret.txt") is None
    assert read_asset(tmp_path, "..") is None


@pytest.mark.keras
def test_without_references_the_original_is_fed_a_dict_of_features(tmp_path):
    """tf_keras runs the original SavedModel on the seeded inputs, by feature key."""
    from kerasmigrate.verify import verify

    original = SAMPLES / "tf2.15" / "dense_features_categorical"
    target = tmp_path / "out.keras"
    api.convert(original, target)
    result = verify(original, target)
    assert result.references.startswith("tf_keras")
    assert result.ok, result.to_dict()


def test_convert_never_imports_tensorflow(tmp_path):
    """The samples of one stack convert with TensorFlow, Keras and tf_keras blocked from import."""
    count, bad = run_with_heavy_imports_blocked(
        "import json, pathlib\n"
        "from kerasmigrate import api\n"
        f"stack = pathlib.Path({str(SAMPLES / 'tf2.15')!r}); out = pathlib.Path({str(tmp_path)!r})\n"
        "n = 0\n"
        "for e in json.loads((stack / 'manifest.json').read_text())['samples']:\n"
        "    if e['kind'] == 'model':\n"
        "        api.convert(stack / e['file'], out / f\"{e['name']}.keras\")\n"
        "        n += 1\n"
    )
    assert count >= 6 and bad == []
