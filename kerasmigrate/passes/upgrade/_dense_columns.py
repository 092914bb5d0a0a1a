"""The dense columns of DenseFeatures (numeric, bucketized, indicator, embedding) -> Keras 3 layers.

EmbeddingColumn, as tensorflow/python/feature_column/feature_column_v2.py
(`EmbeddingColumn._get_dense_tensor_internal_helper`, TF 2.2-2.15) computes it: the column's ids
(the ignored '' or -1 and out-of-vocabulary -1 dropped, `_to_sparse_input_and_drop_ignore_values`)
through `safe_embedding_lookup_sparse` (tensorflow/python/ops/embedding_ops.py): invalid ids
pruned, an empty row filled and then zeroed, and per row, without weights, the embeddings'
`sparse_segment_sum` ("sum"), `sparse_segment_mean` (the sum over n, the ids left: "mean") or
`sparse_segment_sqrt_n` (the sum over sqrt(n): "sqrtn"). Here the sum is the per-id counts times
the stored `embedding_weights` (a bias-free Dense holding them unchanged, under the column's name);
for "mean" and "sqrtn" over more than one value per row, n counted by Discretization (ids >= 1 are
the kept ones, 0 the dropped) and the sum divided by it, or by its root, with `keras.ops`
`divide_no_nan` (an empty row: 0 / 0 -> 0, as TensorFlow zeroes it). One value per row needs no
division (n is 1 or the row is empty). `max_norm` and `use_safe_embedding_lookup=False` over
several values per row (ids not pruned) are refused.
"""

from __future__ import annotations

from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.upgrade._feature_columns import (
    FLOAT,
    Graph,
    bucketized,
    category_counts,
    column_name,
    column_parts,
    indicator,
    numeric,
)
from kerasmigrate.passes.upgrade.functional_nodes import keras_tensor

COMBINERS = ("sum", "mean", "sqrtn")
NUMPY_OPS = "keras.src.ops.numpy"


def _op(graph: Graph, class_name: str, name: str, args: list) -> str:
    """A keras.ops node (Keras 3 form: functional-nodes keeps it as it is) on the layers of `args`
    (names) or constants; its name."""
    taken = {entry["name"] for entry in graph.layers}
    base, n = name, 0
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    node = {"args": [keras_tensor(a, 0, 0) if isinstance(a, str) else a for a in args], "kwargs": {}}
    entry = {"module": NUMPY_OPS, "class_name": class_name, "config": {"name": name}, "registered_name": class_name}
    graph.layers.append({**entry, "name": name, "inbound_nodes": [node]})
    return name


def _slice(start, stop) -> dict:
    return {"class_name": "__slice__", "config": {"start": start, "stop": stop, "step": None}}


def _divided_by_count(graph: Graph, total: str, ids: str, name: str, combiner: str) -> str:
    """`total` over each row's number of kept ids (n), or over sqrt(n); 0 for an empty row."""
    bins = {"bin_boundaries": [0.5], "output_mode": "count", "dtype": FLOAT}
    counted = graph.add("Discretization", f"{name}_kept", bins, ids)  # [dropped, kept] per row
    count = _op(graph, "GetItem", f"{name}_count", [counted, [_slice(None, None), _slice(1, 2)]])
    if combiner == "sqrtn":
        count = _op(graph, "Sqrt", f"{name}_sqrt_count", [count])
    return _op(graph, "DivideNoNan", f"{name}_{combiner}", [total, count])


def embedding(graph: Graph, column) -> str:
    _, config = column_parts(column)
    name = column_name(column)
    categorical = config.get("categorical_column")
    dimension = config.get("dimension")
    if config.get("max_norm") is not None or not isinstance(dimension, int) or dimension < 1:
        raise Refusal(f"embedding column {name!r}: dimension {dimension!r}, max_norm {config.get('max_norm')!r}")
    combiner = config.get("combiner", "mean")
    if combiner not in COMBINERS:
        raise Refusal(f"embedding column {name!r} has the combiner {combiner!r}")
    kind, categorical_config = column_parts(categorical)
    # A cross's leaves have one value per row each (_cross_key refuses the others), as has its cross.
    single = kind == "CrossedColumn" or graph.width(categorical_config.get("key")) == 1
    if not single and config.get("use_safe_embedding_lookup") is False:
        raise Refusal(
            f"embedding column {name!r} looks several values per row up with use_safe_embedding_lookup=False "
            "(dropped ids not pruned)"
        )
    counts, _, ids = category_counts(graph, categorical, f"{name}_counts")
    dense = {"units": dimension, "use_bias": False, "activation": "linear", "dtype": FLOAT}
    dense["trainable"] = config.get("trainable", True) is not False
    total = graph.add("Dense", name, dense, counts)
    return total if single or combiner == "sum" else _divided_by_count(graph, total, ids, name, combiner)


DENSE_COLUMNS = {
    "NumericColumn": numeric,
    "BucketizedColumn": bucketized,
    "IndicatorColumn": indicator,
    "EmbeddingColumn": embedding,
}


def column_output(graph: Graph, column) -> str:
    """Add the layers of one dense column; the name of the layer giving its output."""
    kind, _ = column_parts(column)
    translate = DENSE_COLUMNS.get(kind)
    if translate is None:
        raise Refusal(f"feature column {column_name(column)!r} is a {kind}, which has no exact Keras 3 equivalent")
    return translate(graph, column)
