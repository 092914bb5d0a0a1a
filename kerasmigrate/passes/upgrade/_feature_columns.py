"""Feature columns (tf.feature_column, as DenseFeatures serializes them) -> Keras 3 layers.

Each column becomes the layers that compute its dense output exactly as TensorFlow's
feature_column_v2.py does (tensorflow/python/feature_column/feature_column_v2.py, TF 2.2-2.15):

* NumericColumn: the input cast to float32 (`_transform_input_tensor`; Rescaling(1, 0)
  casts), flattened to (batch, elements) (`_process_dense_tensor`). A `normalizer_fn` is
  Python code and is refused.
* BucketizedColumn: `math_ops._bucketize` of the float32 source (the Bucketize op that
  Discretization calls on TensorFlow), one-hot over len(boundaries) + 1 buckets.
* Categorical ids, with the ignored value dropped first (`_to_sparse_input_and_drop_ignore_values`:
  '' for strings, -1 for integers):
  - vocabulary list (`index_table_from_tensor`): vocabulary ids first, then `num_oov_buckets`
    ids by `string_to_hash_bucket_fast` (FarmHash Fingerprint64 of the string, of `as_string`
    for integers), or `default_value` -1 (dropped) without OOV buckets. StringLookup /
    IntegerLookup put OOV indices first and hash the same way (`oov_method="farmhash"`), so a
    second IntegerLookup (mask 0, no OOV index) reorders the ids into the column's;
  - hashed (`string_to_hash_bucket_fast`, of `as_string` for integers): Hashing without salt
    computes the same; its `mask_value` maps the ignored value to 0, the others to hash + 1;
  - identity: ids below `num_buckets` kept, the others (TensorFlow fails on them) dropped;
  - crossed (`sparse_cross_hashed` of raw features as they come and of bucketized columns' ids,
    the default hash key): HashedCrossing runs the same op with the same key. A cross of another
    categorical column's ids is refused: Keras lookups number them differently.
* IndicatorColumn: the sum of one-hots of the ids (`transform_feature`, reduce_sum over the
  values), -1 giving none: IntegerLookup(output_mode="count") on the ids above.
* EmbeddingColumn: _dense_columns.py.

DenseFeatures concatenates the columns sorted by name (`DenseFeatures.__init__` sorts them). Column
kinds without an exact Keras 3 equivalent are refused, named.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from kerasmigrate.passes.refusal import Refusal

FLOAT = "float32"
IGNORED = {"string": "", "int64": -1, "int32": -1}


@dataclass
class Graph:
    """The layers being built (Keras 2 functional entries) and the model inputs by feature key."""

    shapes: dict  # feature key -> [None, ...] as the model recorded them (may be empty)
    asset: object = None  # Source.asset: a SavedModel's asset file by its recorded path
    layers: list = field(default_factory=list)
    inputs: dict = field(default_factory=dict)  # key -> (layer name, dtype)
    ids: dict = field(default_factory=dict)  # a categorical column (as stored) -> its ids and their order
    dtypes: dict = field(default_factory=dict)  # feature key -> the dtype a column declares for it

    def declare(self, column) -> None:
        """Record the dtypes the columns (nested ones too) declare for their keys."""
        if isinstance(column, list):
            for item in column:
                self.declare(item)
        elif isinstance(column, dict):
            config = column.get("config")
            if isinstance(config, dict) and isinstance(config.get("key"), str):
                self.dtypes.setdefault(config["key"], config.get("dtype") or "string")
            for value in (config or {}).values() if isinstance(config, dict) else ():
                self.declare(value)

    def add(self, class_name: str, name: str, config: dict, inbound: str | list[str]) -> str:
        taken = {entry["name"] for entry in self.layers}
        base, n = name, 0
        while name in taken:  # two categorical columns of one key share their name
            n += 1
            name = f"{base}_{n}"
        entry = {"class_name": class_name, "config": {"name": name, **config}}
        entry["name"] = name
        entry["inbound_nodes"] = [[[ref, 0, 0, {}] for ref in ([inbound] if isinstance(inbound, str) else inbound)]]
        self.layers.append(entry)
        return name

    def input(self, key, dtype: str, shape: list | None = None) -> str:
        if not isinstance(key, str) or not key:
            raise Refusal(f"a feature column has the key {key!r}; feature keys are non-empty strings")
        if key in self.inputs:
            if self.inputs[key][1] != dtype:
                raise Refusal(f"feature {key!r} is read as {self.inputs[key][1]} and as {dtype} by different columns")
            return self.inputs[key][0]
        recorded = self.shapes.get(key)
        batch_shape = list(recorded) if isinstance(recorded, list) and recorded else [None, *(shape or [1])]
        config = {"batch_input_shape": batch_shape, "dtype": dtype, "sparse": False, "name": key}
        self.layers.append({"class_name": "InputLayer", "name": key, "config": config, "inbound_nodes": []})
        self.inputs[key] = (key, dtype)
        return key

    def width(self, key: str) -> int | None:
        shape = self.shapes.get(key)
        return shape[-1] if isinstance(shape, list) and len(shape) == 2 else None


def column_parts(column) -> tuple[str, dict]:
    if not isinstance(column, dict) or not isinstance(column.get("config"), dict):
        raise Refusal(f"a feature column is stored as {type(column).__name__}, not a class_name/config entry")
    return column.get("class_name"), column["config"]


def column_name(column) -> str:
    """The column's `name` as feature_column_v2.py defines it (the DenseFeatures sort key)."""
    kind, config = column_parts(column)
    if kind in ("BucketizedColumn",):
        return column_name(config.get("source_column")) + "_bucketized"
    if kind in ("IndicatorColumn", "EmbeddingColumn"):
        suffix = "_indicator" if kind == "IndicatorColumn" else "_embedding"
        return column_name(config.get("categorical_column")) + suffix
    if kind == "CrossedColumn":
        keys = config.get("keys") or []
        return "_X_".join(sorted(k if isinstance(k, str) else column_name(k) for k in keys))
    if kind == "WeightedCategoricalColumn":
        return f"{column_name(config.get('categorical_column'))}_weighted_by_{config.get('weight_feature_key')}"
    key = config.get("key")
    if not isinstance(key, str):
        raise Refusal(f"a feature column of kind {kind} has no exact Keras 3 equivalent")
    return key


