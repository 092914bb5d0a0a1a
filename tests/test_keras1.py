"""Keras 1 and early Keras 2 files: what the reader infers, what the report says, and why it matters.

The end-to-end tests verify every sample of sample_models/keras1 (Keras 1.2.2,
Theano) and sample_models/keras2.1 (Keras 2.1.6, TensorFlow 1.8) against the
outputs those stacks computed (1e-5 absolute). Here: the parts a user reads,
and a check that the kernel conversions are needed at all (without them the
same file gives other outputs).
"""

import json
import zipfile

import pytest

from kerasmigrate import api
from kerasmigrate.verify import verify

from .conftest import SAMPLES

KERAS1 = SAMPLES / "keras1"
KERAS21 = SAMPLES / "keras2.1"


def test_inspect_reports_the_inferred_backend():
    info = api.inspect_file(KERAS1 / "conv_th.h5")
    assert info["keras_version"] == "1.2.2"
    assert info["backend"] == "theano"
    assert info["backend_source"].startswith("inferred from the weight names")
    assert info["writer"] == "Keras 1"
    assert "keras1-arguments" in info["passes"] and info["refused"] is None
    recorded = api.inspect_file(KERAS21 / "conv_channels_first.h5")
    assert recorded["backend"] == "tensorflow" and recorded["backend_source"] == "recorded in the file"


def test_report_and_metadata_list_the_computed_weights(tmp_path):
    target = tmp_path / "rnn.keras"
    report = api.convert(KERAS1 / "rnn.h5", target)
    assert set(report.weight_transforms) == {"lstm", "gru"}
    # joined in Keras 2's gate order, then hard_sigmoid (Keras 1's default inner activation)
    # folded into gates i, f, o
    assert report.weight_transforms["lstm"][0].startswith("lstm/kernel = scale(join(lstm_W_i, lstm_W_f")
    assert report.weight_transforms["lstm"][0].endswith("x1.2 on parts 0, 1, 3 of 4 (last axis))")
    assert report.weights == 12 + 9 + 3  # every stored array was used
    with zipfile.ZipFile(target) as zf:
        metadata = json.loads(zf.read("metadata.json"))["kerasmigrate"]
    assert metadata["weight_transforms"] == report.weight_transforms
    assert metadata["source"]["backend_source"] == "inferred"


@pytest.mark.keras
def test_theano_kernels_must_be_flipped(tmp_path, monkeypatch):
    """Converting the Theano-trained file as if TensorFlow had written it gives other outputs."""
    from kerasmigrate.core import reader

    target = tmp_path / "conv.keras"
    api.convert(KERAS1 / "conv_tf.h5", target)
    assert verify(KERAS1 / "conv_tf.h5", target, refs=KERAS1 / "conv_tf.refs.npz").ok
    monkeypatch.setattr(reader, "infer_backend", lambda names: "tensorflow")
    wrong = tmp_path / "wrong.keras"
    api.convert(KERAS1 / "conv_tf.h5", wrong)
    assert not verify(KERAS1 / "conv_tf.h5", wrong, refs=KERAS1 / "conv_tf.refs.npz").ok


def test_cos_merge_is_refused_by_name(tmp_path):
    from kerasmigrate.errors import KerasMigrateError

    with pytest.raises(KerasMigrateError, match="Merge layer 'cos' uses mode 'cos'"):
        api.convert(KERAS1 / "merge_cos.h5", tmp_path / "out.keras")
