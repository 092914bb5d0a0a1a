import pytest

from kerasmigrate.passes.keras3_releases import TargetRefusal
from kerasmigrate.passes.target.layer_arguments import layer_arguments as run

from .release_helpers import call, check_release_pass


def dense(**extra):
    return {
        "module": "keras.layers",
        "class_name": "Dense",
        "registered_name": None,
        "config": {"name": "d", "units": 3, "use_bias": True, **extra},
    }


def test_default_quantization_config_is_dropped_for_3_12():
    check_release_pass(
        run, dense(quantization_config=None), dense(), "3.12.4", noops=[dense(), dense(quantization_config=None)][:1]
    )


def test_current_release_keeps_it():
    entry = dense(quantization_config=None)
    assert call(run, entry, "3.15.1") is entry


def test_non_default_value_is_refused_with_the_first_release():
    with pytest.raises(TargetRefusal) as info:
        call(run, dense(quantization_config={"mode": "int8"}), "3.12.4")
    (finding,) = info.value.findings
    assert (finding.layer, finding.argument, finding.action) == ("m/layer", "quantization_config", "refuse")
    assert finding.first_release == "3.15.1"
    assert "Dense" in str(info.value) and "int8" in str(info.value)


def test_input_layer_optional_and_ragged():
    before = {
        "class_name": "InputLayer",
        "config": {
            "name": "x",
            "batch_shape": [None, 4],
            "dtype": "float32",
            "sparse": False,
            "ragged": False,
            "optional": False,
        },
    }
    after_36 = {
        "class_name": "InputLayer",
        "config": {"name": "x", "batch_shape": [None, 4], "dtype": "float32", "sparse": False, "optional": False},
    }
    check_release_pass(run, before, after_36, "3.6.0")
    after_33 = {
        "class_name": "InputLayer",
        "config": {"name": "x", "batch_shape": [None, 4], "dtype": "float32", "sparse": False},
    }
    check_release_pass(run, before, after_33, "3.3.3")
    assert call(run, before, "3.9.2")["config"] == {**after_36["config"], "ragged": False}


def test_batch_norm_renorm_at_default_dropped_and_enabled_refused():
    before = {
        "class_name": "BatchNormalization",
        "config": {"name": "bn", "axis": -1, "renorm": False, "renorm_clipping": None, "renorm_momentum": 0.99},
    }
    check_release_pass(
        run, before, {"class_name": "BatchNormalization", "config": {"name": "bn", "axis": -1}}, "3.12.4"
    )
    with pytest.raises(TargetRefusal) as info:
        call(run, {**before, "config": {**before["config"], "renorm": True}}, "3.9.2")
    assert [f.argument for f in info.value.findings] == ["renorm"]


def test_unknown_classes_and_models_are_left_alone():
    custom = {"class_name": "MyLayer", "config": {"name": "c", "anything": 1}}
    model = {"class_name": "Functional", "config": {"name": "f", "layers": []}}
    assert call(run, custom, "3.3.3") is custom
    assert call(run, model, "3.3.3") is model
