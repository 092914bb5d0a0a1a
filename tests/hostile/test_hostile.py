"""Every hostile file of the corpus gets its refusal, quickly, and nothing is written."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from kerasmigrate import api
from kerasmigrate.cli import main
from kerasmigrate.errors import KerasMigrateError
from tests.hostile.make_corpus import make_corpus, write_h5


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_corpus(tmp_path_factory.mktemp("hostile"))


def run(command: str, path: Path, out: Path):
    if command == "convert":
        return api.convert(path, out)
    if command == "repair-keras3":
        return api.repair(path, "keras-3", out)
    if command == "repair-release":
        return api.repair_for_release(path, "keras-3.3", out)
    return api.inspect_file(path)


def test_the_valid_base_file_converts(tmp_path):
    path = write_h5(tmp_path / "valid.h5")
    report = api.convert(path, tmp_path / "out.keras")
    assert report.weights == 2


def test_every_hostile_file_is_refused(corpus, tmp_path):
    for case in corpus:
        out = tmp_path / f"{case.path.stem}.out"
        start = time.perf_counter()
        with pytest.raises(case.error) as info:
            run(case.command, case.path, out)
        elapsed = time.perf_counter() - start
        assert case.message in info.value.message, (case.name, info.value.message)
        assert str(case.path) in str(info.value), case.name  # the error names the file
        assert elapsed < 5, (case.name, elapsed)
        assert not out.exists(), case.name
        assert [p.name for p in tmp_path.iterdir()] == [], case.name  # no temporary left either


def test_the_cli_refuses_without_a_traceback(corpus, tmp_path):
    runner = CliRunner()
    for case in corpus:
        args = (
            ["inspect", str(case.path)]
            if case.command == "inspect"
            else ["convert", str(case.path), "-o", str(tmp_path / "o.keras")]
        )
        result = runner.invoke(main, args)
        assert result.exit_code == 2, (case.name, result.output)
        assert "Traceback" not in result.output and "internal error" not in result.output, (case.name, result.output)
        assert "error: " in result.output, case.name


def test_external_storage_never_reaches_the_output(corpus, tmp_path):
    case = next(c for c in corpus if c.name == "external storage")
    with pytest.raises(KerasMigrateError):
        api.convert(case.path, tmp_path / "o.keras")
    assert not (tmp_path / "o.keras").exists()


def test_repair_and_join_refuse_data_outside_the_file(corpus, tmp_path):
    """repair copies the file and join moves its groups: neither may carry external data along."""
    for name in ("external storage", "external link", "virtual dataset"):
        case = next(c for c in corpus if c.name == name)
        with pytest.raises(KerasMigrateError, match="external|virtual"):
            api.repair(case.path, "tf-2.2", tmp_path / "out.h5")
        assert not (tmp_path / "out.h5").exists()