def _shape(config: dict) -> list[int]:
    shape = config.get("shape") or [1]
    if not isinstance(shape, list) or not all(isinstance(d, int) and d > 0 for d in shape):
        raise Refusal(f"numeric column {config.get('key')!r} has the shape {shape!r}")
    return shape


def _numeric_float(graph: Graph, column, suffix: str) -> tuple[str, list[int]]:
    """The NumericColumn's transformed tensor (float32, the column's shape) and its shape."""
    kind, config = column_parts(column)
    if kind != "NumericColumn":
        raise Refusal(f"a bucketized column's source is a {kind}; feature_column_v2 takes a NumericColumn")
    if config.get("normalizer_fn") is not None:
        raise Refusal(
            f"numeric column {config.get('key')!r} has a normalizer_fn ({config['normalizer_fn']!r}), "
            "Python code that cannot be translated"
        )
    shape = _shape(config)
    dtype = config.get("dtype") or FLOAT
    ref = graph.input(config.get("key"), dtype, shape)
    if dtype != FLOAT:
        ref = graph.add("Rescaling", f"{column_name(column)}_{suffix}", {"scale": 1.0, "offset": 0.0}, ref)
    return ref, shape


def numeric(graph: Graph, column) -> str:
    ref, shape = _numeric_float(graph, column, "float32")
    return graph.add("Flatten", f"{column_name(column)}_flat", {}, ref) if len(shape) > 1 else ref


def bucketized(graph: Graph, column) -> str:
    _, config = column_parts(column)
    boundaries = config.get("boundaries")
    if not isinstance(boundaries, list) or not all(isinstance(b, (int, float)) for b in boundaries):
        raise Refusal(f"bucketized column {column_name(column)!r} has the boundaries {boundaries!r}")
    source, shape = _numeric_float(graph, config.get("source_column"), "source")
    name = column_name(column)
    bins = {"bin_boundaries": [float(b) for b in boundaries], "output_mode": "one_hot", "dtype": FLOAT}
    ref = graph.add("Discretization", name if shape == [1] else f"{name}_one_hot", bins, source)
    return ref if shape == [1] else graph.add("Flatten", name, {}, ref)


def _key_dtype(config: dict, name: str) -> str:
    dtype = config.get("dtype") or "string"
    if dtype not in IGNORED:
        raise Refusal(f"categorical column {name!r} has the dtype {dtype!r}")
    return dtype


