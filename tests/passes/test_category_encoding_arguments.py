import pytest

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.upgrade.category_encoding_arguments import category_encoding_arguments as run

from .helpers import check_pass


def test_tf25_arguments_renamed():
    before = {"class_name": "CategoryEncoding", "config": {"name": "c", "max_tokens": 7, "output_mode": "binary"}}
    after = {"class_name": "CategoryEncoding", "config": {"name": "c", "num_tokens": 7, "output_mode": "multi_hot"}}
    current = {"class_name": "CategoryEncoding", "config": {"name": "c", "num_tokens": 7, "output_mode": "count"}}
    check_pass(run, before, after, noops=[current])


def test_tf_idf_refused():
    with pytest.raises(Refusal, match="TF-IDF"):
        run({"class_name": "CategoryEncoding", "config": {"name": "c", "max_tokens": 7, "output_mode": "tf-idf"}})
