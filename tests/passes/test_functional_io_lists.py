from kerasmigrate.passes.target.functional_io_lists import functional_io_lists as run

from .keras3_target_helpers import call, check_target_pass


def model(inputs, outputs):
    return {"class_name": "Functional", "config": {"name": "f", "layers": [],
                                                   "input_layers": inputs, "output_layers": outputs}}


def test_bare_triples_wrapped_for_3_9():
    check_target_pass(run, model(["x", 0, 0], ["o", 0, 0]), model([["x", 0, 0]], [["o", 0, 0]]),
                      "3.9.2", noops=[model([["x", 0, 0], ["y", 0, 0]], [["o", 0, 0]])])


def test_3_12_keeps_its_own_form():
    entry = model(["x", 0, 0], ["o", 0, 0])
    assert call(run, entry, "3.12.4") is entry
    seq = {"class_name": "Sequential", "config": {"name": "s", "layers": []}}
    assert call(run, seq, "3.3.3") is seq
