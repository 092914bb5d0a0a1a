"""Attention: drop `score_mode: "dot"`.

Boundary: Keras 2.9 added `score_mode` to `Attention` (keras-team/keras
keras/layers/attention/attention.py at v2.9.0; seen in TF 2.12 files,
absent from TF 2.4's), "dot" being the only score TF 2.2 and TF 2.4 compute
(tensorflow/python/keras/layers/dense_attention.py `Attention._calculate_scores`).
The "concat" score cannot be expressed there.
"""

from kerasmigrate.passes.old_loaders import drop_if_absent, old_loader_pass


@old_loader_pass(
    "attention-score-mode",
    symptom="TypeError: ('Keyword argument not understood:', 'score_mode')",
    classes={"Attention"},
    loaders={"tf-2.2", "tf-2.4"},
    boundary="Keras 2.9",
)
def attention_score_mode(layer: dict, target) -> dict:
    return drop_if_absent(layer, target, "score_mode", lambda v: v == "dot")
