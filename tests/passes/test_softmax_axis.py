import pytest

from kerasmigrate.passes.keras3_releases import TargetRefusal
from kerasmigrate.passes.target.softmax_axis import softmax_axis as run

from .release_helpers import call


def softmax(axis):
    return {"module": "keras.layers", "class_name": "Softmax", "config": {"name": "s", "axis": axis}}


@pytest.mark.parametrize("axis", [1, [1], 2])
def test_a_softmax_over_another_axis_is_refused_for_3_3(axis):
    with pytest.raises(TargetRefusal) as caught:
        call(run, softmax(axis), "3.3.3")
    [finding] = caught.value.findings
    assert finding.argument == "axis" and finding.value == axis and finding.action == "refuse"
    assert finding.first_release == "3.6.0"
    assert "JAX" in finding.why


@pytest.mark.parametrize("version", ["3.6.0", "3.9.2", "3.15.1"])
def test_later_releases_and_the_last_axis_pass(version):
    entry = softmax(1)
    assert call(run, entry, version) is entry
    for last in (softmax(-1), softmax([-1]), {"class_name": "Dense", "config": {"units": 2}}):
        assert call(run, last, "3.3.3") is last


def test_the_conversion_targets_the_first_release_that_computes_it(tmp_path):
    from kerasmigrate import api

    from ..conftest import SAMPLES

    report = api.convert(SAMPLES / "keras2.3" / "channels_first_2d.h5", tmp_path / "m.keras")
    assert report.target_release == "3.6.0"
    flipped = api.convert(SAMPLES / "keras2.3" / "channels_first_2d.h5", tmp_path / "cl.keras", channels_last="inner")
    assert flipped.target_release == "3.3.3"
