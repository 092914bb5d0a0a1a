import pytest

from kerasmigrate.downgrade.targets import get_target
from kerasmigrate.passes.downgrade.global_pooling_keepdims import global_pooling_keepdims as run
from kerasmigrate.passes.refusal import Refusal

from .old_loader_helpers import check_old_loader_pass

BEFORE = {
    "class_name": "GlobalAveragePooling2D",
    "config": {"name": "g", "data_format": "channels_last", "keepdims": False},
}
AFTER = {"class_name": "GlobalAveragePooling2D", "config": {"name": "g", "data_format": "channels_last"}}


@pytest.mark.parametrize("target", ["keras-2.3", "tf-2.2", "tf-2.4"])
def test_dropped(target):
    check_old_loader_pass(run, target, BEFORE, AFTER)


def test_keepdims_refused():
    with pytest.raises(Refusal, match="keepdims=True"):
        run({**BEFORE, "config": {**BEFORE["config"], "keepdims": True}}, get_target("tf-2.2"))
