import pytest

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.upgrade.functional_nodes import keras_tensor
from kerasmigrate.passes.upgrade.tf_op_layers import tf_op_layers as run

from .helpers import check_pass


def _model(*layers):
    inputs = [{"class_name": "InputLayer", "name": "x", "config": {"name": "x"}, "inbound_nodes": []}]
    return {
        "class_name": "Functional",
        "config": {
            "name": "m",
            "layers": inputs + list(layers),
            "input_layers": ["x", 0, 0],
            "output_layers": [layers[-1]["name"], 0, 0],
        },
    }


def _tf_op(name, function, args, kwargs):
    return {
        "class_name": "TFOpLambda",
        "name": name,
        "config": {"name": name, "trainable": True, "dtype": "float32", "function": function},
        "inbound_nodes": [{"args": args, "kwargs": kwargs}],
    }


X = keras_tensor("x", 0, 0)


def test_binary_op_with_a_constant_and_a_reduction():
    before = _model(
        _tf_op("tf.math.multiply", "math.multiply", [X], {"y": 2.0, "name": None}),
        _tf_op(
            "tf.math.reduce_sum",
            "math.reduce_sum",
            [keras_tensor("tf.math.multiply", 0, 0)],
            {"axis": -1, "keepdims": True, "name": None},
        ),
    )
    after = _model(
        {
            "module": "keras.src.ops.numpy",
            "class_name": "Multiply",
            "config": {"name": "tf.math.multiply"},
            "registered_name": "Multiply",
            "name": "tf.math.multiply",
            "inbound_nodes": [{"args": [X, 2.0], "kwargs": {}}],
        },
        {
            "module": "keras.src.ops.numpy",
            "class_name": "Sum",
            "config": {"name": "tf.math.reduce_sum", "axis": -1, "keepdims": True},
            "registered_name": "Sum",
            "name": "tf.math.reduce_sum",
            "inbound_nodes": [{"args": [keras_tensor("tf.math.multiply", 0, 0)], "kwargs": {}}],
        },
    )
    check_pass(run, before, after)


def test_slicing():
    layer = {
        "class_name": "SlicingOpLambda",
        "name": "tf.__operators__.getitem",
        "config": {"name": "tf.__operators__.getitem", "function": "__operators__.getitem"},
        "inbound_nodes": [
            {
                "args": [X],
                "kwargs": {
                    "slice_spec": [{"start": None, "stop": None, "step": None}, {"start": 1, "stop": 3, "step": None}]
                },
            }
        ],
    }
    out = run(_model(layer), None)["config"]["layers"][1]
    assert out["class_name"] == "GetItem" and out["module"] == "keras.src.ops.numpy"
    assert out["inbound_nodes"][0]["args"][1] == [
        {"class_name": "__slice__", "config": {"start": None, "stop": None, "step": None}},
        {"class_name": "__slice__", "config": {"start": 1, "stop": 3, "step": None}},
    ]


def test_unknown_symbol_is_refused_by_name():
    with pytest.raises(Refusal, match="tf.signal.fft"):
        run(_model(_tf_op("tf.signal.fft", "signal.fft", [X], {})), None)


def test_unmappable_argument_is_refused():
    with pytest.raises(Refusal, match="transpose_a"):
        run(_model(_tf_op("tf.linalg.matmul", "linalg.matmul", [X], {"b": X, "transpose_a": True})), None)


def test_waits_for_keras_3_nodes():
    legacy = _model(_tf_op("tf.nn.relu", "nn.relu", [X], {}))
    legacy["config"]["layers"][1]["inbound_nodes"] = [["x", 0, 0, {"name": None}]]
    assert run(legacy, None) is legacy


def test_tensorflow_op_layer_node_def_with_constants():
    """TF 2.0-2.3: `x[:, 1:4] - 0.5` as StridedSlice and Sub NodeDefs."""
    slice_layer = {
        "class_name": "TensorFlowOpLayer",
        "name": "tf_op_layer_strided_slice",
        "config": {
            "name": "strided_slice",
            "trainable": True,
            "dtype": "float32",
            "node_def": {
                "name": "strided_slice",
                "op": "StridedSlice",
                "input": ["x", "strided_slice/begin", "strided_slice/end", "strided_slice/strides"],
                "attr": {
                    "begin_mask": {"i": "1"},
                    "end_mask": {"i": "1"},
                    "ellipsis_mask": {"i": "0"},
                    "new_axis_mask": {"i": "0"},
                    "shrink_axis_mask": {"i": "0"},
                },
            },
            "constants": {"1": [0, 1], "2": [0, 4], "3": [1, 1]},
        },
        "inbound_nodes": [{"args": [X], "kwargs": {}}],
    }
    sub_layer = {
        "class_name": "TensorFlowOpLayer",
        "name": "tf_op_layer_Sub",
        "config": {
            "name": "Sub",
            "node_def": {"name": "Sub", "op": "Sub", "input": ["strided_slice", "Sub/y"]},
            "constants": {"1": 0.5},
        },
        "inbound_nodes": [{"args": [keras_tensor("tf_op_layer_strided_slice", 0, 0)], "kwargs": {}}],
    }
    out = run(_model(slice_layer, sub_layer), None)["config"]["layers"]
    assert out[1]["class_name"] == "GetItem"
    assert out[1]["inbound_nodes"][0]["args"] == [
        X,
        [
            {"class_name": "__slice__", "config": {"start": None, "stop": None, "step": None}},
            {"class_name": "__slice__", "config": {"start": 1, "stop": 4, "step": None}},
        ],
    ]
    assert out[2]["class_name"] == "Subtract"
    assert out[2]["inbound_nodes"][0]["args"] == [keras_tensor("tf_op_layer_strided_slice", 0, 0), 0.5]


def test_unknown_graph_op_is_refused_by_name():
    layer = {
        "class_name": "TensorFlowOpLayer",
        "name": "tf_op_layer_FFT",
        "config": {"name": "FFT", "node_def": {"op": "FFT", "input": ["x"]}, "constants": {}},
        "inbound_nodes": [{"args": [X], "kwargs": {}}],
    }
    with pytest.raises(Refusal, match="'FFT'"):
        run(_model(layer), None)
