"""Class-name aliases -> the Keras 3 class they resolve to (MaxPool2D -> MaxPooling2D).

Boundary: Keras 2.x writes whichever alias the model was built with
(`MaxPool2D`, `Convolution2D` in tf.keras's export list); Keras 3 keeps the
aliases as module attributes only, and `model.weights.h5` paths are named
after the real class (`max_pooling2d`), so the config must name the class.
Source: the alias table in kerasmigrate/data/keras3.json, derived from the
installed Keras by scripts/derive_keras3_tables.py.
"""

from kerasmigrate.core.keras3 import TABLE
from kerasmigrate.passes.registry import layer_pass


@layer_pass("class-aliases", classes=set(TABLE.aliases), since="keras-3.0")
def class_aliases(layer: dict) -> dict:
    target = TABLE.aliases.get(layer["class_name"])
    return layer if target is None else {**layer, "class_name": target}
