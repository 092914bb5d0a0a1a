import pytest

from kerasmigrate.passes.keras3_releases import TargetRefusal
from kerasmigrate.passes.target.concatenate_masks import concatenate_masks as run

from .release_helpers import call


def tensor(layer):
    return {
        "class_name": "__keras_tensor__",
        "config": {"shape": [], "dtype": "float32", "keras_history": [layer, 0, 0]},
    }


def layer(class_name, name, inputs, **config):
    args = [tensor(i) for i in inputs]
    return {
        "module": "keras.layers",
        "class_name": class_name,
        "name": name,
        "config": {"name": name, **config},
        "registered_name": None,
        "inbound_nodes": [{"args": [args if len(args) > 1 else args[0]], "kwargs": {}}] if inputs else [],
    }


def model(consumer="LSTM", masked=True):
    layers = [
        {
            "module": "keras.layers",
            "class_name": "InputLayer",
            "name": "words",
            "registered_name": None,
            "config": {"name": "words", "batch_shape": [None, 5], "dtype": "int32"},
            "inbound_nodes": [],
        },
        layer("Embedding", "embed", ["words"], input_dim=10, output_dim=4, mask_zero=masked),
        layer("Dense", "proj", ["embed"], units=4),
        layer("Concatenate", "join", ["embed", "proj"], axis=-1),
        layer(consumer, "out", ["join"], units=2),
    ]
    return {
        "module": "keras.src.models.functional",
        "class_name": "Functional",
        "config": {"name": "m", "layers": layers, "input_layers": [["words", 0, 0]], "output_layers": [["out", 0, 0]]},
    }


def test_masked_concatenate_feeding_an_rnn_is_refused_before_3_12():
    for version in ("3.3.3", "3.6.0", "3.9.2"):
        with pytest.raises(TargetRefusal) as info:
            call(run, model(), version)
        (finding,) = info.value.findings
        assert finding.layer == "m/layer/join" and finding.first_release == "3.12.4"


def test_allowed_from_3_12_without_masks_or_without_a_mask_user():
    for entry, version in ((model(), "3.12.4"), (model(masked=False), "3.3.3"), (model(consumer="Dense"), "3.3.3")):
        assert call(run, entry, version) is entry
