"""Augmentation layers: drop tf_keras's `rng_type`.

Boundary: tf_keras 2.16+ `BaseRandomLayer.get_config` writes `rng_type` ("stateful")
into RandomFlip, RandomRotation, RandomZoom, RandomTranslation, RandomContrast,
RandomBrightness, RandomCrop, RandomHeight and RandomWidth (tf_keras/src/engine/base_layer.py;
TF 2.15's Keras does not); Keras 3's image preprocessing layers take a `seed` only
("Unrecognized keyword arguments passed to RandomFlip: {'rng_type': ...}",
keras/src/layers/preprocessing/image_preprocessing/base_image_preprocessing_layer.py).
The generator type chooses which random stream training draws from; at inference these
layers draw nothing.
"""

from kerasmigrate.passes.registry import layer_pass, without_keys

AUGMENTATION_CLASSES = {
    "RandomFlip",
    "RandomRotation",
    "RandomZoom",
    "RandomTranslation",
    "RandomContrast",
    "RandomBrightness",
    "RandomCrop",
    "RandomHeight",
    "RandomWidth",
}


@layer_pass("augmentation-rng-type", classes=AUGMENTATION_CLASSES, since="keras-3.0")
def augmentation_rng_type(layer: dict) -> dict:
    return without_keys(layer, "rng_type")
