"""Every crash the fuzzers found (tests/hostile/crashes: `<site>.json` beside its input, a
`.h5` or `.keras` file or a `.savedmodel` directory) now gets a result or a KerasMigrateError."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kerasmigrate.errors import KerasMigrateError
from tests.hostile.cases import crash_input, run_command

CRASHES = sorted((Path(__file__).parent / "crashes").glob("*.json"))


@pytest.mark.parametrize("record", CRASHES, ids=[p.stem for p in CRASHES])
def test_a_crash_the_fuzzer_found_is_now_refused_or_converted(record, tmp_path):
    path = crash_input(record)
    assert path.exists(), f"{record.name} names no input beside it"
    try:
        run_command(json.loads(record.read_text())["command"], path, tmp_path)
    except KerasMigrateError:
        pass
