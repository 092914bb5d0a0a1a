"""Sequential config stored as a bare list of layers -> `{"name", "layers"}`.

Boundary: Keras 1.x and multi-backend Keras 2.0.0–2.2.2 write
`Sequential.get_config()` as a list; Keras 2.2.3 made it a dict
(keras-team/keras PR #11280), which is the only form Keras 3 reads
(keras/src/models/sequential.py `from_config`).

The list has no place for the model's name; a nested Sequential in a
functional model keeps it on its layer entry (`"name"`, keras 2.1.6
keras/engine/topology.py `Container.get_config`), which is used when present
(sequential-layer-names gives the others theirs).
"""

from kerasmigrate.passes.registry import model_pass


@model_pass("sequential-list-config", since="keras-2.2.3")
def sequential_list_config(model: dict, source) -> dict:
    if model.get("class_name") != "Sequential" or not isinstance(model.get("config"), list):
        return model
    return {**model, "config": {"name": model.get("name", "sequential"), "layers": model["config"]}}
