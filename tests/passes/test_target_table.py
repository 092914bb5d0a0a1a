"""Every target pass module is in the TARGET table once, has a test and a sourced docstring."""

import pkgutil
from pathlib import Path

import kerasmigrate.passes.target as target
from kerasmigrate.passes.target import TARGET


def test_every_target_pass_module_is_in_the_table_once():
    modules = {m.name for m in pkgutil.iter_modules(target.__path__) if not m.name.startswith("_")}
    in_table = [f.__module__.rsplit(".", 1)[1] for f in TARGET]
    assert sorted(in_table) == sorted(modules)


def test_every_target_pass_has_a_test_and_a_sourced_docstring():
    here = Path(__file__).parent
    for func in TARGET:
        module = func.__module__.rsplit(".", 1)[1]
        assert (here / f"test_{module}.py").exists(), f"no tests/passes/test_{module}.py"
        doc = func.km_target_pass.doc
        assert "Boundary" in doc and "Source" in doc, f"{module}: docstring needs boundary and source"
