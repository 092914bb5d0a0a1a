"""kerasmigrate/data/keras3.json is what the installed (pinned) Keras gives."""

import importlib.util
import json

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.keras


def test_committed_table_matches_installed_keras():
    import keras

    spec = importlib.util.spec_from_file_location("derive", ROOT / "scripts" / "derive_keras3_tables.py")
    derive = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(derive)
    committed = json.loads((ROOT / "kerasmigrate" / "data" / "keras3.json").read_text())
    assert committed["keras_version"] == keras.__version__
    assert derive.derive() == committed
