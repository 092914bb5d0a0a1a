import pytest

from kerasmigrate.downgrade.targets import get_target
from kerasmigrate.passes.downgrade.input_layer_optional import input_layer_optional as run
from kerasmigrate.passes.refusal import Refusal

from .old_loader_helpers import check_old_loader_pass

BEFORE = {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "optional": False, "name": "x"}}
AFTER = {"class_name": "InputLayer", "config": {"batch_input_shape": [None, 4], "name": "x"}}


@pytest.mark.parametrize("target", ["keras-2.3", "tf-2.2", "tf-2.4"])
def test_dropped(target):
    check_old_loader_pass(run, target, BEFORE, AFTER)


def test_optional_input_refused():
    with pytest.raises(Refusal, match="optional=True"):
        run({**BEFORE, "config": {**BEFORE["config"], "optional": True}}, get_target("tf-2.2"))
