import pytest

from kerasmigrate.passes.keras3_releases import TargetRefusal
from kerasmigrate.passes.target.op_arguments import op_arguments as run

from .release_helpers import call


def op(class_name, module="keras.src.ops.numpy", **config):
    return {
        "module": module,
        "class_name": class_name,
        "registered_name": class_name,
        "name": config.get("name"),
        "config": config,
        "inbound_nodes": [],
    }


def test_named_concatenate_is_refused_before_3_12():
    entry = op("Concatenate", name="tf.concat", axis=-1)
    with pytest.raises(TargetRefusal) as info:
        call(run, entry, "3.9.2")
    (finding,) = info.value.findings
    assert (finding.argument, finding.value, finding.action) == ("name", "tf.concat", "refuse")
    assert finding.first_release == "3.12.4"
    assert call(run, entry, "3.12.4") is entry


def test_ops_whose_constructor_takes_a_name_in_every_release_are_kept():
    entry = op("Add", name="tf.__operators__.add")
    for version in ("3.3.3", "3.6.0", "3.9.2", "3.12.4", "3.15.1"):
        assert call(run, entry, version) is entry


def test_layers_are_not_op_nodes():
    layer = {"module": "keras.layers", "class_name": "Concatenate", "config": {"name": "c", "axis": -1}}
    assert call(run, layer, "3.3.3") is layer
