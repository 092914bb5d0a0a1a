"""dense-features: DenseFeatures' feature columns as Keras 3 layers on named inputs, on configs.

The samples written by the real TF 2.x stacks are converted and run in tests/test_feature_columns.py.
"""

import pytest

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import Source
from kerasmigrate.passes.upgrade.dense_features import dense_features


def _numeric(key, dtype="float32", shape=(1,), normalizer=None):
    config = {"key": key, "shape": list(shape), "default_value": None, "dtype": dtype, "normalizer_fn": normalizer}
    return {"class_name": "NumericColumn", "config": config}


def _vocabulary(key, words, oov=0, default=-1, dtype="string"):
    config = {"key": key, "vocabulary_list": words, "dtype": dtype, "default_value": default, "num_oov_buckets": oov}
    return {"class_name": "VocabularyListCategoricalColumn", "config": config}


def _sequential(columns, shapes=None, name="features"):
    features = {"class_name": "DenseFeatures", "config": {"name": name, "feature_columns": columns}}
    dense = {"class_name": "Dense", "config": {"name": "out", "units": 1}}
    config = {"name": "seq", "layers": [features, dense]}
    if shapes is not None:
        config["build_input_shape"] = shapes
    return {"class_name": "Sequential", "config": config}


def _inner(model):
    return model["config"]["layers"][-2]["config"]["layers"]


def test_inputs_are_the_feature_keys_sorted_and_columns_concatenate_in_name_order():
    columns = [_numeric("b"), _numeric("a", dtype="int64"), _numeric("c", shape=(2, 3))]
    model = dense_features(_sequential(columns), None)
    assert model["class_name"] == "Functional"
    assert model["config"]["input_layers"] == [["a", 0, 0], ["b", 0, 0], ["c", 0, 0]]
    nested = model["config"]["layers"][3]
    assert nested["config"]["name"] == "features"  # the stored weights' owner keeps its name
    assert nested["inbound_nodes"] == [[["a", 0, 0, {}], ["b", 0, 0, {}], ["c", 0, 0, {}]]]
    concat = _inner(model)[-1]
    assert [ref[0] for ref in concat["inbound_nodes"][0]] == ["a_float32", "b", "c_flat"]
    cast = next(e for e in _inner(model) if e["name"] == "a_float32")
    assert cast["class_name"] == "Rescaling" and cast["config"]["scale"] == 1.0  # int64 cast to float32
    assert model["config"]["layers"][-1]["inbound_nodes"] == [[["features", 0, 0, {}]]]


def test_in_a_functional_model_the_dict_call_becomes_a_call_in_sorted_key_order():
    def input_layer(name, dtype):
        config = {"batch_input_shape": [None, 1], "dtype": dtype, "name": name}
        return {"class_name": "InputLayer", "name": name, "config": config, "inbound_nodes": []}

    features = {
        "class_name": "DenseFeatures",
        "name": "features",
        "config": {"name": "features", "feature_columns": [_numeric("b"), _numeric("a")]},
        "inbound_nodes": [{"b": ["in_b", 0, 0, {}], "a": ["in_a", 0, 0, {}]}],
    }
    layers = [input_layer("in_b", "float32"), input_layer("in_a", "float32"), features]
    config = {"name": "m", "layers": layers, "input_layers": {"b": ["in_b", 0, 0], "a": ["in_a", 0, 0]}}
    config["output_layers"] = [["features", 0, 0]]
    model = dense_features({"class_name": "Functional", "config": config}, None)
    assert model["config"]["input_layers"] == [["in_a", 0, 0], ["in_b", 0, 0]]
    nested = model["config"]["layers"][2]
    assert nested["class_name"] == "Functional"
    assert nested["inbound_nodes"] == [[["in_a", 0, 0, {}], ["in_b", 0, 0, {}]]]


def test_one_float_feature_is_flattened_as_dense_features_did():
    model = dense_features(_sequential([_numeric("x")]), None)
    assert [(e["class_name"], e["name"]) for e in _inner(model)] == [
        ("InputLayer", "x"),
        ("Flatten", "features_flatten"),
    ]


def test_a_model_without_dense_features_is_left_alone():
    model = {"class_name": "Sequential", "config": {"name": "s", "layers": [{"class_name": "Dense", "config": {}}]}}
    assert dense_features(model, None) is model


