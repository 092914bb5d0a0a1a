from kerasmigrate.passes.upgrade.rnn_implementation import rnn_implementation as run

from .helpers import check_pass


def test_implementation_dropped():
    before = {"class_name": "GRU", "config": {"name": "g", "units": 3, "implementation": 2}}
    check_pass(run, before, {"class_name": "GRU", "config": {"name": "g", "units": 3}})


def test_cells_too():
    before = {"class_name": "LSTMCell", "config": {"name": "c", "units": 3, "implementation": 1}}
    check_pass(run, before, {"class_name": "LSTMCell", "config": {"name": "c", "units": 3}})
