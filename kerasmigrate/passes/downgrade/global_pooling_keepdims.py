"""Global pooling layers: drop `keepdims: false`.

Boundary: Keras 2.6 / TF 2.6 added `keepdims` to GlobalAveragePooling* and
GlobalMaxPooling* (keras-team/keras keras/layers/pooling.py at v2.6.0,
`GlobalPooling1D.__init__`); Keras 2.3.1, TF 2.2 and TF 2.4 do not take it
(derived tables, kerasmigrate/data/legacy_targets.json). Keeping the pooled
axes cannot be expressed there.
"""

from kerasmigrate.passes.old_loaders import drop_if_absent, old_loader_pass

CLASSES = {f"Global{kind}Pooling{d}D" for kind in ("Average", "Max") for d in (1, 2, 3)}


@old_loader_pass(
    "global-pooling-keepdims",
    symptom="TypeError: ('Keyword argument not understood:', 'keepdims')",
    classes=CLASSES,
    loaders={"keras-2.3", "tf-2.2", "tf-2.4"},
    boundary="Keras 2.6",
)
def global_pooling_keepdims(layer: dict, target) -> dict:
    return drop_if_absent(layer, target, "keepdims", lambda v: v is False)
