"""The pass tables (upgrade, old loaders, Keras 3 releases, channels-last): every pass module is in its
table once, is registered for that direction, and has a name, a boundary, a sourced docstring
with a summary line, and a test module of before/after cases that imports it."""

import pkgutil
import re
from pathlib import Path

import pytest

import kerasmigrate.passes.channels_last as channels_last_package
import kerasmigrate.passes.downgrade as old_loader_package
import kerasmigrate.passes.target as release_package
import kerasmigrate.passes.upgrade as upgrade_package
from kerasmigrate.downgrade.targets import legacy_targets
from kerasmigrate.passes import CHANNELS_LAST, CHANNELS_LAST_IO, DOWNGRADE, UPGRADE
from kerasmigrate.passes.registry import (
    CHANNELS_LAST_DIRECTION,
    KERAS3_RELEASES_DIRECTION,
    OLD_LOADERS_DIRECTION,
    UPGRADE_DIRECTION,
)
from kerasmigrate.passes.target import TARGET

TABLES = {
    UPGRADE_DIRECTION: (UPGRADE, upgrade_package),
    OLD_LOADERS_DIRECTION: (DOWNGRADE, old_loader_package),
    KERAS3_RELEASES_DIRECTION: (TARGET, release_package),
    CHANNELS_LAST_DIRECTION: (CHANNELS_LAST + CHANNELS_LAST_IO, channels_last_package),
}
KINDS = {
    UPGRADE_DIRECTION: {"layer", "model"},
    OLD_LOADERS_DIRECTION: {"layer", "training", "optimizer-weights"},
    KERAS3_RELEASES_DIRECTION: {"layer", "model"},
    CHANNELS_LAST_DIRECTION: {"model", "top-model"},
}
# Test modules named differently where an upgrade pass has the same module name.
TEST_NAMES = {
    "passes.downgrade.conv_groups": "conv_groups_downgrade",
    "passes.downgrade.rnn_time_major": "rnn_time_major_downgrade",
    "passes.downgrade.batch_norm_axis": "batch_norm_axis_downgrade",
}
# A cited source: a file of a code base, a measured finding or an issue.
SOURCE = re.compile(r"[\w.-]+/[\w/.-]*\w\.(py|cc|h|md)\b|repair-findings|issues?/\d+")

ALL_PASSES = [
    pytest.param(direction, func, id=f"{direction}:{func.km_pass.name}")
    for direction, (table, _) in TABLES.items()
    for func in table
]


def short_module(func) -> str:
    return func.__module__.rsplit(".", 1)[1]


@pytest.mark.parametrize("direction", TABLES)
def test_every_pass_module_is_in_its_table_once(direction):
    table, package = TABLES[direction]
    modules = {m.name for m in pkgutil.iter_modules(package.__path__) if not m.name.startswith("_")}
    in_table = [short_module(f) for f in table]
    assert sorted(in_table) == sorted(modules)
    assert len(set(in_table)) == len(in_table)


@pytest.mark.parametrize("direction", TABLES)
def test_pass_names_are_unique_in_a_table(direction):
    names = [f.km_pass.name for f in TABLES[direction][0]]
    assert len(set(names)) == len(names)


@pytest.mark.parametrize(("direction", "func"), ALL_PASSES)
def test_every_pass_is_registered_named_bounded_and_sourced(direction, func):
    p = func.km_pass
    assert p.func is func
    assert p.direction == direction
    assert p.kind in KINDS[direction]
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", p.name), "pass names are kebab-case"
    assert p.boundary.strip(), "a pass names the boundary it bridges"
    assert "Boundary" in p.doc, "the docstring says what changed where"
    assert SOURCE.search(re.sub(r"/\s+", "/", p.doc)), (
        "the docstring cites a source (code path, measured finding or issue)"
    )
    assert p.summary() and p.summary() == p.doc.strip().splitlines()[0]


@pytest.mark.parametrize(("direction", "func"), ALL_PASSES)
def test_every_pass_has_a_test_module_that_imports_it(direction, func):
    dotted = func.__module__.removeprefix("kerasmigrate.")
    name = TEST_NAMES.get(dotted, short_module(func))
    test_file = Path(__file__).parent / f"test_{name}.py"
    assert test_file.exists(), f"no tests/passes/test_{name}.py"
    assert f"from {func.__module__} import" in test_file.read_text("utf-8"), f"{test_file.name} does not test it"


@pytest.mark.parametrize("func", DOWNGRADE, ids=lambda f: f.km_pass.name)
def test_every_old_loader_pass_names_known_loaders_and_a_symptom(func):
    p = func.km_pass
    assert p.loaders and p.loaders <= set(legacy_targets())
    assert p.symptom, "say what the loader reports without it"


@pytest.mark.parametrize("func", [*UPGRADE, *TARGET, *CHANNELS_LAST, *CHANNELS_LAST_IO], ids=lambda f: f.km_pass.name)
def test_only_old_loader_passes_name_loaders(func):
    assert not func.km_pass.loaders and not func.km_pass.symptom
