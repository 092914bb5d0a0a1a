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


def _dict_call(keys):
    return [{key: [f"in_{key}", 0, 0, {}] for key in keys}]


def test_a_nested_sequential_keeps_its_name_and_calls_and_is_called_in_its_input_order():
    inner = {**_sequential([_numeric("b"), _numeric("a")], name="features"), "name": "tower"}
    inner["inbound_nodes"] = _dict_call(["b", "a"])
    inputs = [{"class_name": "InputLayer", "name": f"in_{k}", "config": {"name": f"in_{k}"}} for k in "ab"]
    out = {"class_name": "Dense", "name": "out", "config": {"name": "out"}, "inbound_nodes": [[["tower", 0, 0, {}]]]}
    config = {"name": "m", "layers": [*inputs, inner, out], "input_layers": [["in_a", 0, 0], ["in_b", 0, 0]]}
    outer = {"class_name": "Functional", "config": config}
    inner_done = dense_features(inner, None)  # passes run innermost first
    assert inner_done["name"] == "tower" and inner_done["class_name"] == "Functional"
    assert inner_done["config"]["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    layers = {**outer, "config": {**config, "layers": [*inputs, inner_done, out]}}
    tower = dense_features(layers, None)["config"]["layers"][2]
    assert tower["inbound_nodes"] == [[["in_a", 0, 0, {}], ["in_b", 0, 0, {}]]]


def test_a_nested_functional_on_a_dict_is_called_in_its_sorted_key_order():
    inner_inputs = {"y": ["input_y", 0, 0], "x": ["input_x", 0, 0]}  # keys other than the layer names
    inner = {"class_name": "Functional", "name": "sub", "inbound_nodes": _dict_call(["y", "x"])}
    inner["config"] = {"name": "sub", "layers": [], "input_layers": inner_inputs, "output_layers": []}
    inner_done = {**inner, "config": {**inner["config"], "input_layers": [["input_x", 0, 0], ["input_y", 0, 0]]}}
    outer = {"class_name": "Functional", "config": {"name": "m", "layers": [inner_done]}}
    sub = dense_features(outer, None)["config"]["layers"][0]
    assert sub["inbound_nodes"] == [[["in_x", 0, 0, {}], ["in_y", 0, 0, {}]]]
    bad = {**inner_done, "inbound_nodes": _dict_call(["x"])}
    with pytest.raises(Refusal, match="'sub' is called on features"):
        dense_features({**outer, "config": {"name": "m", "layers": [bad]}}, None)


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
                "config": {
                    "categorical_column": _vocabulary("c", ["x"]),
                    "dimension": 2,
                    "combiner": "mean",
                    "use_safe_embedding_lookup": False,
                },
            },
            ["'c_embedding'", "use_safe_embedding_lookup=False"],
        ),
        (
            {
                "class_name": "EmbeddingColumn",
                "config": {"categorical_column": _vocabulary("c", ["x"]), "dimension": 2, "combiner": "max"},
            },
            ["'c_embedding'", "'max'"],
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
    ids=["normalizer", "default-value", "multivalent-unsafe-lookup", "unknown-combiner", "weighted", "sequence"],
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


@pytest.mark.parametrize("combiner, divisor", [("mean", "c_embedding_count"), ("sqrtn", "c_embedding_sqrt_count")])
def test_mean_and_sqrtn_over_several_values_divide_the_sum_by_the_kept_ids(combiner, divisor):
    column = {
        "class_name": "EmbeddingColumn",
        "config": {"categorical_column": _vocabulary("c", ["x", "y"]), "dimension": 2, "combiner": combiner},
    }
    layers = {e["name"]: e for e in _inner(dense_features(_sequential([column], {"c": [None, 3]}), None))}
    assert layers["c_embedding"]["class_name"] == "Dense"  # the sum, holding the stored matrix
    kept = layers["c_embedding_kept"]
    assert kept["class_name"] == "Discretization" and kept["config"]["bin_boundaries"] == [0.5]
    assert kept["inbound_nodes"] == [[["c_lookup", 0, 0, {}]]]  # ids: 0 dropped, >= 1 kept
    count = layers["c_embedding_count"]
    assert count["module"] == "keras.src.ops.numpy" and count["class_name"] == "GetItem"
    assert count["inbound_nodes"][0]["args"][1][1]["config"] == {"start": 1, "stop": 2, "step": None}
    out = layers[f"c_embedding_{combiner}"]
    assert out["class_name"] == "DivideNoNan"
    history = [arg["config"]["keras_history"][0] for arg in out["inbound_nodes"][0]["args"]]
    assert history == ["c_embedding", divisor]


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
