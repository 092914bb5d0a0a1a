"""Config validation accepts every form real writers use, and only those."""

import pytest

from kerasmigrate.core.validate import check_model_config
from kerasmigrate.errors import MalformedConfigError


def _model(activation) -> dict:
    dense = {"class_name": "Dense", "config": {"name": "d", "units": 2, "activation": activation}}
    return {"class_name": "Sequential", "config": {"name": "m", "layers": [dense]}}


@pytest.mark.parametrize(
    "activation",
    [
        pytest.param("relu", id="a name (Keras 1/2)"),
        pytest.param(
            {"module": "builtins", "class_name": "function", "config": "MyPkg>swish2", "registered_name": "function"},
            id="a serialized function (tf.keras 2.13+, Keras 3)",
        ),
    ],
)
def test_activation_forms_writers_use(activation):
    check_model_config("m.h5", _model(activation), model_root=True)


def test_a_string_config_of_another_class_is_refused():
    bad = {"class_name": "GlorotUniform", "config": "seed=1"}
    with pytest.raises(MalformedConfigError, match="'config' must be an object"):
        check_model_config("m.h5", _model(bad), model_root=True)
