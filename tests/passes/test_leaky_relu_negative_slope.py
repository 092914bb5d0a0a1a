from kerasmigrate.passes.upgrade.leaky_relu_negative_slope import leaky_relu_negative_slope as run

from .helpers import check_pass


def test_alpha_renamed():
    before = {"class_name": "LeakyReLU", "config": {"name": "lr", "alpha": 0.2}}
    after = {"class_name": "LeakyReLU", "config": {"name": "lr", "negative_slope": 0.2}}
    check_pass(run, before, after, noops=[{"class_name": "LeakyReLU", "config": {"name": "lr"}}])
