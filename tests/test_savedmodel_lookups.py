"""The vocabularies of adapted lookup layers, read from SavedModel samples' tables
(core/savedmodel_lookups.py): the checkpoint's MutableHashTable (TF 2.4), the StaticHashTable's
initializer constants (TF 2.12, 2.15, tf_keras 2.21), TF-IDF weights; and the rules that order
them. Converting and verifying the samples is tests/test_savedmodel.py's."""

import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from kerasmigrate.core.savedmodel import open_savedmodel
from kerasmigrate.core.savedmodel_lookups import LookupTable, with_vocabularies
from kerasmigrate.errors import KerasMigrateError, UnsupportedError

from .conftest import ROOT

SAMPLES = ROOT / "sample_models" / "savedmodel"
WRITTEN_BY = {"tf2.4": "checkpoint table", "tf2.12": "constants", "tf2.15": "constants", "tf_keras2.21": "constants"}
# what adapted_lookups adapted on (scripts/gen_savedmodel_samples.py WORDS, CODES)
WORDS = Counter(["red", "green", "blue", "red", "red", "green", "pink", "blue", "red", "teal"])
CODES = Counter([7, 11, 13, 7, 7, 11, 3, 13, 7, 42, 11, 7])


def _layers(model_config: dict) -> dict[str, dict]:
    return {layer["config"]["name"]: layer["config"] for layer in model_config["config"]["layers"]}


@pytest.mark.parametrize("stack", sorted(WRITTEN_BY))
def test_adapted_vocabularies_come_out_most_frequent_first(stack):
    with open_savedmodel(SAMPLES / stack / "adapted_lookups") as model:
        layers = _layers(model.model_config)
    for name, counts in (("word_ids", WORDS), ("code_ids", CODES), ("word_ids_2oov", WORDS)):
        vocabulary = layers[name]["vocabulary"]
        assert sorted(vocabulary) == sorted(counts), (name, vocabulary)  # no mask or OOV token among them
        assert [counts[t] for t in vocabulary] == sorted((counts[t] for t in vocabulary), reverse=True)


def test_tf_idf_weights_are_the_tokens_part_of_the_stored_variable():
    with open_savedmodel(SAMPLES / "tf2.15" / "adapted_lookups") as model:
        config = _layers(model.model_config)["word_tf_idf"]
        (ref,) = model.weights("word_tf_idf")  # its adapt-only num_documents is not a Keras 3 weight
        stored = model.read(ref)
    assert ref.basename == "idf_weights"
    assert len(config["idf_weights"]) == len(config["vocabulary"]) == len(stored) - 1  # one OOV index first
    assert np.array_equal(np.float32(config["idf_weights"]), stored[1:])


def test_text_vectorization_vocabulary_from_its_inner_lookup():
    for stack in ("tf2.2", "tf2.4", "tf2.15"):
        with open_savedmodel(SAMPLES / stack / "adapted_text_vectorization") as model:
            layers = _layers(model.model_config)
        assert set(layers["token_ids"]["vocabulary"]) == set("the cat sat on mat dog a and".split()), stack
        assert "the" == layers["token_ids"]["vocabulary"][0]  # the most frequent word
        assert any(" " in token for token in layers["bigram_counts"]["vocabulary"])
        assert len(layers["tf_idf"]["idf_weights"]) == len(layers["tf_idf"]["vocabulary"])


def test_a_configured_vocabulary_is_kept():
    table = LookupTable(np.array([b"x"], dtype=object), np.array([1]), None, None, frozenset())
    config = {
        "class_name": "Functional",
        "config": {
            "layers": [
                {"class_name": "StringLookup", "config": {"name": "s", "vocabulary": ["a"], "num_oov_indices": 1}}
            ]
        },
    }
    assert with_vocabularies(Path("m"), config, {("s",): table}) == config


def _restored(config: dict, keys, values, class_name="StringLookup") -> dict:
    model = {
        "class_name": "Functional",
        "config": {
            "layers": [
                {
                    "class_name": "Functional",
                    "config": {
                        "name": "inner",
                        "layers": [{"class_name": class_name, "config": {"name": "s", "vocabulary": None, **config}}],
                    },
                }
            ]
        },
    }

    def array(items):  # as the readers give them: strings as an object array of bytes
        return np.array(items, dtype=object if isinstance(items[0], bytes) else None)

    table = LookupTable(array(keys), array(values), None, None, frozenset())
    out = with_vocabularies(Path("m"), model, {("inner", "s"): table})
    return out["config"]["layers"][0]["config"]["layers"][0]["config"]


def test_mask_and_oov_entries_of_a_tf24_table_are_left_to_the_layer():
    config = _restored({"mask_token": "", "num_oov_indices": 1}, [b"", b"[UNK]", b"b", b"a"], [0, 1, 3, 2])
    assert config["vocabulary"] == ["a", "b"]
    tf24_integer = _restored({"mask_value": 0, "num_oov_indices": 2}, [0, -1, 9, 4], [0, 1, 4, 3], "IntegerLookup")
    assert tf24_integer["vocabulary"] == [4, 9]  # mask 0, OOV indices 1 and 2


def test_an_inverting_layer_reads_tokens_from_the_values():
    config = _restored({"invert": True, "mask_token": None, "num_oov_indices": 1}, [2, 1], [b"b", b"a"])
    assert config["vocabulary"] == ["a", "b"]


def test_indices_with_a_gap_are_refused():
    with pytest.raises(UnsupportedError, match="consecutive"):
        _restored({"mask_token": None, "num_oov_indices": 1}, [b"a", b"b"], [1, 3])


def test_a_damaged_initializer_constant_is_an_error_not_a_crash(tmp_path):
    copy = tmp_path / "m"
    shutil.copytree(SAMPLES / "tf2.15" / "adapted_lookups", copy)
    pb = copy / "saved_model.pb"
    data = bytearray(pb.read_bytes())
    at = data.find(b"teal")
    assert at > 0
    data[at - 2 : at + 4] = b"\xff" * 6  # the string's length prefix and bytes
    pb.write_bytes(bytes(data))
    with pytest.raises(KerasMigrateError):
        open_savedmodel(copy)


@pytest.mark.parametrize("stack", ["tf2.15", "tf_keras2.21"])
def test_a_vocabulary_file_is_read_from_the_assets(stack):
    with open_savedmodel(SAMPLES / stack / "vocabulary_files") as model:
        layers = _layers(model.model_config)
    assert layers["word_ids"]["vocabulary"] == ["red", "green", "blue", "pink"]  # not the writer's path
    assert layers["text_ids"]["vocabulary"] == ["red", "green", "blue", "pink"]
    assert layers["code_ids"]["vocabulary"] == [7, 11, 13]  # integers, as the table parsed the lines


def test_a_missing_vocabulary_file_is_named(tmp_path):
    copy = tmp_path / "m"
    shutil.copytree(SAMPLES / "tf2.15" / "vocabulary_files", copy)
    (copy / "assets" / "words.txt").unlink()
    with pytest.raises(KerasMigrateError, match="words.txt"):
        open_savedmodel(copy)
