import json
from pathlib import Path

import pytest

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import Source
from kerasmigrate.passes.upgrade.functional_nodes import functional_nodes as run
from kerasmigrate.passes.upgrade.functional_nodes import keras_tensor

from .helpers import check_pass

FIXTURES = Path(__file__).parent / "fixtures" / "functional_nodes"
KERAS_231 = Source("2.3.1", "tensorflow")
TF_24 = Source("2.4.0", "tensorflow")


def _fixture(name):
    return json.loads((FIXTURES / name).read_text())


def test_shared_nested_model_written_by_keras_2_3():
    """The nested `encoder` is called twice: legacy nodes 1, 2 -> Keras 3 calls 0, 1."""
    before = _fixture("shared_nested.before.json")
    after = _fixture("shared_nested.after.json")
    check_pass(run, before, after, source=KERAS_231)
    pair = next(layer for layer in after["config"]["layers"] if layer["name"] == "pair")
    histories = [t["config"]["keras_history"] for t in pair["inbound_nodes"][0]["args"][0]]
    assert histories == [["encoder", 0, 0], ["encoder", 1, 0]]
    # Keras 3 output references to a nested Functional still count its built-in node.
    assert after["config"]["output_layers"] == [["score", 0, 0], ["encoder", 2, 0]]


def _model(inner_class, inner_layers, refs_index, source_input=True):
    inner = {
        "class_name": inner_class,
        "name": "inner",
        "config": {"name": "inner", "layers": inner_layers},
        "inbound_nodes": [[["x", 0, 0, {}]]],
    }
    return {
        "class_name": "Functional",
        "config": {
            "name": "outer",
            "layers": [
                {"class_name": "InputLayer", "name": "x", "config": {"name": "x"}, "inbound_nodes": []},
                inner,
                {
                    "class_name": "Dense",
                    "name": "head",
                    "config": {"name": "head"},
                    "inbound_nodes": [[["inner", refs_index, 0, {}]]],
                },
            ],
            "input_layers": [["x", 0, 0]],
            "output_layers": [["head", 0, 0]],
        },
    }


def _head_history(model):
    head = model["config"]["layers"][2]
    return head["inbound_nodes"][0]["args"][0]["config"]["keras_history"]


def test_tf_keras_sequential_without_input_layer_is_not_shifted():
    seq = _model("Sequential", [{"class_name": "Dense", "config": {"name": "d"}}], 0)
    assert _head_history(run(seq, TF_24)) == ["inner", 0, 0]


def test_tf_keras_sequential_with_input_layer_is_shifted():
    layers = [{"class_name": "InputLayer", "config": {"name": "i"}}, {"class_name": "Dense", "config": {"name": "d"}}]
    assert _head_history(run(_model("Sequential", layers, 1), TF_24)) == ["inner", 0, 0]


def test_indices_decide_when_the_writer_rule_does_not_fit():
    # A file whose nested Functional is referenced from 0: the references win.
    functional = _model("Functional", [], 0)
    assert _head_history(run(functional, TF_24)) == ["inner", 0, 0]


def test_inconsistent_indices_are_refused():
    with pytest.raises(Refusal, match="inconsistent"):
        run(_model("Functional", [], 5), TF_24)


def test_single_input_and_output_are_unwrapped():
    out = run(_model("Functional", [], 1), TF_24)
    assert out["config"]["input_layers"] == ["x", 0, 0]
    assert out["config"]["output_layers"] == ["head", 0, 0]


def test_tensor_keyword_arguments_become_keras_tensors():
    model = {
        "class_name": "Functional",
        "config": {
            "name": "m",
            "layers": [
                {"class_name": "InputLayer", "name": "q", "config": {"name": "q"}, "inbound_nodes": []},
                {
                    "class_name": "MultiHeadAttention",
                    "name": "mha",
                    "config": {"name": "mha"},
                    "inbound_nodes": [[["q", 0, 0, {"value": ["q", 0, 0], "training": False}]]],
                },
            ],
            "input_layers": [["q", 0, 0]],
            "output_layers": [["mha", 0, 0]],
        },
    }
    node = run(model, TF_24)["config"]["layers"][1]["inbound_nodes"][0]
    assert node == {"args": [keras_tensor("q", 0, 0)], "kwargs": {"value": keras_tensor("q", 0, 0), "training": False}}


def test_unknown_layer_reference_refused():
    model = _model("Functional", [], 1)
    model["config"]["output_layers"] = [["nowhere", 0, 0]]
    with pytest.raises(Refusal, match="nowhere"):
        run(model, TF_24)


def test_recurrent_initial_states_become_a_keyword_argument():
    model = {
        "class_name": "Functional",
        "config": {
            "name": "m",
            "layers": [
                {"class_name": "InputLayer", "name": name, "config": {"name": name}, "inbound_nodes": []}
                for name in ("x", "h", "c")
            ]
            + [
                {
                    "class_name": "LSTM",
                    "name": "lstm",
                    "config": {"name": "lstm"},
                    "inbound_nodes": [[["x", 0, 0, {}], ["h", 0, 0, {}], ["c", 0, 0, {}]]],
                }
            ],
            "input_layers": [["x", 0, 0], ["h", 0, 0], ["c", 0, 0]],
            "output_layers": [["lstm", 0, 0]],
        },
    }
    node = run(model, TF_24)["config"]["layers"][3]["inbound_nodes"][0]
    assert node == {
        "args": [keras_tensor("x", 0, 0)],
        "kwargs": {"initial_state": [keras_tensor("h", 0, 0), keras_tensor("c", 0, 0)]},
    }
