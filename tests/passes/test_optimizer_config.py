from kerasmigrate.downgrade.targets import get_target
from kerasmigrate.passes.downgrade.optimizer_config import optimizer_config as run

from .old_loader_helpers import check_old_loader_pass

NEW_ADAM = {
    "class_name": "Custom>Adam",
    "config": {
        "name": "Adam",
        "weight_decay": None,
        "clipnorm": None,
        "global_clipnorm": None,
        "clipvalue": None,
        "use_ema": False,
        "ema_momentum": 0.99,
        "ema_overwrite_frequency": None,
        "jit_compile": False,
        "is_legacy_optimizer": False,
        "learning_rate": 0.01,
        "beta_1": 0.9,
        "beta_2": 0.999,
        "epsilon": 1e-07,
        "amsgrad": False,
    },
}
PLAIN = {"learning_rate": 0.01, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}


def tc(optimizer):
    return {"loss": "mse", "optimizer_config": optimizer}


def test_keras_2_11_adam_for_keras_2_3():
    check_old_loader_pass(run, "keras-2.3", tc(NEW_ADAM), tc({"class_name": "Adam", "config": PLAIN}))


def test_tf_2_2_keeps_the_name():
    check_old_loader_pass(run, "tf-2.2", tc(NEW_ADAM), tc({"class_name": "Adam", "config": {"name": "Adam", **PLAIN}}))


def test_optimizer_v2_name_dropped_for_keras_2_3():
    v2 = {"class_name": "Adam", "config": {"name": "Adam", "decay": 0.0, **PLAIN}}
    check_old_loader_pass(run, "keras-2.3", tc(v2), tc({"class_name": "Adam", "config": {"decay": 0.0, **PLAIN}}))


def test_weight_decay_kept_so_the_target_check_refuses_it():
    decayed = {**NEW_ADAM, "config": {**NEW_ADAM["config"], "weight_decay": 0.004}}
    out = run(tc(decayed), get_target("keras-2.3"))
    assert out["optimizer_config"]["config"]["weight_decay"] == 0.004


def test_rmsprop_momentum_kept_when_set():
    rms = {
        "class_name": "RMSprop",
        "config": {
            "name": "RMSprop",
            "learning_rate": 0.1,
            "rho": 0.9,
            "momentum": 0.5,
            "epsilon": 1e-07,
            "centered": False,
        },
    }
    out = run(tc(rms), get_target("keras-2.3"))
    assert out["optimizer_config"]["config"] == {"learning_rate": 0.1, "rho": 0.9, "momentum": 0.5, "epsilon": 1e-07}
