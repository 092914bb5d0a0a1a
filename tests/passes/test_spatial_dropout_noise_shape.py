import pytest

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.upgrade.spatial_dropout_noise_shape import spatial_dropout_noise_shape as run

from .helpers import check_pass


def test_none_dropped():
    before = {"class_name": "SpatialDropout2D", "config": {"name": "d", "rate": 0.2, "noise_shape": None}}
    after = {"class_name": "SpatialDropout2D", "config": {"name": "d", "rate": 0.2}}
    check_pass(run, before, after)


def test_set_noise_shape_refused():
    with pytest.raises(Refusal, match="noise_shape"):
        run({"class_name": "SpatialDropout1D", "config": {"name": "d", "noise_shape": [None, 1, 4]}})
