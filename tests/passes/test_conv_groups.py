import pytest

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.upgrade.conv_groups import conv_groups as run

from .helpers import check_pass


def test_groups_one_dropped_from_depthwise():
    before = {"class_name": "DepthwiseConv2D", "config": {"name": "dw", "kernel_size": [3, 3], "groups": 1}}
    after = {"class_name": "DepthwiseConv2D", "config": {"name": "dw", "kernel_size": [3, 3]}}
    check_pass(run, before, after)


def test_other_groups_refused():
    with pytest.raises(Refusal, match="groups=2"):
        run({"class_name": "SeparableConv2D", "config": {"name": "s", "groups": 2}})


def test_plain_conv_keeps_groups():
    assert "Conv2D" not in run.km_pass.classes
