from kerasmigrate.passes.upgrade.dtype_policy import dtype_policy as run

from .helpers import check_pass


def test_policy_becomes_dtype_policy():
    before = {
        "class_name": "Dense",
        "config": {"name": "d", "dtype": {"class_name": "Policy", "config": {"name": "mixed_float16"}}},
    }
    after = {
        "class_name": "Dense",
        "config": {
            "name": "d",
            "dtype": {
                "module": "keras",
                "class_name": "DTypePolicy",
                "config": {"name": "mixed_float16"},
                "registered_name": None,
            },
        },
    }
    check_pass(run, before, after, noops=[{"class_name": "Dense", "config": {"name": "d", "dtype": "float32"}}])


def test_policy_v1_with_loss_scale():
    before = {
        "class_name": "Dense",
        "config": {
            "name": "d",
            "dtype": {"class_name": "PolicyV1", "config": {"name": "mixed_float16", "loss_scale": "dynamic"}},
        },
    }
    assert run(before)["config"]["dtype"]["config"] == {"name": "mixed_float16"}
