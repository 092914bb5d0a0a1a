import pytest

from kerasmigrate.downgrade.targets import get_target
from kerasmigrate.passes.downgrade.noise_seed import noise_seed as run
from kerasmigrate.passes.refusal import Refusal

from .old_loader_helpers import check_old_loader_pass

BEFORE = {"class_name": "GaussianNoise", "config": {"name": "n", "stddev": 0.1, "seed": None}}
AFTER = {"class_name": "GaussianNoise", "config": {"name": "n", "stddev": 0.1}}


@pytest.mark.parametrize("target", ["keras-2.3", "tf-2.2"])
def test_null_seed_dropped(target):
    check_old_loader_pass(run, target, BEFORE, AFTER)


def test_fixed_seed_refused():
    with pytest.raises(Refusal, match="seed=7"):
        run({**BEFORE, "config": {**BEFORE["config"], "seed": 7}}, get_target("keras-2.3"))
