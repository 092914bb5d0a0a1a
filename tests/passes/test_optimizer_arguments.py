import copy
import dataclasses

import pytest

from kerasmigrate.keras3_targets import TABLES, Release
from kerasmigrate.passes.keras3_releases import Rewritten, TargetRefusal
from kerasmigrate.passes.target.optimizer_arguments import optimizer_arguments as run


def model(optimizer_config):
    return {
        "class_name": "Functional",
        "config": {"name": "f", "layers": []},
        "compile_config": {
            "loss": "mse",
            "optimizer": {
                "module": "keras.optimizers",
                "class_name": "Adam",
                "config": optimizer_config,
                "registered_name": None,
            },
        },
    }


def test_arguments_every_release_knows_are_kept():
    config = {"learning_rate": 0.01, "beta_1": 0.9, "loss_scale_factor": None, "gradient_accumulation_steps": None}
    for version in TABLES:
        entry = model(config)
        assert run(entry, Release(version), "<model>") is entry


def test_an_argument_the_target_lacks(monkeypatch):
    """The 3.3–3.15 tables agree on Adam; a table without `use_ema` shows the drop/refuse rule."""
    table = TABLES["3.3.3"]
    objects = copy.deepcopy(table.objects)
    del objects["optimizers"]["Adam"]["args"]["use_ema"]
    monkeypatch.setitem(TABLES, "3.3.3", dataclasses.replace(table, objects=objects))
    result = run(model({"learning_rate": 0.01, "use_ema": False}), Release("3.3.3"), "<model>")
    assert isinstance(result, Rewritten)
    assert result.entry["compile_config"]["optimizer"]["config"] == {"learning_rate": 0.01}
    with pytest.raises(TargetRefusal):
        run(model({"learning_rate": 0.01, "use_ema": True}), Release("3.3.3"), "<model>")
