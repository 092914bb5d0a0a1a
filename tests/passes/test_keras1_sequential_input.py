from kerasmigrate.passes.upgrade.keras1_sequential_input import keras1_sequential_input as run

from .helpers import check_pass

EMBED = {
    "class_name": "Embedding",
    "config": {"name": "embed", "batch_input_shape": [None, 6], "input_dtype": "int32", "input_dim": 20},
}


def test_input_dtype_becomes_the_input_layer():
    after = {
        "class_name": "Sequential",
        "config": [
            {
                "class_name": "InputLayer",
                "config": {"batch_input_shape": [None, 6], "dtype": "int32", "sparse": False, "name": "embed_input"},
            },
            {"class_name": "Embedding", "config": {"name": "embed", "input_dim": 20}},
        ],
    }
    check_pass(
        run,
        {"class_name": "Sequential", "config": [EMBED]},
        after,
        noops=[
            {
                "class_name": "Sequential",
                "config": {
                    "name": "s",
                    "layers": [
                        {
                            "class_name": "Dense",
                            "config": {"name": "d", "batch_input_shape": [None, 3], "dtype": "float32"},
                        }
                    ],
                },
            }
        ],
    )
