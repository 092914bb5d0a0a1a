"""Every pass module is in the table, in one place, and has a test module."""

import pkgutil
from pathlib import Path

import kerasmigrate.passes.upgrade as upgrade
from kerasmigrate.passes import UPGRADE


def test_every_pass_module_is_in_the_table_once():
    modules = {m.name for m in pkgutil.iter_modules(upgrade.__path__)}
    in_table = [f.__module__.rsplit(".", 1)[1] for f in UPGRADE]
    assert sorted(in_table) == sorted(modules)
    assert len(set(in_table)) == len(in_table)


def test_every_pass_has_a_test_and_a_sourced_docstring():
    here = Path(__file__).parent
    for func in UPGRADE:
        module = func.__module__.rsplit(".", 1)[1]
        assert (here / f"test_{module}.py").exists(), f"no tests/passes/test_{module}.py"
        doc = func.km_pass.doc
        assert "Boundary" in doc and ("keras" in doc.lower()), f"{module}: docstring needs boundary and source"


def test_pass_names_are_unique():
    names = [f.km_pass.name for f in UPGRADE]
    assert len(set(names)) == len(names)
