import pytest

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.upgrade.attention_shapes import attention_shapes as run

from .helpers import check_pass


def test_multi_head_attention_build_shapes_dropped():
    before = {
        "class_name": "MultiHeadAttention",
        "config": {
            "name": "mha",
            "num_heads": 2,
            "key_dim": 4,
            "query_shape": [None, 5, 8],
            "key_shape": [None, 5, 8],
            "value_shape": [None, 5, 8],
            "softmax_robust_masking": False,
        },
    }
    after = {"class_name": "MultiHeadAttention", "config": {"name": "mha", "num_heads": 2, "key_dim": 4}}
    check_pass(run, before, after)


def test_robust_masking_refused():
    with pytest.raises(Refusal, match="softmax_robust_masking"):
        run({"class_name": "MultiHeadAttention", "config": {"name": "m", "softmax_robust_masking": True}})


def test_attention_causal():
    before = {"class_name": "Attention", "config": {"name": "a", "use_scale": False, "causal": False}}
    check_pass(run, before, {"class_name": "Attention", "config": {"name": "a", "use_scale": False}})
    with pytest.raises(Refusal, match="causal"):
        run({"class_name": "AdditiveAttention", "config": {"name": "a", "causal": True}})
