import pytest

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import Source
from kerasmigrate.passes.upgrade.keras1_dim_ordering import keras1_dim_ordering as run

from .helpers import check_pass

KERAS1 = Source("1.2.2", "theano")
CONV = {"class_name": "Convolution2D", "config": {"name": "c", "data_format": "channels_first"}}


def model(*layers):
    return {"class_name": "Sequential", "config": {"name": "s", "layers": list(layers)}}


def test_unrecorded_ordering_comes_from_the_model():
    pad = {"class_name": "ZeroPadding2D", "config": {"name": "p", "padding": [1, 1]}}
    fixed = {"class_name": "ZeroPadding2D", "config": {"name": "p", "padding": [1, 1], "data_format": "channels_first"}}
    check_pass(run, model(CONV, pad), model(CONV, fixed), source=KERAS1, noops=[model(CONV, fixed)])


def test_keras2_files_are_left_alone():
    pad = {"class_name": "ZeroPadding2D", "config": {"name": "p", "padding": [1, 1]}}
    entry = model(pad)
    assert run(entry, Source("2.1.6", "tensorflow")) is entry


@pytest.mark.parametrize(
    "layers, why",
    [
        ([{"class_name": "UpSampling2D", "config": {"name": "u", "size": [2, 2]}}], "no layer"),
        (
            [
                CONV,
                {"class_name": "Conv2D", "config": {"name": "d", "data_format": "channels_last"}},
                {"class_name": "Cropping2D", "config": {"name": "k", "cropping": [[1, 1], [1, 1]]}},
            ],
            "disagree",
        ),
    ],
)
def test_refused_when_the_file_does_not_say(layers, why):
    with pytest.raises(Refusal, match=why):
        run(model(*layers), KERAS1)
