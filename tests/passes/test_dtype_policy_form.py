import pytest

from kerasmigrate.passes.keras3_releases import TargetRefusal
from kerasmigrate.passes.target.dtype_policy_form import dtype_policy_form as run

from .release_helpers import call, check_release_pass


def layer(dtype):
    return {"class_name": "Dense", "config": {"name": "d", "dtype": dtype}}


def policy(name, cls="DTypePolicy"):
    return {"module": "keras", "class_name": cls, "config": {"name": name}, "registered_name": None}


def test_policy_object_becomes_its_name_for_3_3():
    check_release_pass(
        run,
        layer(policy("mixed_float16")),
        layer("mixed_float16"),
        "3.3.3",
        noops=[layer("float32"), {"class_name": "Dense", "config": {"name": "d"}}],
    )


def test_later_releases_keep_the_object():
    entry = layer(policy("float32"))
    assert call(run, entry, "3.6.0") is entry


def test_quantized_policy_refused_for_3_3():
    with pytest.raises(TargetRefusal) as info:
        call(run, layer(policy("int8_from_float32", "QuantizedDTypePolicy")), "3.3.3")
    assert info.value.findings[0].first_release == "3.6.0"
