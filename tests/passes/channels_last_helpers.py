"""Small Keras 3 configs (after the upgrade passes) for the channels-last pass tests."""


def layer(cls: str, name: str, **config) -> dict:
    return {"module": "keras.layers", "class_name": cls, "config": {"name": name, **config}, "registered_name": None}


def cf(cls: str, name: str, **config) -> dict:
    return layer(cls, name, data_format="channels_first", **config)


def input_layer(name: str, shape: list) -> dict:
    return layer("InputLayer", name, batch_shape=[None, *shape])


def sequential(*layers: dict, name: str = "seq") -> dict:
    return {"module": "keras", "class_name": "Sequential", "config": {"name": name, "layers": list(layers)}}


def ref(name: str) -> dict:
    return {
        "class_name": "__keras_tensor__",
        "config": {"shape": [], "dtype": "float32", "keras_history": [name, 0, 0]},
    }


def call(entry: dict, *inputs: str) -> dict:
    """`entry` as a Functional layer called once on the outputs of `inputs`."""
    args = [ref(inputs[0])] if len(inputs) == 1 else [[ref(i) for i in inputs]]
    return {**entry, "name": entry["config"]["name"], "inbound_nodes": [{"args": args, "kwargs": {}}] if inputs else []}


def functional(layers: list, inputs: list[str], outputs: list[str], name: str = "fn") -> dict:
    return {
        "module": "keras.src.models.functional",
        "class_name": "Functional",
        "config": {
            "name": name,
            "layers": layers,
            "input_layers": [[i, 0, 0] for i in inputs],
            "output_layers": [[o, 0, 0] for o in outputs],
        },
        "registered_name": "Functional",
    }


def by_name(model: dict) -> dict:
    return {entry["config"]["name"]: entry for entry in model["config"]["layers"]}


def inputs_of(entry: dict) -> list[str]:
    args = entry["inbound_nodes"][0]["args"][0]
    return [a["config"]["keras_history"][0] for a in (args if isinstance(args, list) else [args])]
