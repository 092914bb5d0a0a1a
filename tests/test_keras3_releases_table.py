"""kerasmigrate/data/keras3_releases.json: the current release's entry is what the installed Keras gives.

The older releases' entries come from their own environments
(scripts/derive_keras3_releases.py); re-deriving them all takes minutes, so
the suite checks the current one, in a subprocess with the JAX backend as
the derivation uses, and the table's shape for the others.
"""

import json
import os
import subprocess
import sys

import pytest

from kerasmigrate import keras3_targets

from .conftest import ROOT

pytestmark = pytest.mark.keras

TABLE = json.loads((ROOT / "kerasmigrate" / "data" / "keras3_releases.json").read_text())


def test_current_release_entry_matches_installed_keras():
    import keras

    env = {**os.environ, "KERAS_BACKEND": "jax", "JAX_PLATFORMS": "cpu", "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "derive_keras3_releases.py"), "--probe"],
        capture_output=True,
        text=True,
        env=env,
        cwd="/",
        check=True,
    )
    probed = json.loads(proc.stdout.strip().splitlines()[-1])
    assert probed["keras_version"] == keras.__version__ == keras3_targets.CURRENT
    committed = {k: v for k, v in TABLE["releases"][keras.__version__].items() if k != "source"}
    # The table was probed in the release's own JAX environment, without TensorFlow: the
    # layers that need it (lookups, Hashing) recorded their arguments only. Here TensorFlow
    # is installed, so they build; compare what both have.
    for name, entry in committed["layers"].items():
        if entry and "probe_error" in entry:
            assert "TensorFlow" in entry["probe_error"], (name, entry["probe_error"])
            assert probed["layers"][name]["args"] == entry["args"], name
            probed["layers"][name] = entry
    assert probed == committed


def test_every_release_is_recorded_with_its_source():
    releases = TABLE["releases"]
    assert list(keras3_targets.RELEASES) == ["3.3.3", "3.6.0", "3.9.2", "3.12.4", "3.15.1"]
    for version, table in releases.items():
        assert table["keras_version"] == version
        assert f"keras=={version}" in table["source"]
        assert table["layers"]["Dense"]["args"]["units"] == "<required>"


def test_every_class_of_the_class_table_is_probed_in_every_release():
    classes = json.loads((ROOT / "kerasmigrate" / "data" / "keras3.json").read_text())["classes"]
    for version, table in TABLE["releases"].items():
        missing = sorted(set(classes) - set(table["layers"]))
        assert not missing, (version, missing)
