import copy

from kerasmigrate.passes.upgrade.text_vectorization_input_rank import (
    text_vectorization_input_rank as run,
)

from .helpers import check_pass


def _input(name="text", shape=(None, 1), dtype="string"):
    return {"class_name": "InputLayer", "config": {"batch_shape": list(shape), "dtype": dtype, "name": name}}


def _reads(name, source="text", cls="TextVectorization", **config):
    tensor = {"class_name": "__keras_tensor__", "config": {"keras_history": [source, 0, 0]}}
    return {"class_name": cls, "config": {"name": name, **config}, "inbound_nodes": [{"args": [tensor], "kwargs": {}}]}


def _functional(*layers):
    return {"class_name": "Functional", "config": {"name": "m", "layers": list(layers)}}


COUNTS = {"output_mode": "count", "split": "whitespace"}


def test_input_read_only_by_text_vectorization_in_counting_mode():
    before = _functional(_input(), _reads("ids", output_mode="int", split="whitespace"), _reads("counts", **COUNTS))
    after = copy.deepcopy(before)
    after["config"]["layers"][0]["config"]["batch_shape"] = [None]
    check_pass(run, before, after)


def test_sequential_first_layer():
    before = {
        "class_name": "Sequential",
        "config": {
            "name": "s",
            "layers": [_input(), {"class_name": "TextVectorization", "config": {"name": "v", **COUNTS}}],
        },
    }
    after = copy.deepcopy(before)
    after["config"]["layers"][0]["config"]["batch_shape"] = [None]
    check_pass(run, before, after)


def test_left_alone():
    noops = [
        # int mode: Keras 3's output shape is right already
        _functional(_input(), _reads("ids", output_mode="int", split="whitespace")),
        # no split: nothing appended
        _functional(_input(), _reads("counts", output_mode="count", split=None)),
        # another reader depends on the (batch, 1) shape
        _functional(_input(), _reads("counts", **COUNTS), _reads("lookup", cls="StringLookup")),
        # not a string input, or not (batch, 1)
        _functional(_input(dtype="float32"), _reads("counts", **COUNTS)),
        _functional(_input(shape=(None, 2)), _reads("counts", **COUNTS)),
    ]
    for model in noops:
        check_pass(run, model, model, noops=[model])
