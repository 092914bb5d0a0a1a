from kerasmigrate.passes.upgrade.sequential_list_config import sequential_list_config as run

from .helpers import check_pass

DENSE = {"class_name": "Dense", "config": {"name": "d", "units": 2, "batch_input_shape": [None, 3]}}


def test_list_becomes_dict():
    check_pass(
        run,
        {"class_name": "Sequential", "config": [DENSE]},
        {"class_name": "Sequential", "config": {"name": "sequential", "layers": [DENSE]}},
        noops=[
            {"class_name": "Sequential", "config": {"name": "s", "layers": [DENSE]}},
            {"class_name": "Functional", "config": {"name": "f", "layers": []}},
        ],
    )


def test_a_nested_list_config_keeps_the_name_of_its_layer_entry():
    nested = {"name": "block", "class_name": "Sequential", "config": [DENSE], "inbound_nodes": []}
    check_pass(
        run,
        nested,
        {
            "name": "block",
            "class_name": "Sequential",
            "config": {"name": "block", "layers": [DENSE]},
            "inbound_nodes": [],
        },
    )
