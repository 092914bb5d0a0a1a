"""keras.applications architectures, built with weights=None and saved as legacy .h5 by tf_keras.

One model per family (the smallest variant), cached between runs in
~/.cache/kerasmigrate-tests/applications with the outputs tf_keras computed
on seeded inputs when it built the model (tf_keras cannot reload its own
ConvNeXt file: LayerScale is not registered there); each converts and matches
those outputs (1e-5).
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kerasmigrate import api
from kerasmigrate.verify import verify

pytestmark = pytest.mark.keras

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kerasmigrate-tests" / "applications"
FAMILIES = ["ResNet50", "ResNet50V2", "VGG16", "InceptionV3", "InceptionResNetV2", "Xception",
            "MobileNet", "MobileNetV2", "MobileNetV3Small", "EfficientNetB0", "EfficientNetV2B0",
            "DenseNet121", "NASNetMobile", "ConvNeXtTiny", "RegNetX002"]

BUILD = """
import os, sys
os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
import tf_keras
name, path = sys.argv[1], sys.argv[2]
model = getattr(tf_keras.applications, name)(weights=None)
shape = [2] + [d or 224 for d in model.inputs[0].shape[1:]]
pixels = np.random.RandomState(3).uniform(0, 255, size=shape).astype("float32")
np.savez(path[:-3] + ".refs.npz", input_0=pixels, output_0=model.predict(pixels, verbose=0))
model.save(path + ".part.h5")
os.replace(path + ".part.h5", path)
"""


def legacy_file(name: str) -> Path:
    path = CACHE / f"{name}.h5"
    if not path.exists() or not path.with_suffix(".refs.npz").exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-c", BUILD, name, str(path)], check=True,
                       capture_output=True)
    return path


@pytest.mark.parametrize("name", FAMILIES)
def test_converts_and_matches_tf_keras(name, tmp_path):
    source = legacy_file(name)
    target = tmp_path / f"{name}.keras"
    api.convert(source, target)
    report = verify(source, target, refs=source.with_suffix(".refs.npz"))
    assert report.atol == 1e-5 and report.ok, report.to_dict()
