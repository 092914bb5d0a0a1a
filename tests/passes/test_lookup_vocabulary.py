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
