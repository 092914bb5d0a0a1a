import pytest

from kerasmigrate.passes.keras3_releases import TargetRefusal
from kerasmigrate.passes.target.object_arguments import object_arguments as run

from .release_helpers import call, check_release_pass


def glorot(**extra):
    return {
        "module": "keras.initializers",
        "class_name": "GlorotUniform",
        "config": {"seed": None, **extra},
        "registered_name": None,
    }


def test_default_axes_dropped_for_3_12():
    before = {
        "class_name": "Dense",
        "config": {"name": "d", "kernel_initializer": glorot(input_axes=None, output_axes=None)},
    }
    after = {"class_name": "Dense", "config": {"name": "d", "kernel_initializer": glorot()}}
    check_release_pass(run, before, after, "3.12.4", noops=[after])
    assert call(run, before, "3.15.1") is before


def test_set_axes_refused():
    before = {
        "class_name": "Dense",
        "config": {"name": "d", "kernel_initializer": glorot(input_axes=[0], output_axes=None)},
    }
    with pytest.raises(TargetRefusal) as info:
        call(run, before, "3.6.0")
    assert [(f.argument, f.first_release) for f in info.value.findings] == [("input_axes", "3.15.1")]
