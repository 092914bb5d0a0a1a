"""Property-based fuzzing (hypothesis): mutated samples of each input kind (legacy `.h5`, `.keras`
archives, SavedModel directories: tests/hostile/cases.py) and generated models get a result or a
KerasMigrateError, never another exception; deep and wide legitimate models still convert.

The budget is bounded and the runs derandomized, so the quick suite stays quick and
repeatable; scripts/fuzz.py runs the same mutations for minutes.
"""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kerasmigrate import api
from kerasmigrate.core.validate import check_model_config
from kerasmigrate.errors import KerasMigrateError
from tests.hostile.cases import COMMANDS, KINDS, SUFFIX, mutate, run_command, samples
from tests.hostile.make_corpus import write_h5
from tests.hostile.mutate import mutate_json

SAMPLES = samples("h5")

EXAMPLES = 40
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# Hypothesis may stop early (an exhausted strategy, filtering) and a mutation may be one h5py
# cannot write: the tests count what really ran and fail below these floors.
MIN_EXAMPLES = EXAMPLES
MIN_EXERCISED = EXAMPLES // 2


def _report(record_property, ran: int, exercised: int) -> None:
    record_property("examples_ran", ran)
    record_property("examples_exercised", exercised)
    print(f"{ran} examples ran, {exercised} reached kerasmigrate")
    assert ran >= MIN_EXAMPLES, f"only {ran} examples ran (at least {MIN_EXAMPLES} wanted)"
    assert exercised >= MIN_EXERCISED, f"only {exercised} examples reached kerasmigrate (at least {MIN_EXERCISED})"


@pytest.fixture(scope="module")
def keras3_archives(tmp_path_factory):
    return tmp_path_factory.mktemp("keras3")


@pytest.mark.parametrize("kind", KINDS)
def test_a_mutated_sample_is_converted_or_refused(kind, keras3_archives, tmp_path_factory, record_property):
    ran, exercised = 0, 0

    @FUZZ
    @given(
        sample=st.sampled_from(samples(kind, keras3_archives)),
        rnd=st.randoms(use_true_random=False),
        command=st.sampled_from(COMMANDS[kind]),
    )
    def mutate_and_run(sample, rnd, command):
        nonlocal ran, exercised
        ran += 1
        work = tmp_path_factory.mktemp("fuzz")
        case = work / f"case{SUFFIX[kind]}"
        try:
            mutate(kind, sample, case, rnd)
        except (OSError, ValueError, TypeError, KeyError, RuntimeError, RecursionError):
            return  # a mutation h5py or zipfile cannot write
        exercised += 1
        try:
            run_command(command, case, work)
        except KerasMigrateError:
            pass

    mutate_and_run()
    _report(record_property, ran, exercised)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


def test_check_model_config_refuses_cleanly_or_accepts(record_property):
    """The validator itself: any JSON, or a valid config mutated a few times."""
    ran = 0

    @FUZZ
    @given(rnd=st.randoms(use_true_random=False), junk=json_values, steps=st.integers(1, 4))
    def validate(rnd, junk, steps):
        nonlocal ran
        ran += 1
        for config in (junk, {"class_name": "Functional", "config": junk}):
            try:
                check_model_config("x.h5", config)
            except KerasMigrateError:
                pass
        with h5py.File(SAMPLES[rnd.randrange(len(SAMPLES))], "r") as f:
            config = json.loads(f.attrs["model_config"])
        for _ in range(steps):
            mutate_json(config, rnd)
        try:
            check_model_config("x.h5", config)
        except KerasMigrateError:
            pass

    validate()
    _report(record_property, ran, ran)


def _deep_models(n: int):
    rng = np.random.default_rng(0)
    seq_layers = [
        {"class_name": "InputLayer", "config": {"name": "x", "batch_input_shape": [None, 4], "dtype": "float32"}}
    ]
    fn_layers = [
        {
            "class_name": "InputLayer",
            "name": "x",
            "inbound_nodes": [],
            "config": {"name": "x", "batch_input_shape": [None, 4], "dtype": "float32"},
        }
    ]
    weights = {}
    previous = "x"
    for i in range(n):
        name = f"d{i}"
        config = {
            "name": name,
            "units": 4,
            "activation": "linear",
            "use_bias": True,
            "dtype": "float32",
            "trainable": True,
        }
        seq_layers.append({"class_name": "Dense", "config": config})
        fn_layers.append(
            {"class_name": "Dense", "name": name, "config": config, "inbound_nodes": [[[previous, 0, 0, {}]]]}
        )
        previous = name
        weights[name] = {
            f"{name}/kernel:0": rng.standard_normal((4, 4), dtype="float32"),
            f"{name}/bias:0": np.zeros(4, "float32"),
        }
    sequential = {"class_name": "Sequential", "config": {"name": "seq", "layers": seq_layers}}
    functional = {
        "class_name": "Functional",
        "config": {
            "name": "fn",
            "layers": fn_layers,
            "input_layers": [["x", 0, 0]],
            "output_layers": [[previous, 0, 0]],
        },
    }
    return sequential, functional, weights


@pytest.mark.full  # about 15 s each
@pytest.mark.parametrize("kind", ["Sequential", "Functional"])
def test_a_1000_layer_model_converts(kind, tmp_path):
    sequential, functional, weights = _deep_models(1000)
    config = sequential if kind == "Sequential" else functional
    path = write_h5(tmp_path / "deep.h5", config, weights, layer_names=list(weights))
    report = api.convert(path, tmp_path / "deep.keras")
    assert report.layers >= 1000 and report.weights == 2000
