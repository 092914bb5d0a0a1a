import pytest

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.upgrade.lookup_vocabulary import lookup_vocabulary as run

from .helpers import check_pass


def test_vocabulary_size_dropped():
    before = {"class_name": "StringLookup", "config": {"name": "s", "vocabulary": ["a", "b"], "vocabulary_size": 3}}
    after = {"class_name": "StringLookup", "config": {"name": "s", "vocabulary": ["a", "b"]}}
    check_pass(run, before, after)


def test_adapted_vocabulary_is_not_in_the_file():
    with pytest.raises(Refusal, match="no vocabulary"):
        run({"class_name": "IntegerLookup", "config": {"name": "i", "vocabulary": None}})


def test_tf25_integer_lookup_arguments_renamed():
    before = {
        "class_name": "IntegerLookup",
        "config": {"name": "i", "vocabulary": [5, 2], "max_values": 4, "mask_value": 0, "oov_value": -1},
    }
    after = {
        "class_name": "IntegerLookup",
        "config": {"name": "i", "vocabulary": [5, 2], "max_tokens": 4, "mask_token": 0, "oov_token": -1},
    }
    check_pass(run, before, after)


@pytest.mark.parametrize("old, new", [("binary", "multi_hot"), ("tf-idf", "tf_idf")])
def test_tf25_output_modes_renamed(old, new):
    config = {"name": "t", "vocabulary": ["a"], "output_mode": old, "max_tokens": 5, "pad_to_max_tokens": True}
    after = {"class_name": "TextVectorization", "config": {**config, "output_mode": new}}
    check_pass(run, {"class_name": "TextVectorization", "config": config}, after)


def test_padding_without_max_tokens_turned_off():
    # TF 2.2-2.5 defaulted pad_to_max_tokens to true; without max_tokens it pads nothing
    config = {"name": "t", "vocabulary": ["a"], "max_tokens": None, "pad_to_max_tokens": True}
    after = {"class_name": "TextVectorization", "config": {**config, "pad_to_max_tokens": False}}
    check_pass(run, {"class_name": "TextVectorization", "config": config}, after)
