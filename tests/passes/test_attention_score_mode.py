import pytest

from kerasmigrate.downgrade.targets import get_target
from kerasmigrate.passes.downgrade.attention_score_mode import attention_score_mode as run
from kerasmigrate.passes.refusal import Refusal

from .old_loader_helpers import check_old_loader_pass

BEFORE = {"class_name": "Attention", "config": {"name": "a", "use_scale": False, "score_mode": "dot"}}
AFTER = {"class_name": "Attention", "config": {"name": "a", "use_scale": False}}


def test_dot_dropped_for_tf_2_2():
    check_old_loader_pass(run, "tf-2.2", BEFORE, AFTER)


def test_concat_refused():
    with pytest.raises(Refusal, match="concat"):
        run({**BEFORE, "config": {**BEFORE["config"], "score_mode": "concat"}}, get_target("tf-2.2"))
