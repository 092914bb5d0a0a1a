import pytest

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import Source
from kerasmigrate.passes.upgrade.theano_same_padding import theano_same_padding as run

THEANO = Source("1.2.2", "theano")


def model(*layers):
    return {"class_name": "Sequential", "config": {"name": "s", "layers": list(layers)}}


def conv(name, kernel, strides=(1, 1), padding="same", cls="Conv2D"):
    return {
        "class_name": cls,
        "config": {"name": name, "kernel_size": list(kernel), "strides": list(strides), "padding": padding},
    }


def test_what_theano_and_keras3_pad_alike_passes():
    entry = model(
        conv("odd", (3, 3)),
        conv("even_valid", (2, 2), padding="valid"),
        conv("strided_valid", (3, 3), (2, 2), padding="valid"),
        {"class_name": "MaxPooling2D", "config": {"name": "p", "padding": "valid"}},
    )
    assert run(entry, THEANO) is entry


def test_tensorflow_writers_are_not_concerned():
    entry = model(conv("even", (2, 2)))
    assert run(entry, Source("1.2.2", "tensorflow")) is entry


@pytest.mark.parametrize(
    "layer, why",
    [
        (conv("even", (3, 2)), "even kernel"),
        (conv("strided", (3, 3), (2, 1)), "stride"),
        ({"class_name": "AveragePooling1D", "config": {"name": "pool", "padding": "same"}}, "pooling"),
        ({"class_name": "TimeDistributed", "config": {"name": "td", "layer": conv("inner", (2, 2))}}, "inner"),
    ],
)
def test_refused_with_the_layer_named(layer, why):
    with pytest.raises(Refusal, match=why):
        run(model(layer), THEANO)
