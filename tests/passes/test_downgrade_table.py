"""Every downgrade pass module is in the DOWNGRADE table once, has a test and a sourced docstring."""

import pkgutil
from pathlib import Path

import kerasmigrate.passes.downgrade as downgrade
from kerasmigrate.downgrade.targets import legacy_targets
from kerasmigrate.passes import DOWNGRADE

# Test modules named differently where an upgrade pass has the same module name.
TEST_NAMES = {
    "conv_groups": "conv_groups_downgrade",
    "rnn_time_major": "rnn_time_major_downgrade",
    "batch_norm_axis": "batch_norm_axis_downgrade",
}


def test_every_module_is_in_the_table_once():
    modules = {m.name for m in pkgutil.iter_modules(downgrade.__path__)}
    in_table = [f.__module__.rsplit(".", 1)[1] for f in DOWNGRADE]
    assert sorted(in_table) == sorted(modules)
    assert len(set(in_table)) == len(in_table)


def test_every_pass_has_a_test_a_boundary_a_source_and_known_targets():
    here = Path(__file__).parent
    known = set(legacy_targets())
    for func in DOWNGRADE:
        module = func.__module__.rsplit(".", 1)[1]
        name = TEST_NAMES.get(module, module)
        assert (here / f"test_{name}.py").exists(), f"no tests/passes/test_{name}.py"
        p = func.km_target_pass
        assert "Boundary" in p.doc and ("keras" in p.doc.lower()), module
        assert p.targets <= known and p.targets, module
        assert p.symptom, f"{module}: say what the loader reports without it"


def test_names_unique():
    names = [f.km_target_pass.name for f in DOWNGRADE]
    assert len(set(names)) == len(names)