def test_vocabulary_ids_are_reordered_into_the_columns_own():
    """Keras lookups put OOV indices first; the column puts its vocabulary first, then the OOV buckets."""
    column = {"class_name": "IndicatorColumn", "config": {"categorical_column": _vocabulary("c", ["x", "", "y"], 2)}}
    layers = {e["name"]: e for e in _inner(dense_features(_sequential([column, _numeric("n")]), None))}
    lookup = layers["c_lookup"]["config"]
    assert lookup["vocabulary"] == ["x", "y"] and lookup["mask_token"] == ""  # '' is dropped before the lookup
    assert lookup["num_oov_indices"] == 2 and lookup["oov_method"] == "farmhash"
    counts = layers["c_indicator"]["config"]
    # mask 0, OOV 1-2, x 3, y 4; '' keeps its column (never counted) as the unused id 5
    assert counts["vocabulary"] == [3, 5, 4, 1, 2] and counts["mask_token"] == 0
    assert counts["output_mode"] == "count"


@pytest.mark.parametrize(
    "column, words",
    [
        (_numeric("n", normalizer="<lambda>"), ["normalizer_fn", "'n'"]),
        (_vocabulary("c", ["x"], default=0), ["maps unknown values to id 0"]),
        (
            {
                "class_name": "EmbeddingColumn",
                "config": {"categorical_column": _vocabulary("c", ["x"]), "dimension": 2, "combiner": "mean"},
            },
            ["'c_embedding'", "'mean'"],
        ),
        (
            {"class_name": "WeightedCategoricalColumn", "config": {"categorical_column": _vocabulary("c", ["x"])}},
            ["WeightedCategoricalColumn"],
        ),
        (
            {"class_name": "SequenceNumericColumn", "config": {"key": "s", "shape": [1]}},
            ["SequenceNumericColumn", "'s'"],
        ),
    ],
    ids=["normalizer", "default-value", "multivalent-mean", "weighted", "sequence"],
)
def test_columns_without_an_exact_equivalent_are_refused_by_name(column, words):
    wrapped = column
    if column["class_name"] == "VocabularyListCategoricalColumn":
        wrapped = {"class_name": "IndicatorColumn", "config": {"categorical_column": column}}
    with pytest.raises(Refusal) as info:
        dense_features(_sequential([wrapped, _numeric("z")], {"c": [None, 3]}), None)
    for word in words:
        assert word in str(info.value)


def test_an_embedding_of_one_value_per_row_takes_any_combiner():
    column = {
        "class_name": "EmbeddingColumn",
        "config": {"categorical_column": _vocabulary("c", ["x", "y"]), "dimension": 2, "combiner": "sqrtn"},
    }
    layers = {e["name"]: e for e in _inner(dense_features(_sequential([column], {"c": [None, 1]}), None))}
    assert layers["c_embedding"]["class_name"] == "Dense" and layers["c_embedding"]["config"]["use_bias"] is False


def _file_column(path="/writer/home/words.txt", size=2):
    config = {"key": "w", "vocabulary_file": path, "vocabulary_size": size, "num_oov_buckets": 0, "dtype": "string"}
    column = {"class_name": "VocabularyFileCategoricalColumn", "config": {**config, "default_value": -1}}
    return {"class_name": "IndicatorColumn", "config": {"categorical_column": column}}


def test_a_vocabulary_file_comes_from_the_savedmodels_assets():
    assets = {"/writer/home/words.txt": b"cat\ndog\nemu\n"}
    source = Source(asset=assets.get)
    layers = {e["name"]: e for e in _inner(dense_features(_sequential([_file_column()]), source))}
    assert layers["w_lookup"]["config"]["vocabulary"] == ["cat", "dog"]  # its first vocabulary_size lines
    with pytest.raises(Refusal, match="does not hold"):
        dense_features(_sequential([_file_column("/elsewhere/words.txt")]), source)


@pytest.mark.parametrize("data", [b"cat\r\ndog\r\n", b"cat\ncat\n", b"cat\n", b"\xff\xfe\n\n"])
def test_a_vocabulary_file_read_differently_or_not_at_all_is_refused(data):
    source = Source(asset=lambda path: data)
    with pytest.raises(Refusal, match="vocabulary file column 'w'"):
        dense_features(_sequential([_file_column()]), source)
