import pytest

from kerasmigrate.downgrade.targets import get_target
from kerasmigrate.passes.downgrade.optimizer_weights import optimizer_weights as run
from kerasmigrate.passes.refusal import Refusal

ADAM = {"class_name": "Adam", "config": {"learning_rate": 0.01, "amsgrad": False}}
# Keras 2.11+ layout, as in the tf2.12/tf2.15/tf_keras2.21 samples
NEW = [
    ("iteration:0", ()),
    ("Adam/m/d/kernel:0", (3, 2)),
    ("Adam/v/d/kernel:0", (3, 2)),
    ("Adam/m/d/bias:0", (2,)),
    ("Adam/v/d/bias:0", (2,)),
]
# tf.keras OptimizerV2 layout (TF 2.4)
V2 = [
    ("Adam/iter:0", ()),
    ("Adam/d/kernel/m:0", (3, 2)),
    ("Adam/d/bias/m:0", (2,)),
    ("Adam/d/kernel/v:0", (3, 2)),
    ("Adam/d/bias/v:0", (2,)),
]


def test_interleaved_slots_become_slot_major_for_tf_2_2():
    assert run(NEW, ADAM, get_target("tf-2.2")) == [NEW[0], NEW[1], NEW[3], NEW[2], NEW[4]]


def test_optimizer_v2_layout_is_already_right_for_tf_2_2():
    assert run(V2, ADAM, get_target("tf-2.2")) == V2


def test_keras_2_3_gets_vhat_placeholders():
    out = run(V2, ADAM, get_target("keras-2.3"))
    assert out == V2 + [(None, (1,)), (None, (1,))]


def test_sgd_without_momentum_slots_for_keras_2_3():
    sgd = {"class_name": "SGD", "config": {"momentum": 0.0}}
    stored = [("SGD/iter:0", ()), ("SGD/d/kernel/momentum:0", (3, 2))]
    assert run(stored, sgd, get_target("keras-2.3")) == stored
    with pytest.raises(Refusal, match="momentum"):
        run(stored, sgd, get_target("tf-2.2"))  # OptimizerV2 builds no momentum slot without momentum


def test_multi_backend_names_by_index():
    stored = [
        ("Adam/iterations:0", ()),
        ("training/Adam/m_1_1:0", (2,)),
        ("training/Adam/m_0_1:0", (3, 2)),
        ("training/Adam/v_0_1:0", (3, 2)),
        ("training/Adam/v_1_1:0", (2,)),
        ("training/Adam/vhat_0_1:0", (1,)),
        ("training/Adam/vhat_1_1:0", (1,)),
    ]
    out = run(stored, ADAM, get_target("tf-2.2"))
    assert [n for n, _ in out] == [
        "Adam/iterations:0",
        "training/Adam/m_1_1:0",
        "training/Adam/m_0_1:0",
        "training/Adam/v_1_1:0",
        "training/Adam/v_0_1:0",
    ]


def test_rmsprop_momentum_refused_for_keras_2_3():
    rms = {"class_name": "RMSprop", "config": {"momentum": 0.9}}
    with pytest.raises(Refusal, match="RMSprop"):
        run([("RMSprop/iter:0", ())], rms, get_target("keras-2.3"))


def test_unknown_slot_refused():
    with pytest.raises(Refusal, match="recognises"):
        run([("iteration:0", ()), ("Adam/zz/d/kernel:0", (3,))], ADAM, get_target("tf-2.2"))
