from kerasmigrate.passes.downgrade.training_sample_weight_mode import training_sample_weight_mode as run

from .old_loader_helpers import check_old_loader_pass

BEFORE = {"loss": "mse", "metrics": None, "optimizer_config": {"class_name": "Adam", "config": {}}}
AFTER = {**BEFORE, "sample_weight_mode": None}


def test_added_when_missing():
    for target in ("keras-2.3", "tf-2.2"):
        check_old_loader_pass(run, target, BEFORE, AFTER, noops=[{**BEFORE, "sample_weight_mode": "temporal"}])
