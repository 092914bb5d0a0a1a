"""keras.applications architectures, built with weights=None and saved as legacy .h5 by tf_keras.

One model per family as published (the smallest variant, with its classifier
and default input size), and every other variant tf_keras ships without its
classifier on 96x96 inputs (same blocks, a fraction of the compute). Files are
cached between runs in ~/.cache/kerasmigrate-tests/applications with the
outputs tf_keras computed on seeded inputs when it built the model (tf_keras
cannot reload its own ConvNeXt file: LayerScale is not registered there);
each converts and matches those outputs (1e-5).
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kerasmigrate import api
from kerasmigrate.verify import verify

pytestmark = [pytest.mark.keras, pytest.mark.full]

CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kerasmigrate-tests" / "applications"
FAMILIES = [
    "ResNet50",
    "ResNet50V2",
    "VGG16",
    "InceptionV3",
    "InceptionResNetV2",
    "Xception",
    "MobileNet",
    "MobileNetV2",
    "MobileNetV3Small",
    "EfficientNetB0",
    "EfficientNetV2B0",
    "DenseNet121",
    "NASNetMobile",
    "ConvNeXtTiny",
    "RegNetX002",
]

# Other constructors of tf_keras.applications (2.21), built as feature extractors: every
# EfficientNet and EfficientNetV2, and per other family the variants whose blocks differ
# (RegNetY adds squeeze-and-excitation; ResNetRS420 is deeper than Keras 3's recursive graph
# walk allows by default). KERASMIGRATE_ALL_APPLICATIONS=1 runs all 56 other constructors.
RESNET_RS = [f"ResNetRS{depth}" for depth in (50, 101, 152, 200, 270, 350, 420)]
REGNET = [
    f"RegNet{kind}{size}"
    for kind in "XY"
    for size in ("002", "004", "006", "008", "016", "032", "040", "064", "080", "120", "160", "320")
]
ALL_VARIANTS = sorted(
    {
        name
        for name in [
            "ConvNeXtSmall",
            "ConvNeXtBase",
            "ConvNeXtLarge",
            "ConvNeXtXLarge",
            "DenseNet169",
            "DenseNet201",
            *(f"EfficientNetB{i}" for i in range(1, 8)),
            "EfficientNetV2B1",
            "EfficientNetV2B2",
            "EfficientNetV2B3",
            "EfficientNetV2S",
            "EfficientNetV2M",
            "EfficientNetV2L",
            "MobileNetV3Large",
            "NASNetLarge",
            *REGNET,
            "ResNet101",
            "ResNet152",
            "ResNet101V2",
            "ResNet152V2",
            *RESNET_RS,
            "VGG19",
        ]
    }
    - set(FAMILIES)
)
CI_VARIANTS = [
    *(f"EfficientNetB{i}" for i in range(1, 8)),
    "EfficientNetV2B1",
    "EfficientNetV2B2",
    "EfficientNetV2B3",
    "EfficientNetV2S",
    "EfficientNetV2M",
    "EfficientNetV2L",
    "ConvNeXtSmall",
    "DenseNet169",
    "MobileNetV3Large",
    "NASNetLarge",
    "RegNetY002",
    "ResNet101",
    "ResNet101V2",
    "ResNetRS50",
    "ResNetRS420",
    "VGG19",
]
VARIANTS = ALL_VARIANTS if os.environ.get("KERASMIGRATE_ALL_APPLICATIONS") == "1" else CI_VARIANTS
VARIANT_SIZE = 96
# Feature maps can reach thousands; 1e-5 absolute is below float32 resolution there.
# Variants are compared at 1e-6 of the largest output magnitude (NASNetLarge's original,
# uncalibrated, moved by 8e-7 of it between tf_keras's oneDNN and plain kernels).
VARIANT_RELATIVE_TOLERANCE = 1e-6

BUILD = """
import os, sys
os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
import tf_keras
name, path, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
builder = getattr(tf_keras.applications, name)
if size:
    model = builder(weights=None, include_top=False, input_shape=(size, size, 3))
    # Random weights make deep variants chaotic (EfficientNetV2L's features reach 1e8 and
    # move by their own size between two kernel implementations of tf_keras itself): every
    # BatchNormalization takes its moving statistics from one calibration batch, the variance
    # plus 1 so that near-constant channels are not amplified. Features then stay below ~10
    # and tf_keras's two kernel implementations agree to ~1e-6.
    norms = [l for l in model.submodules if isinstance(l, tf_keras.layers.BatchNormalization)]
    momenta = [l.momentum for l in norms]
    for layer in norms:
        layer.momentum = 0.0
    calibration = np.random.RandomState(5).uniform(0, 255, size=(8, size, size, 3)).astype("float32")
    model(calibration, training=True)
    for layer, momentum in zip(norms, momenta):
        layer.momentum = momentum
        layer.moving_variance.assign(layer.moving_variance + 1.0)
else:
    model = builder(weights=None)
shape = [2] + [d or 224 for d in model.inputs[0].shape[1:]]
pixels = np.random.RandomState(3).uniform(0, 255, size=shape).astype("float32")
np.savez(path[:-3] + ".refs.npz", input_0=pixels, output_0=model.predict(pixels, verbose=0))
model.save(path + ".part.h5")
os.replace(path + ".part.h5", path)
"""


def legacy_file(name: str, size: int = 0) -> Path:
    path = CACHE / (f"{name}_calibrated{size}.h5" if size else f"{name}.h5")
    if not path.exists() or not path.with_suffix(".refs.npz").exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "-c", BUILD, name, str(path), str(size)], check=True, capture_output=True)
    return path


@pytest.mark.parametrize("name, size", [(name, 0) for name in FAMILIES] + [(name, VARIANT_SIZE) for name in VARIANTS])
def test_converts_and_matches_tf_keras(name, size, tmp_path):
    source = legacy_file(name, size)
    target = tmp_path / f"{name}.keras"
    api.convert(source, target)
    refs = source.with_suffix(".refs.npz")
    atol = 1e-5
    if size:
        with np.load(refs) as arrays:
            atol = max(atol, VARIANT_RELATIVE_TOLERANCE * float(np.abs(arrays["output_0"]).max()))
    report = verify(source, target, refs=refs, atol=atol)
    assert report.ok, report.to_dict()
