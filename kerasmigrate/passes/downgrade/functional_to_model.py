"""`"class_name": "Functional"` -> `"Model"`, at every level.

Boundary: TF 2.3 renamed the class functional models serialize as from
`Model` to `Functional` (tensorflow/tensorflow
tensorflow/python/keras/engine/functional.py, new in v2.3.0); Keras 2.3.1
(keras/layers/__init__.py `deserialize`: module objects plus `Model`,
`Sequential`) and TF 2.2 (tensorflow/python/keras/layers/serialization.py)
know only `Model`: `ValueError: Unknown layer: Functional`. The config
layout under the name is the same (measured: ../shared/oracles/repair-findings.md
row 1; nested models too).
"""

from kerasmigrate.passes.old_loaders import old_loader_pass


@old_loader_pass(
    "functional-to-model",
    symptom="ValueError: Unknown layer: Functional",
    classes={"Functional"},
    loaders={"keras-2.3", "tf-2.2"},
    boundary="TF 2.3",
)
def functional_to_model(layer: dict, target) -> dict:
    if target.knows_class("Functional"):
        return layer
    return {**layer, "class_name": "Model"}
