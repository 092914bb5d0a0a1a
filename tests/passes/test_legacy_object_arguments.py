import pytest

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.upgrade.legacy_object_arguments import legacy_object_arguments as run

from .helpers import check_pass

# tf.keras 1.x (TensorFlow's init_ops initializers): every config carries `dtype`
TF1 = {
    "GlorotUniform": {"seed": None, "dtype": "float32"},
    "Zeros": {"dtype": "float32"},
    "Ones": {"dtype": "float32"},
    "Constant": {"value": 0.5, "dtype": "float32", "verify_shape": False},
    "VarianceScaling": {"scale": 2.0, "mode": "fan_in", "distribution": "normal", "seed": None, "dtype": "float32"},
    "Orthogonal": {"gain": 1.0, "seed": None, "dtype": "float32"},
    "RandomUniform": {"minval": -0.05, "maxval": 0.05, "seed": None, "dtype": "float32"},
    "TruncatedNormal": {"mean": 0.0, "stddev": 0.05, "seed": None, "dtype": "float32"},
    "Identity": {"gain": 1.0, "dtype": "float32"},
}


def dense(**objects):
    return {"class_name": "Dense", "config": {"name": "d", "units": 2, **objects}}


def init(cls, config):
    return {"class_name": cls, "config": config}


@pytest.mark.parametrize("cls", sorted(TF1))
def test_tf1_initializer_dtype_dropped(cls):
    config = TF1[cls]
    kept = {k: v for k, v in config.items() if k not in ("dtype", "verify_shape")}
    check_pass(
        run,
        dense(kernel_initializer=init(cls, config)),
        dense(kernel_initializer=init(cls, kept)),
        noops=[dense(kernel_initializer=init(cls, kept))],
    )


@pytest.mark.parametrize(
    "layer",
    [
        pytest.param(dense(kernel_initializer="glorot_uniform"), id="string"),
        pytest.param(dense(kernel_regularizer=init("L1L2", {"l1": 0.0, "l2": 0.01})), id="keras 2 regularizer"),
        pytest.param(dense(kernel_constraint=init("MaxNorm", {"max_value": 2, "axis": 0})), id="constraint"),
        pytest.param(dense(kernel_initializer=init("Pkg>MyInit", {"anything": 1})), id="registered class"),
        pytest.param(dense(bias_initializer=init("zeros", {})), id="alias"),
    ],
)
def test_noop(layer):
    assert run(layer) is layer


@pytest.mark.parametrize(
    ("layer", "words"),
    [
        pytest.param(
            dense(kernel_initializer=init("UniformUnitScaling", {"factor": 1.0})), "no initializer", id="class"
        ),
        pytest.param(dense(kernel_initializer=init("Zeros", {"value": 1.0})), "value=1.0", id="argument"),
        pytest.param(
            dense(kernel_initializer=init("Constant", {"value": 1, "verify_shape": True})), "verify_shape", id="verify"
        ),
        pytest.param(
            dense(kernel_regularizer=init("L1L2", {"l1": 0.0, "l2": 0.1, "dtype": "float32"})), "dtype", id="reg"
        ),
        pytest.param(dense(kernel_initializer="uniform_unit_scaling"), "uniform_unit_scaling", id="name"),
    ],
)
def test_refused_when_not_lossless(layer, words):
    with pytest.raises(Refusal) as info:
        run(layer)
    assert "'d'" in str(info.value) and words in str(info.value)


@pytest.mark.keras
@pytest.mark.parametrize("cls", sorted(TF1))
def test_keras3_builds_the_result(cls):
    import keras

    out = run(dense(kernel_initializer=init(cls, TF1[cls])))["config"]["kernel_initializer"]
    initializer = keras.initializers.deserialize({**out, "module": "keras.initializers", "registered_name": None})
    assert type(initializer).__name__ == cls


def test_a_schedule_keras3_lacks_leaves_the_training_configuration_out():
    from kerasmigrate.upgrade.training import NotConverted, convert_optimizer

    with pytest.raises(NotConverted, match="NoisyLinearCosineDecay"):
        convert_optimizer({"class_name": "Adam", "config": {"learning_rate": init("NoisyLinearCosineDecay", {})}})
