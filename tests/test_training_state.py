"""Compile settings and Adam state survive: Keras 3 resumes with the file's learning rate and slots.

Checked against the legacy file by the variables' own names, independently of
how the converter matched them: Keras 3 names a slot `<layer>_<variable>_momentum`;
the legacy writers name it `Adam/<layer>/<variable>/m`, `Adam/m/<layer>/<variable>`,
or (multi-backend Keras 2) by position in `model.trainable_weights`.
"""

import h5py
import numpy as np
import pytest

from kerasmigrate import api
from kerasmigrate.core.reader import decode_text
from kerasmigrate.upgrade.training import convert_compile_config, parse_slot_name

from .conftest import sample_params

pytestmark = pytest.mark.keras


# How each writer names a slot, written out here independently of kerasmigrate/upgrade/training.py.
KERAS3_KIND = {
    "m": "momentum",
    "v": "velocity",
    "vhat": "velocity_hat",
    "momentum": "momentum",
    "moment": "momentum",
    "rms": "velocity",
    "velocity": "velocity",
    "accumulator": "velocity",
}
OPTIMIZERS = {
    "compiled_trained": ("Adam", 0.01, 8),
    "compiled_sgd": ("SGD", 0.05, 4),
    "compiled_rmsprop": ("RMSprop", 0.01, 4),
}


# Keras 1 names weights <layer>_W / <layer>_b (keras 1.2.2 keras/layers/core.py Dense.build).
KERAS1_VARIABLES = {"W": "kernel", "b": "bias"}
# Unnamed slots (Keras 1 `param_<i>`, Keras 2.0-2.2 `Variable_<i>`) come in runs, one run per
# kind over model.trainable_weights (keras 1.2.2 / 2.1.6 keras/optimizers.py `self.weights`).
ANONYMOUS_RUNS = {"Adam": ["momentum", "velocity", "velocity_hat"], "SGD": ["momentum"], "RMSprop": ["velocity"]}