def _file_vocabulary(graph: Graph, config: dict, name: str, dtype: str) -> list:
    """A vocabulary file's first `vocabulary_size` lines, as `index_table_from_file` reads them
    (TextFileInitializer: one key per line, split on newlines; integers parsed)."""
    path = config.get("vocabulary_file")
    size = config.get("vocabulary_size")
    data = graph.asset(path) if graph.asset is not None and isinstance(path, str) else None
    if data is None:
        raise Refusal(
            f"vocabulary file column {name!r} reads {path!r}, which the model file does not hold "
            "(a SavedModel keeps it in assets/; an .h5 file only names it)"
        )
    if config.get("file_format") not in (None, "text") or not isinstance(size, int) or size < 1:
        raise Refusal(f"vocabulary file column {name!r}: file_format {config.get('file_format')!r}, size {size!r}")
    try:
        lines = data.decode("utf-8").split("\n")
        lines = (lines[:-1] if lines[-1] == "" else lines)[:size]  # no line after the last newline
    except UnicodeDecodeError:
        raise Refusal(f"vocabulary file column {name!r}: {path!r} is not UTF-8 text") from None
    # Carriage returns and repeated keys: where TensorFlow's reading is not certainly Keras's, refused.
    if len(lines) < size or any(line.endswith("\r") for line in lines) or len(set(lines)) < len(lines):
        raise Refusal(f"vocabulary file column {name!r}: {path!r} has fewer than {size} distinct lines ending in \\n")
    try:
        return lines if dtype == "string" else [int(line) for line in lines]
    except ValueError:
        raise Refusal(f"vocabulary file column {name!r}: {path!r} holds a line that is not an integer") from None


def _vocabulary_list(graph: Graph, column) -> tuple[str, list[int], int | None]:
    """Ids after a lookup, the id of each column id in the column's order, and the id of a dropped value."""
    kind, config = column_parts(column)
    name = column_name(column)
    dtype = _key_dtype(config, name)
    if kind == "VocabularyFileCategoricalColumn":
        vocabulary = _file_vocabulary(graph, config, name, dtype)
    else:
        vocabulary = config.get("vocabulary_list")
    oov = config.get("num_oov_buckets") or 0
    if not isinstance(vocabulary, list) or not vocabulary or not isinstance(oov, int) or oov < 0:
        raise Refusal(f"vocabulary column {name!r}: vocabulary {vocabulary!r}, num_oov_buckets {oov!r}")
    if oov == 0 and config.get("default_value", -1) != -1:
        raise Refusal(
            f"vocabulary column {name!r} maps unknown values to id {config['default_value']!r}: "
            "no Keras lookup gives an unknown value a vocabulary id"
        )
    ignored = IGNORED[dtype]
    kept = [v for v in vocabulary if v != ignored]  # the ignored value is dropped before the lookup
    # With OOV buckets the ignored value is the mask (index 0) and the buckets follow it; without,
    # it shares the one OOV index 0 with the unknown values, which the column drops too.
    lookup = {"vocabulary": kept, "num_oov_indices": max(oov, 1), "mask_token": ignored if oov else None}
    if oov > 1:
        lookup["oov_method"] = "farmhash"
    if dtype != "string":
        lookup.update(vocabulary_dtype="int64", oov_token=min([*kept, -1]) - 1)
    first = 1 + oov
    unused = first + len(kept)  # stands for the ignored value's id, which no input reaches
    ids = {v: first + i for i, v in enumerate(kept)}
    order = [ids.get(v, unused) for v in vocabulary] + list(range(1, oov + 1))
    source = graph.input(config.get("key"), dtype)
    ref = graph.add("StringLookup" if dtype == "string" else "IntegerLookup", f"{name}_lookup", lookup, source)
    return ref, order, 0


def _hashed(graph: Graph, column) -> tuple[str, list[int], int | None]:
    _, config = column_parts(column)
    name = column_name(column)
    dtype = _key_dtype(config, name)
    buckets = config.get("hash_bucket_size")
    if not isinstance(buckets, int) or buckets < 1:
        raise Refusal(f"hashed column {name!r} has hash_bucket_size {buckets!r}")
    source = graph.input(config.get("key"), dtype)
    ref = graph.add("Hashing", f"{name}_hash", {"num_bins": buckets + 1, "mask_value": IGNORED[dtype]}, source)
    return ref, list(range(1, buckets + 1)), 0


