import pytest

from kerasmigrate.downgrade.targets import get_target
from kerasmigrate.passes.downgrade.conv_groups import conv_groups as run
from kerasmigrate.passes.refusal import Refusal

from .old_loader_helpers import check_old_loader_pass

BEFORE = {"class_name": "Conv2D", "config": {"name": "c", "filters": 4, "kernel_size": [3, 3], "groups": 1}}
AFTER = {"class_name": "Conv2D", "config": {"name": "c", "filters": 4, "kernel_size": [3, 3]}}


@pytest.mark.parametrize("target", ["keras-2.3", "tf-2.2"])
def test_groups_one_dropped(target):
    check_old_loader_pass(run, target, BEFORE, AFTER)


def test_grouped_convolution_refused():
    with pytest.raises(Refusal, match="groups=2"):
        run({**BEFORE, "config": {**BEFORE["config"], "groups": 2}}, get_target("tf-2.2"))
