from kerasmigrate.downgrade.targets import get_target
from kerasmigrate.passes.downgrade.training_metric_wrappers import training_metric_wrappers as run

from .old_loader_helpers import check_old_loader_pass

WRAPPED = {
    "class_name": "MeanMetricWrapper",
    "config": {"name": "mae", "dtype": "float32", "fn": "mean_absolute_error"},
}
BEFORE = {"loss": "mse", "metrics": [[WRAPPED]], "weighted_metrics": None}
AFTER = {"loss": "mse", "metrics": ["mean_absolute_error"], "weighted_metrics": None}


def test_unwrapped_for_keras_2_3():
    check_old_loader_pass(
        run, "keras-2.3", BEFORE, AFTER, noops=[{"loss": "mse", "metrics": ["mae"], "weighted_metrics": None}]
    )


def test_unknown_function_left_for_the_target_check():
    other = {"class_name": "MeanMetricWrapper", "config": {"name": "x", "fn": "my_metric"}}
    config = {"loss": "mse", "metrics": [[other]]}
    assert run(config, get_target("keras-2.3")) is config
