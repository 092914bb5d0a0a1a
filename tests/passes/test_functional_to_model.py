from kerasmigrate.downgrade.targets import get_target
from kerasmigrate.passes.downgrade.functional_to_model import functional_to_model as run

from .old_loader_helpers import check_old_loader_pass

BEFORE = {"class_name": "Functional", "config": {"name": "m", "layers": [], "input_layers": [], "output_layers": []}}
AFTER = {**BEFORE, "class_name": "Model"}


def test_renamed_for_old_loaders():
    for target in ("keras-2.3", "tf-2.2"):
        check_old_loader_pass(run, target, BEFORE, AFTER)


def test_kept_where_the_loader_knows_functional():
    assert run(BEFORE, get_target("tf-2.4")) is BEFORE
