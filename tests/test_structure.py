"""The package keeps its shape: no module takes another module's private names.

(The layers, the convert path without Keras and the absence of import cycles are
import-linter contracts in pyproject.toml, run by `make lint`.) This check reads
every import statement, multi-line ones included, which a grep cannot.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _private_imports(path: Path, root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("kerasmigrate"):
            for alias in node.names:
                if alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{path.relative_to(root)}:{node.lineno}: from {node.module} import {alias.name}")
    return found


def test_no_private_names_imported_across_modules():
    files = [p for folder in ("kerasmigrate", "tests", "scripts") for p in (ROOT / folder).rglob("*.py")]
    assert len(files) > 100
    found = [line for path in files for line in _private_imports(path)]
    assert not found, "\n".join(found)


def test_the_check_sees_a_private_import(tmp_path):
    sample = tmp_path / "tests" / "_private_import_sample.py"
    sample.parent.mkdir()
    sample.write_text("from kerasmigrate.core.layout import (\n    WeightPlan,\n    _hidden,\n)\n")
    assert _private_imports(sample, root=tmp_path) == [
        "tests/_private_import_sample.py:1: from kerasmigrate.core.layout import _hidden"
    ]
