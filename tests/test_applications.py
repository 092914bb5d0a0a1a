"""keras.applications architectures, built with weights=None and saved as legacy .h5 by tf_keras.

One model per family (the smallest variant), cached between runs in
~/.cache/kerasmigrate-tests/applications; each converts and matches the
original run by tf_keras on seeded inputs (1e-5). Two families rely on
classes private to tf_keras's applications and are refused by name for now.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kerasmigrate import api
from kerasmigrate.errors import KerasMigrateError
from kerasmigrate.verify import verify

pytestmark = pytest.mark.keras

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kerasmigrate-tests" / "applications"
CONVERTED = ["ResNet50", "ResNet50V2", "VGG16", "InceptionV3", "Xception", "MobileNet", "MobileNetV2",
             "MobileNetV3Small", "EfficientNetB0", "EfficientNetV2B0", "DenseNet121", "NASNetMobile",
             "RegNetX002"]
REFUSED = {"ConvNeXtTiny": "LayerScale", "InceptionResNetV2": "CustomScaleLayer"}

BUILD = """
import os, sys
os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tf_keras
name, path = sys.argv[1], sys.argv[2]
getattr(tf_keras.applications, name)(weights=None).save(path + ".part.h5")
os.replace(path + ".part.h5", path)
"""


def legacy_file(name: str) -> Path:
    path = CACHE / f"{name}.h5"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-c", BUILD, name, str(path)], check=True,
                       capture_output=True)
    return path


@pytest.mark.parametrize("name", CONVERTED)
def test_converts_and_matches_tf_keras(name, tmp_path):
    source = legacy_file(name)
    target = tmp_path / f"{name}.keras"
    api.convert(source, target)
    report = verify(source, target, seed=3, batch=2)
    assert report.atol == 1e-5 and report.ok, report.to_dict()


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_private_application_classes_are_refused_by_name(name, tmp_path):
    with pytest.raises(KerasMigrateError, match=REFUSED[name]):
        api.convert(legacy_file(name), tmp_path / "out.keras")
