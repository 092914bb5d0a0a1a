"""RandomCrop as TF 2.2-2.6 ran it at inference (sample_models/tf2.2, tf2.4: random_crop_aspect.h5,
random_crop_functional.h5, augmentation.h5), in Keras 2 form as the pass sees it."""

import pytest

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import Source
from kerasmigrate.passes.upgrade.random_crop_centre import random_crop_centre, writer_resize

from .helpers import check_pass

TF22, TF24, TF27 = Source("2.3.0-tf", "tensorflow"), Source("2.4.0", "tensorflow"), Source("2.7.0", "tensorflow")


def _input(shape, name="image"):
    return {"class_name": "InputLayer", "config": {"name": name, "dtype": "float32", "batch_shape": shape}}


def _crop(h, w, name="crop", **extra):
    config = {"name": name, "trainable": True, "dtype": "float32", "height": h, "width": w, "seed": 5}
    return {"class_name": "RandomCrop", "config": config, **extra}


def _sequential(*layers):
    return {"class_name": "Sequential", "config": {"name": "m", "layers": list(layers)}}


def _resize(h, w, name="crop_resize", **extra):
    config = {"name": name, "trainable": True, "dtype": "float32", "height": h, "width": w}
    config.update(interpolation="bilinear", crop_to_aspect_ratio=False, data_format="channels_last")
    return {"class_name": "Resizing", "config": config, **extra}


def _centre(h, w, name="crop", **extra):
    config = {"name": name, "trainable": True, "dtype": "float32", "height": h, "width": w}
    return {"class_name": "CenterCrop", "config": {**config, "data_format": "channels_last"}, **extra}


@pytest.mark.parametrize(
    "version, size, crop, resized",
    [
        ((2, 4, 0), (12, 16), (8, 8), (8, 10)),  # random_crop_aspect
        ((2, 3, 0), (12, 16), (8, 8), (8, 10)),
        ((2, 4, 0), (10, 15), (9, 5), (9, 13)),  # random_crop_functional: 9 * 15 / 10 = 13.5, truncated
        ((2, 4, 0), (12, 16), (4, 8), (6, 8)),  # H / W = 0.75 > 4 / 8: by the width
        ((2, 3, 0), (12, 16), (4, 8), (4, 5)),  # TF 2.2 compares with 1: by the height, too narrow
        ((2, 5, 0), (16, 12), (5, 7), (9, 7)),
    ],
)
def test_the_writers_intermediate_size(version, size, crop, resized):
    assert writer_resize(version, size, crop) == resized


def test_in_a_sequential_another_aspect_becomes_resizing_then_center_crop():
    image = _input([None, 12, 16, 3])
    flip = {"class_name": "RandomFlip", "config": {"name": "flip", "mode": "horizontal"}}
    after = _sequential(image, flip, _resize(8, 10), _centre(8, 8, _km_inference_only="RandomCrop"))
    check_pass(random_crop_centre, _sequential(image, flip, _crop(8, 8)), after, source=TF24)
    check_pass(random_crop_centre, _sequential(image, flip, _crop(8, 8)), after, source=TF22)


def test_the_input_aspect_and_the_later_writers_are_left_to_random_crop_resizing():
    same = _sequential(_input([None, 12, 12, 3]), _crop(10, 10))
    other = _sequential(_input([None, 12, 16, 3]), _crop(8, 8))
    check_pass(random_crop_centre, same, same, noops=[same], source=TF24)
    check_pass(random_crop_centre, other, other, noops=[other], source=TF27)


def test_in_a_functional_the_crop_keeps_the_name_its_callers_refer_to():
    image = {**_input([None, 10, 15, 3]), "name": "image", "inbound_nodes": []}
    scale = {"class_name": "Rescaling", "name": "rescale", "config": {"name": "rescale", "scale": 0.1}}
    scale["inbound_nodes"] = [[["image", 0, 0, {}]]]
    crop = _crop(9, 5, name="c", inbound_nodes=[[["rescale", 0, 0, {}]]])
    crop["name"] = "c"
    flat = {"class_name": "Flatten", "name": "f", "config": {"name": "f"}, "inbound_nodes": [[["c", 0, 0, {}]]]}
    model = {"class_name": "Functional", "config": {"name": "m", "layers": [image, scale, crop, flat]}}
    resize = _resize(9, 13, name="c_resize", inbound_nodes=crop["inbound_nodes"])
    resize["name"] = "c_resize"
    centre = _centre(9, 5, name="c", _km_inference_only="RandomCrop", inbound_nodes=[[["c_resize", 0, 0, {}]]])
    centre["name"] = "c"
    after = {"class_name": "Functional", "config": {"name": "m", "layers": [image, scale, resize, centre, flat]}}
    check_pass(random_crop_centre, model, after, source=TF24)


@pytest.mark.parametrize(
    "layers, words",
    [
        ([_input([None, None, None, 3]), _crop(8, 8)], "not known where the layer is called"),
        ([_input([None, 12, 16, 3]), {"class_name": "Conv2D", "config": {"name": "c"}}, _crop(8, 8)], "not known"),
        ([_input([None, 12, 16, 3]), _crop(4, 8)], "smaller than the 4x8 crop"),  # TF 2.2 only
    ],
)
def test_a_crop_that_cannot_be_computed_is_refused_naming_the_layer(layers, words):
    with pytest.raises(Refusal, match=words) as caught:
        random_crop_centre(_sequential(*layers), TF22)
    assert "'crop'" in str(caught.value)
