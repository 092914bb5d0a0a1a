from kerasmigrate.passes.upgrade.class_aliases import class_aliases as run

from .helpers import check_pass


def test_alias_resolves_to_the_real_class():
    before = {"class_name": "MaxPool2D", "config": {"name": "p"}}
    check_pass(run, before, {"class_name": "MaxPooling2D", "config": {"name": "p"}})


def test_convolution2d_alias():
    assert run({"class_name": "Convolution2D", "config": {}})["class_name"] == "Conv2D"