def _identity(graph: Graph, column) -> tuple[str, list[int], int | None]:
    _, config = column_parts(column)
    name = column_name(column)
    buckets = config.get("number_buckets", config.get("num_buckets"))
    if not isinstance(buckets, int) or buckets < 1 or config.get("default_value") is not None:
        raise Refusal(
            f"identity column {name!r}: num_buckets {buckets!r}, default_value {config.get('default_value')!r}"
        )
    source = graph.input(config.get("key"), "int64")
    lookup = {"vocabulary": list(range(buckets)), "num_oov_indices": 1, "mask_token": None, "vocabulary_dtype": "int64"}
    return graph.add("IntegerLookup", f"{name}_lookup", lookup, source), list(range(1, buckets + 1)), 0


def _cross_key(graph: Graph, key, crossed: str) -> str:
    """One leaf of a cross as feature_column_v2 crosses it: a raw feature as it comes (not dropping
    the ignored value), a bucketized column's bucket ids; other columns' ids are refused."""
    if isinstance(key, str):
        if graph.width(key) != 1:
            raise Refusal(f"crossed column {crossed!r} crosses feature {key!r} of more than one value per row")
        # As another column reads it; else a string (an int64 feed then fails, it is not hashed otherwise).
        return graph.input(key, graph.dtypes.get(key, "string"))
    kind, config = column_parts(key)
    if kind == "BucketizedColumn":
        source, shape = _numeric_float(graph, config.get("source_column"), "source")
        if shape != [1]:
            raise Refusal(f"crossed column {crossed!r} crosses a bucketized column of shape {shape}")
        bins = {"bin_boundaries": [float(b) for b in config.get("boundaries") or []], "output_mode": "int"}
        return graph.add("Discretization", f"{column_name(key)}_ids", bins, source)
    raise Refusal(
        f"crossed column {crossed!r} crosses the ids of {kind} {column_name(key)!r}, which Keras 3's "
        "lookups number differently (out-of-vocabulary ids first)"
    )


def _leaf_keys(column) -> list:
    keys = []
    for key in column_parts(column)[1].get("keys") or []:
        keys.extend(_leaf_keys(key) if isinstance(key, dict) and key.get("class_name") == "CrossedColumn" else [key])
    return keys


def _crossed(graph: Graph, column) -> tuple[str, list[int], int | None]:
    """`sparse_cross_hashed` of the leaf keys, with the default hash key: HashedCrossing runs the
    same op (tf.sparse.cross_hashed) with the same default key."""
    _, config = column_parts(column)
    name = column_name(column)
    buckets = config.get("hash_bucket_size")
    keys = _leaf_keys(column)
    if config.get("hash_key") is not None or not isinstance(buckets, int) or buckets < 1 or len(keys) < 2:
        raise Refusal(f"crossed column {name!r}: hash_bucket_size {buckets!r}, hash_key {config.get('hash_key')!r}")
    sources = [_cross_key(graph, key, name) for key in keys]
    ref = graph.add("HashedCrossing", f"{name}_cross", {"num_bins": buckets, "output_mode": "int"}, sources)
    return ref, list(range(buckets)), None


CATEGORICAL = {
    "CrossedColumn": _crossed,
    "VocabularyListCategoricalColumn": _vocabulary_list,
    "VocabularyFileCategoricalColumn": _vocabulary_list,
    "HashedCategoricalColumn": _hashed,
    "IdentityCategoricalColumn": _identity,
}


def category_counts(graph: Graph, column, name: str) -> tuple[str, int, str]:
    """The per-id counts of a categorical column (its indicator output), the number of ids, and the
    ids themselves (0 for a dropped value, where the column drops some)."""
    kind, _ = column_parts(column)
    ids = CATEGORICAL.get(kind)
    if ids is None:
        raise Refusal(f"feature column {column_name(column)!r} is a {kind}, which has no exact Keras 3 equivalent")
    stored = json.dumps(column, sort_keys=True)
    if stored not in graph.ids:  # an indicator and an embedding of one column look its ids up once
        graph.ids[stored] = ids(graph, column)
    ref, order, dropped = graph.ids[stored]
    counts = {
        "vocabulary": order,
        "num_oov_indices": 0,
        "mask_token": dropped,
        "output_mode": "count",
        "vocabulary_dtype": "int64",
        "oov_token": -1,
        "dtype": FLOAT,
    }
    return graph.add("IntegerLookup", name, counts, ref), len(order), ref


def indicator(graph: Graph, column) -> str:
    _, config = column_parts(column)
    return category_counts(graph, config.get("categorical_column"), column_name(column))[0]
