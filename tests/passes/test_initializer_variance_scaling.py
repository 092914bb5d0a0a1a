import pytest

from kerasmigrate.downgrade.targets import get_target
from kerasmigrate.passes.downgrade.initializer_variance_scaling import initializer_variance_scaling as run

from .old_loader_helpers import check_old_loader_pass


def dense(**initializers):
    return {"class_name": "Dense", "config": {"name": "d", "units": 2, **initializers}}


GLOROT = {
    "module": "keras.initializers",
    "class_name": "GlorotUniform",
    "config": {"seed": None},
    "registered_name": None,
}
HE_NORMAL = {"class_name": "HeNormal", "config": {"seed": 3}}


def test_glorot_for_keras_2_3():
    after = dense(
        kernel_initializer={
            "class_name": "VarianceScaling",
            "config": {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None},
        },
        bias_initializer={"class_name": "Zeros", "config": {}},
    )
    check_old_loader_pass(
        run,
        "keras-2.3",
        dense(kernel_initializer=GLOROT, bias_initializer={"class_name": "Zeros", "config": {}}),
        after,
    )


def test_he_normal_keeps_seed_and_uses_keras2_truncated_normal():
    after = dense(
        kernel_initializer={
            "class_name": "VarianceScaling",
            "config": {"scale": 2.0, "mode": "fan_in", "distribution": "normal", "seed": 3},
        }
    )
    check_old_loader_pass(run, "keras-2.3", dense(kernel_initializer=HE_NORMAL), after)


def test_tf_2_2_keeps_glorot_and_replaces_he():
    target = get_target("tf-2.2")
    layer = dense(kernel_initializer=GLOROT)
    assert run(layer, target) is layer
    after = dense(
        kernel_initializer={
            "class_name": "VarianceScaling",
            "config": {"scale": 2.0, "mode": "fan_in", "distribution": "truncated_normal", "seed": 3},
        }
    )
    check_old_loader_pass(run, "tf-2.2", dense(kernel_initializer=HE_NORMAL), after)


@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal"])
def test_tf_distributions_keras2_names(distribution):
    vs = {
        "class_name": "VarianceScaling",
        "config": {"scale": 1.0, "mode": "fan_in", "distribution": distribution, "seed": None},
    }
    out = run(dense(kernel_initializer=vs), get_target("keras-2.3"))
    assert out["config"]["kernel_initializer"]["config"]["distribution"] == "normal"
