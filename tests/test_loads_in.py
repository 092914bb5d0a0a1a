"""`loadable_releases` ("loads in", computed with one walk and kept per config) gives the answers the
release passes' runner gives, release by release, on every config a conversion asks it about: those of
every sample (the retargeted configs `apply_target` weighs) and, in the full tier, of the real files."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from kerasmigrate import api
from kerasmigrate.batch.discover import walk
from kerasmigrate.batch.storage import Store
from kerasmigrate.errors import KerasMigrateError, MalformedConfigError
from kerasmigrate.keras3_targets import RELEASES, Release
from kerasmigrate.passes.keras3_releases import run_release_passes
from kerasmigrate.passes.target import TARGET

from .conftest import REALWORLD, SAMPLES

retarget = importlib.import_module("kerasmigrate.keras3_targets.retarget")


def runner_answer(config: dict) -> list[str]:
    """The answer as it was computed before: every target pass run for every release."""
    answer = []
    for version in RELEASES:
        _, changes, refusals = run_release_passes(config, TARGET, Release(version))
        if not changes and not refusals:
            answer.append(version)
    return answer


def asked_configs(root: Path, tmp_path: Path, monkeypatch) -> list[dict]:
    """Every config `loadable_releases` is asked about while the models under `root` convert."""
    asked, real = [], retarget.loadable_releases

    def recording(config):
        asked.append(config)
        return real(config)

    monkeypatch.setattr(retarget, "loadable_releases", recording)
    models = [e for e in walk(Store(str(root))) if e.is_model and e.kind != "savedmodel"]
    for i, entry in enumerate(models):
        try:
            api.convert(root / entry.rel, tmp_path / f"{i}.keras", overwrite=True)
        except KerasMigrateError:
            pass
    monkeypatch.undo()
    return asked


def assert_same_answers(configs: list[dict]) -> None:
    assert configs
    retarget.LOADABLE_ANSWERS.clear()  # computed afresh, then taken from the cache
    for config in configs:
        expected = runner_answer(config)
        assert retarget.loadable_releases(config) == expected
        assert retarget.loadable_releases(config) == expected  # the kept answer


def test_same_answers_on_every_sample(tmp_path, monkeypatch):
    configs = asked_configs(SAMPLES, tmp_path, monkeypatch)
    assert len({tuple(runner_answer(c)) for c in configs[:50]}) > 1  # not all one answer
    assert_same_answers(configs)


@pytest.mark.full
def test_same_answers_on_the_real_files(tmp_path, monkeypatch):
    assert_same_answers(asked_configs(REALWORLD, tmp_path, monkeypatch))


def test_a_release_that_changes_a_layer_is_not_listed():
    model = {"class_name": "Sequential", "config": {"name": "s", "layers": []}}
    layer = {"class_name": "Dense", "config": {"name": "d", "units": 2, "dtype": "float32"}}
    for config in (model, {**model, "config": {**model["config"], "layers": [layer]}}):
        assert retarget.loadable_releases(config) == runner_answer(config)


def test_a_malformed_config_is_refused_as_before():
    with pytest.raises(MalformedConfigError):
        retarget.loadable_releases({"config": {}})
