from kerasmigrate.passes.upgrade.embedding_input_length import embedding_input_length as run

from .helpers import check_pass


def test_input_length_dropped():
    before = {"class_name": "Embedding", "config": {"name": "e", "input_dim": 9, "output_dim": 2, "input_length": 7}}
    after = {"class_name": "Embedding", "config": {"name": "e", "input_dim": 9, "output_dim": 2}}
    check_pass(run, before, after)
