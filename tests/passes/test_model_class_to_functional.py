from kerasmigrate.passes.upgrade.model_class_to_functional import model_class_to_functional as run

from .helpers import check_pass


def test_model_becomes_functional():
    before = {"class_name": "Model", "config": {"name": "m", "layers": []}}
    after = {"class_name": "Functional", "config": {"name": "m", "layers": []}}
    check_pass(run, before, after)


def test_applies_only_to_model():
    assert run.km_pass.classes == {"Model"}
