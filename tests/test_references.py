"""verify --refs: reference inputs matched to the model's inputs by name where the file names them
(`input_<name>`, or `in_0`… with `input_names`), by position otherwise (core/references.py)."""

import numpy as np
import pytest

from kerasmigrate.core.references import BY_NAME, BY_POSITION, inputs_in_model_order, read_references
from kerasmigrate.errors import VerifyError

from .conftest import ROOT

MODEL = [{"b"}, {"a", "a/x"}]  # the converted model's inputs: b, then a (renamed from a/x)
A, B, OUT = np.zeros((2, 1)), np.ones((2, 3)), np.full((2, 1), 7.0)


def _refs(tmp_path, **arrays):
    path = tmp_path / "refs.npz"
    np.savez(path, **arrays)
    return read_references(path)


def _check(inputs, how, expected, expected_how):
    assert how == expected_how
    assert [x.shape for x in inputs] == [x.shape for x in expected]


def test_numbered_inputs_feed_the_model_by_position(tmp_path):
    for prefix in ("input_", "in_"):
        refs = _refs(tmp_path, **{f"{prefix}0": B, f"{prefix}1": A, "output_0": OUT})
        _check(*inputs_in_model_order(refs, MODEL), [B, A], BY_POSITION)


def test_named_inputs_feed_the_input_of_that_name_whatever_their_order(tmp_path):
    refs = _refs(tmp_path, input_a=A, input_b=B, output_0=OUT)
    _check(*inputs_in_model_order(refs, MODEL), [B, A], BY_NAME)
    refs = _refs(tmp_path, **{"in_a/x": A, "in_b": B, "out_0": OUT})  # the name before a rename
    _check(*inputs_in_model_order(refs, MODEL), [B, A], BY_NAME)


def test_input_names_name_the_numbered_inputs_as_a_signature_orders_them(tmp_path):
    refs = _refs(tmp_path, in_0=A, in_1=B, out_0=OUT, input_names=np.array(["a", "b"]))
    _check(*inputs_in_model_order(refs, MODEL), [B, A], BY_NAME)


@pytest.mark.parametrize(
    "arrays, words",
    [
        ({"input_a": A, "input_c": B}, "without a reference \\['b'\\].*for no model input \\['c'\\]"),
        ({"input_0": B}, "holds 1 inputs, the model takes 2"),
        ({"input_0": B, "input_a": A}, "both numbered and named"),
        ({"in_0": A, "in_1": B, "input_names": np.array(["a", "a"])}, "2 distinct strings"),
        ({"in_0": A, "in_1": B, "input_names": np.array([1, 2])}, "2 distinct strings"),
    ],
)
def test_references_that_match_no_input_order_are_refused_saying_why(tmp_path, arrays, words):
    with pytest.raises(VerifyError, match=words):
        inputs_in_model_order(_refs(tmp_path, **arrays, output_0=OUT), MODEL)


@pytest.mark.keras
def test_verify_feeds_named_references_by_name_and_says_so(tmp_path):
    """A DenseFeatures sample's references, renamed by feature key and shuffled: the same result."""
    from kerasmigrate import api
    from kerasmigrate.verify import verify

    stack = ROOT / "sample_models" / "feature_columns" / "tf2.15"
    original, target = stack / "dense_features_categorical", tmp_path / "out.keras"
    api.convert(original, target)
    keys = ["age", "code", "color", "shape", "word", "zip"]  # input_0… in sorted feature order
    stored = stack / "dense_features_categorical.refs.npz"
    with np.load(stored) as npz:
        named = {f"input_{key}": npz[f"input_{i}"] for i, key in reversed(list(enumerate(keys)))}
        listed = {f"in_{i}": npz[f"input_{5 - i}"] for i in range(6)}  # in reverse order…
        expected = npz["output_0"]
    np.savez(tmp_path / "named.npz", **named, output_0=expected)
    np.savez(tmp_path / "listed.npz", **listed, input_names=np.array(keys[::-1]), output_0=expected)  # …named so
    for refs, how in ((tmp_path / "named.npz", BY_NAME), (tmp_path / "listed.npz", BY_NAME), (stored, BY_POSITION)):
        report = verify(original, target, refs=refs)
        assert report.ok and report.inputs_matched == how, report.to_dict()
        assert report.references.endswith(f"inputs matched by {how}")
    np.savez(tmp_path / "swapped.npz", **listed, input_names=np.array(keys), output_0=expected)  # names wrong
    try:
        ok = verify(original, target, refs=tmp_path / "swapped.npz").ok
    except VerifyError:  # strings fed to a float input
        ok = False
    assert not ok