def _legacy_slots(path, class_name):
    """{('hidden_kernel', 'momentum'): array} and the iteration count, from the file itself."""
    with h5py.File(path, "r") as f:
        group = f["optimizer_weights"]
        names = [decode_text(n) for n in group.attrs["weight_names"]]
        owners = {}  # legacy variable path -> Keras 3 variable name (<layer>_<variable>)
        trainable = []
        for layer in ("hidden", "out"):
            for n in f["model_weights"][layer].attrs["weight_names"]:
                path = decode_text(n).split(":")[0]
                variable = path.split("/")[-1]
                if variable.startswith(layer + "_"):  # Keras 1
                    variable = KERAS1_VARIABLES[variable[len(layer) + 1 :]]
                owners[path] = f"{layer}_{variable}"
                trainable.append(path)
        values, iterations, anonymous = {}, None, []
        for name in names:
            parts = [p.split(":")[0] for p in name.split("/")]
            if parts[-1] in ("iter", "iterations", "iteration") or (
                parts[-1].startswith("param_") and group[name].shape == ()
            ):
                iterations = int(group[name][()])
            elif parts[-1].startswith(("param_", "Variable")):
                anonymous.append(group[name][()])
            elif parts[-1] in KERAS3_KIND and len(parts) > 2:  # Opt/<var>/<slot>
                values[(owners["/".join(parts[1:-1])], KERAS3_KIND[parts[-1]])] = group[name][()]
            elif parts[1] in KERAS3_KIND and len(parts) > 2:  # Opt/<slot>/<var>
                values[(owners["/".join(parts[2:])], KERAS3_KIND[parts[1]])] = group[name][()]
            else:  # training/Opt/<slot>_<index>_1: position in trainable_weights
                kind, index = parts[-1].split("_")[:2]
                values[(owners[trainable[int(index)]], KERAS3_KIND[kind])] = group[name][()]
        for i, value in enumerate(anonymous):
            kind = ANONYMOUS_RUNS[class_name][i // len(trainable)]
            values[(owners[trainable[i % len(trainable)]], kind)] = value
        return values, iterations


@pytest.mark.parametrize("stack_dir, entry", [p for p in sample_params() if p.values[1]["name"] in OPTIMIZERS])
def test_optimizer_state_and_learning_rate_resume(stack_dir, entry, tmp_path):
    import keras

    class_name, learning_rate, slots = OPTIMIZERS[entry["name"]]
    source = stack_dir / entry["file"]
    target = tmp_path / "m.keras"
    report = api.convert(source, target)
    assert any(t.startswith("optimizer state") for t in report.training), report
    model = keras.saving.load_model(target)  # compile=True: compile_config + optimizer/vars
    optimizer = model.optimizer
    assert optimizer.__class__.__name__ == class_name
    assert float(optimizer.learning_rate) == pytest.approx(learning_rate)
    expected, iterations = _legacy_slots(source, class_name)
    # Keras 1-2.1 RMSprop stores no iteration count: it restarts at 0 (unused without decay)
    assert iterations == (None if class_name == "RMSprop" and stack_dir.name == "keras2.1" else 1)
    assert int(optimizer.iterations) == (iterations or 0)
    found = 0
    for variable in optimizer.variables:
        for (legacy_var, kind), value in expected.items():
            # (a Sequential's slots carry its name first: sequential_hidden_kernel_momentum)
            if variable.name.split("sequential_", 1)[-1] == f"{legacy_var}_{kind}":
                np.testing.assert_array_equal(np.asarray(variable), value, err_msg=variable.name)
                found += 1
    assert found == slots  # every slot of 2 kernels and 2 biases
    assert model.loss == "mse"


def test_decay_becomes_inverse_time_decay():
    compile_config = convert_compile_config(
        {
            "optimizer_config": {
                "class_name": "SGD",
                "config": {"lr": 0.1, "decay": 0.01, "momentum": 0.9, "nesterov": False},
            },
            "loss": "categorical_crossentropy",
            "metrics": ["accuracy"],
        }
    )
    optimizer = compile_config["optimizer"]
    assert optimizer["class_name"] == "SGD"
    assert optimizer["config"]["learning_rate"]["class_name"] == "InverseTimeDecay"
    assert optimizer["config"]["learning_rate"]["config"] == {
        "initial_learning_rate": 0.1,
        "decay_steps": 1,
        "decay_rate": 0.01,
        "staircase": False,
        "name": "InverseTimeDecay",
    }
    import keras

    schedule = keras.optimizers.schedules.deserialize(optimizer["config"]["learning_rate"])
    # Keras 2: lr / (1 + decay * iterations)
    assert float(schedule(10)) == pytest.approx(0.1 / (1 + 0.01 * 10))


def test_unknown_optimizer_argument_is_reported_not_guessed():
    from kerasmigrate.upgrade.training import NotConverted

    with pytest.raises(NotConverted, match="schedule_decay"):
        convert_compile_config(
            {
                "optimizer_config": {"class_name": "Nadam", "config": {"lr": 0.002, "schedule_decay": 0.004}},
                "loss": "mse",
            }
        )


def test_anonymous_names_parse_as_positional():
    from kerasmigrate.core.reader import WeightRef

    assert parse_slot_name(WeightRef("training/Adam/m_3_1:0", "/x", (2,), "<f4")) == ("slot", "momentum", None)
    assert parse_slot_name(WeightRef("Adam/dense/kernel/v:0", "/x", (2,), "<f4")) == (
        "slot",
        "velocity",
        "dense/kernel",
    )
    assert parse_slot_name(WeightRef("Adam/m/dense/kernel:0", "/x", (2,), "<f4")) == (
        "slot",
        "momentum",
        "dense/kernel",
    )
    assert parse_slot_name(WeightRef("iteration:0", "/x", (), "<i8"))[0] == "iterations"


@pytest.mark.parametrize(
    "metrics, expected",
    [
        ({"class_name": "RootMeanSquaredError", "config": {"name": "rmse"}}, ["RootMeanSquaredError"]),
        ("mae", ["mae"]),
        (["accuracy"], ["accuracy"]),
    ],
)
def test_one_metric_given_alone_becomes_a_list_keras_3_compiles(metrics, expected):
    """tf.keras recorded `compile(metrics=RootMeanSquaredError())` as the one object (a real TF 2.2
    SavedModel, ../shared/realworld/savedmodel/files/e4c58ff24130c750); Keras 3 compiles lists only."""
    import keras

    config = convert_compile_config(
        {"optimizer_config": {"class_name": "SGD", "config": {}}, "loss": "mse", "metrics": metrics}
    )
    assert [m if isinstance(m, str) else m["class_name"] for m in config["metrics"]] == expected
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile_from_config(config)
