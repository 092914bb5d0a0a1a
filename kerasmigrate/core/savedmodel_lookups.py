"""The vocabularies of adapted lookup layers in a SavedModel, read as data and put into their configs.

A StringLookup, IntegerLookup or TextVectorization that learned its vocabulary
with `adapt()` records `vocabulary: null` in its config; the tokens live in a
TensorFlow lookup table, which the SavedModel keeps in one of two places:

* TF 2.3-2.5 (tensorflow/python/keras/layers/preprocessing/index_lookup.py,
  table_utils.py): a MutableHashTable, child `_table` of the layer (of its
  `_index_lookup_layer` for TextVectorization), saved in the checkpoint under
  its attribute `table` as `<key>-keys` and `<key>-values`
  (tensorflow/python/ops/lookup_ops.py MutableHashTable `_serialize_to_tensors`).
  The table also maps the mask and OOV tokens (indices below the first token).
* TF 2.6-2.15 and tf_keras (tf_keras/layers/preprocessing/index_lookup.py
  `_lookup_table_from_tokens`): a StaticHashTable, child `lookup_table` (of
  `_lookup_layer` for TextVectorization), whose KeyValueTensorInitializer's keys
  and values are constants captured by the table's `_initialize` function: the
  function's `LookupTableImportV2` / `InitializeTableV2` node names its keys and
  values arguments, the captured ones are bound to object graph nodes
  (SavedConcreteFunction.bound_inputs), each a SavedConstant naming a `Const`
  node of the MetaGraph's GraphDef, whose `value` is a TensorProto. A layer
  given a vocabulary file has a TextFileInitializer instead: its
  `InitializeTableFromTextFileV2` node reads a captured asset, one of the
  MetaGraph's AssetFileDefs, copied into `assets/`; its config has no vocabulary.

TF-IDF weights are a variable: `idf_weights` of the lookup layer (tf_keras), or
`tf_idf_weights` of TextVectorization's `_vectorize_layer` (TF 2.2-2.5); indexed
like the table (special tokens first).

Field numbers (tensorflow/core/protobuf, framework): SavedObjectGraph {nodes 1,
concrete_functions 2 (map: key 1, value 2)}; SavedObject {children 1, asset 5,
function 6, constant 9}; SavedAsset {asset_file_def_index 1}; SavedFunction {concrete_functions 1}; SavedConcreteFunction
{bound_inputs 2}; SavedConstant {operation 1}; MetaGraphDef {graph_def 2,
asset_file_def 6, object_graph_def 7}; AssetFileDef {filename 2}; GraphDef {node 1, library 2}; FunctionDefLibrary
{function 1}; FunctionDef {signature 1, node_def 3}; OpDef {name 1, input_arg 2};
ArgDef {name 1}; NodeDef {name 1, op 2, input 3, attr 5 (map: key 1, value 2)};
AttrValue {tensor 8}; TensorProto {dtype 1, tensor_shape 2, tensor_content 4,
float_val 5, int_val 7, string_val 8, int64_val 10}.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kerasmigrate.core import protowire
from kerasmigrate.core.protowire import ProtoError
from kerasmigrate.core.safe_open import read_regular
from kerasmigrate.core.savedmodel_graph import SAVED_MODEL_PB, parse_file
from kerasmigrate.core.savedmodel_keras import KERAS_MODEL_IDENTIFIERS, Metadata, metadata_json
from kerasmigrate.core.savedmodel_weights import VARIABLE_VALUE, Graphs
from kerasmigrate.core.tensor_bundle import DT_STRING, DTYPES, BundleError
from kerasmigrate.core.validate.limits import MAX_MODEL_DEPTH, MAX_VOCABULARY_TOKENS
from kerasmigrate.core.weight_ref import WeightRef
from kerasmigrate.errors import TruncatedFileError, UnsupportedError

LOOKUP_CLASSES = {"StringLookup", "IntegerLookup", "TextVectorization"}
INNER_LOOKUP = ("_lookup_layer", "_index_lookup_layer")  # TextVectorization's lookup: tf_keras, TF 2.2-2.5
TABLES = ("lookup_table", "_table")  # StaticHashTable (tf_keras, TF 2.6+), MutableHashTable (TF 2.3-2.5)
TABLE_IMPORT_OPS = {"LookupTableImportV2", "InitializeTableV2"}
TEXT_FILE_OP = "InitializeTableFromTextFileV2"
WHOLE_LINE, LINE_NUMBER = -2, -1  # tensorflow/python/ops/lookup_ops.py TextFileIndex
CHECKPOINT_TABLE = "table"


@dataclass(frozen=True)
class LookupTable:
    """A lookup layer's table as stored (token -> index; index -> token if the layer inverts)."""

    keys: np.ndarray
    values: np.ndarray
    idf_weights: np.ndarray | None
    idf_ref: WeightRef | None  # the variable, the layer's one weight in Keras 3 (tf_idf mode)
    adapt_keys: frozenset[str]  # checkpoint keys of what only adapt() uses (num_documents)


class _MetaGraph:
    """What the static tables need of saved_model.pb: object nodes, functions, constants."""

    def __init__(self, path: Path):
        pb_path = path / SAVED_MODEL_PB
        self.path = pb_path
        try:
            meta = protowire.messages(parse_file(pb_path, "SavedModel"), 2)[0]
            graph = protowire.message(meta, 2)
            objects = protowire.message(meta, 7)
            self.nodes = protowire.messages(objects, 1)
            self.assets = [protowire.text(a, 2) for a in protowire.messages(meta, 6)]  # AssetFileDef.filename
            self.concrete = {protowire.text(e, 1): protowire.message(e, 2) for e in protowire.messages(objects, 2)}
            self.graph_nodes = {protowire.text(n, 1): n for n in protowire.messages(graph, 1)}
            self.functions = {
                protowire.text(protowire.message(f, 1), 1): f
                for f in protowire.messages(protowire.message(graph, 2), 1)
            }
        except (ProtoError, IndexError) as exc:
            raise TruncatedFileError(pb_path, f"is garbled ({exc})") from None

    def initializer_tensors(self, table_id: int, owner: str) -> tuple[np.ndarray, np.ndarray]:
        """The keys and values a static table's `_initialize` function puts into it."""
        initialize = next((c for name, c in _children(self.nodes[table_id]) if name == "_initialize"), None)
        function = protowire.message(self.nodes[initialize], 6) if initialize is not None else {}
        names = [n.decode("utf-8", "replace") for n in function.get(1, [])]
        if not names or names[0] not in self.functions:
            raise UnsupportedError(self.path, f"the lookup table of layer {owner!r} has no initializer function")
        bound = _packed_integers(self.concrete.get(names[0], {}).get(2, []))
        function_def = self.functions[names[0]]
        args = [protowire.text(a, 1) for a in protowire.messages(protowire.message(function_def, 1), 2)]
        captured = dict(zip(args[len(args) - len(bound) :], bound))  # captures are the last arguments
        for node in protowire.messages(function_def, 3):
            op = protowire.text(node, 2)
            inputs = [i.decode("utf-8", "replace").split(":")[0] for i in node.get(3, [])]
            if op in TABLE_IMPORT_OPS and len(inputs) >= 3 and all(i in captured for i in inputs[1:3]):
                return self._constant(captured[inputs[1]], owner), self._constant(captured[inputs[2]], owner)
            if op == TEXT_FILE_OP and len(inputs) >= 2 and inputs[1] in captured:
                return self._text_file(node, captured[inputs[1]], owner)
        raise UnsupportedError(
            self.path, f"the lookup table of layer {owner!r} is not initialized from constants or a vocabulary file"
        )

    def _text_file(self, node: protowire.Message, asset_id: int, owner: str) -> tuple[np.ndarray, np.ndarray]:
        """A TextFileInitializer's keys and values: each line of the asset file (WHOLE_LINE, -2)
        and its line number plus `offset` (LINE_NUMBER, -1), in the roles its attributes give
        (tensorflow/core/kernels/lookup_util.cc: lines end at \\n, a trailing \\r dropped)."""
        attrs = {protowire.text(a, 1): protowire.message(a, 2) for a in protowire.messages(node, 5)}
        key_index, value_index = (protowire.integer(attrs.get(k, {}), 3) for k in ("key_index", "value_index"))
        if {key_index, value_index} != {WHOLE_LINE, LINE_NUMBER}:
            raise UnsupportedError(
                self.path, f"the vocabulary file of layer {owner!r} has columns; only one token per line is read"
            )
        asset = self.nodes[asset_id] if 0 <= asset_id < len(self.nodes) else {}
        index = protowire.integer(protowire.message(asset, 5), 1) if 5 in asset else -1
        if not 0 <= index < len(self.assets):
            raise UnsupportedError(self.path, f"the vocabulary file of layer {owner!r} is not among the assets")
        asset_path = self.path.parent / "assets" / self.assets[index]
        try:
            text = read_regular(asset_path, within=self.path.parent)
        except OSError as exc:
            raise TruncatedFileError(asset_path, f"cannot be read: {exc}") from None
        lines = text.split(b"\n")[:-1] if text.endswith(b"\n") else text.split(b"\n")
        vocab_size = protowire.integer(attrs.get("vocab_size", {}), 3, -1)
        lines = lines[:vocab_size] if vocab_size >= 0 else lines
        tokens = np.empty(len(lines), dtype=object)
        tokens[:] = [line[:-1] if line.endswith(b"\r") else line for line in lines]
        numbers = np.arange(len(lines), dtype=np.int64) + protowire.integer(attrs.get("offset", {}), 3)
        return (tokens, numbers) if key_index == WHOLE_LINE else (numbers, tokens)

    def _constant(self, node_id: int, owner: str) -> np.ndarray:
        node = self.nodes[node_id] if 0 <= node_id < len(self.nodes) else {}
        operation = protowire.text(protowire.message(node, 9), 1) if 9 in node else ""
        graph_node = self.graph_nodes.get(operation)
        if graph_node is None:
            raise UnsupportedError(
                self.path, f"the lookup table of layer {owner!r} is initialized from something other than a constant"
            )
        attrs = {protowire.text(a, 1): protowire.message(a, 2) for a in protowire.messages(graph_node, 5)}
        return _tensor(self.path, protowire.message(attrs.get("value", {}), 8))


def _children(node: protowire.Message) -> list[tuple[str, int]]:
    return [(protowire.text(c, 2), protowire.integer(c, 1)) for c in protowire.messages(node, 1)]


def _packed_integers(values: list) -> list[int]:
    out: list[int] = []
    for value in values:
        if isinstance(value, int):
            out.append(value)
            continue
        pos = 0
        while pos < len(value):
            number, pos = protowire.read_varint(value, pos)
            out.append(number)
    return out


def _tensor(path: Path, proto: protowire.Message) -> np.ndarray:
    """A TensorProto's value: a 1-D array (strings as bytes)."""
    dtype = protowire.integer(proto, 1)
    dims = [protowire.integer(d, 1) for d in protowire.messages(protowire.message(proto, 2), 2)]
    count = int(np.prod(dims, dtype=np.int64))
    if not 0 <= count <= MAX_VOCABULARY_TOKENS:
        raise UnsupportedError(
            path, f"a lookup table constant of shape {dims} is beyond {MAX_VOCABULARY_TOKENS} tokens"
        )
    if dtype == DT_STRING:
        values = np.empty(len(proto.get(8, [])), dtype=object)
        values[:] = proto.get(8, [])
    elif dtype in DTYPES and 4 in proto:
        values = np.frombuffer(protowire.first(proto, 4), dtype=DTYPES[dtype])
    elif dtype in (3, 9):  # DT_INT32, DT_INT64 as varints
        numbers = _packed_integers(proto.get(7 if dtype == 3 else 10, []))
        values = np.array([n - (1 << 64) if n >= 1 << 63 else n for n in numbers], dtype=DTYPES[dtype])
    elif dtype == 1:  # DT_FLOAT as fixed32
        raw = b"".join(v if isinstance(v, bytes) else struct.pack("<I", v) for v in proto.get(5, []))
        values = np.frombuffer(raw, dtype="<f4")
    else:
        raise UnsupportedError(path, f"a lookup table constant has dtype {dtype}, which is not read")
    if len(values) == 1 and count > 1:  # a constant of one repeated value is stored once
        values = np.repeat(values, count)
    if len(values) != count:
        raise TruncatedFileError(path, f"a lookup table constant holds {len(values)} values for shape {dims}")
    return values


def lookup_tables(graphs: Graphs, metadata: Metadata) -> dict[tuple[str, ...], LookupTable]:
    """Each lookup layer's table, by the names from the root model down to the layer."""
    found: dict[tuple[str, ...], LookupTable] = {}
    meta_graph: list[_MetaGraph] = []  # parsed once, when a static table needs it

    def walk(node_id: int, prefix: tuple[str, ...], depth: int) -> None:
        for name, child in graphs.saved[node_id].children:
            if not name.startswith("layer-") or child not in metadata:
                continue
            identifier, text = metadata[child]
            layer = metadata_json(graphs.path, text, f"layer object {child}")
            if not isinstance(layer, dict) or not isinstance(layer.get("name"), str):
                continue
            path = prefix + (layer["name"],)
            if identifier in KERAS_MODEL_IDENTIFIERS and depth < MAX_MODEL_DEPTH:
                walk(child, path, depth + 1)
            elif layer.get("class_name") in LOOKUP_CLASSES:
                table = _layer_table(graphs, child, layer["name"], meta_graph)
                if table is not None:
                    found[path] = table

    walk(0, (), 0)
    return found


def _layer_table(graphs: Graphs, layer_id: int, owner: str, meta_graph: list[_MetaGraph]) -> LookupTable | None:
    saved = graphs.saved
    lookup = next((c for n in INNER_LOOKUP if (c := saved[layer_id].child(n)) is not None), layer_id)
    table_id = next((c for n in TABLES if (c := saved[lookup].child(n)) is not None), None)
    if table_id is None:
        return None
    key = _checkpoint_key(graphs, table_id, CHECKPOINT_TABLE)
    try:
        if key is not None and f"{key}-keys" in graphs.bundle.entries:
            keys, values = graphs.bundle.read(f"{key}-keys"), graphs.bundle.read(f"{key}-values")
        else:
            if not meta_graph:
                meta_graph.append(_MetaGraph(graphs.path))
            keys, values = meta_graph[0].initializer_tensors(table_id, owner)
        idf_ref = _idf_weights(graphs, layer_id, lookup, owner)
        idf = graphs.bundle.read(idf_ref.dataset_path) if idf_ref is not None else None
    except BundleError as exc:
        raise TruncatedFileError(exc.path, exc.message) from None
    except (ProtoError, ValueError) as exc:  # saved_model.pb's nested messages are decoded as they are read
        raise TruncatedFileError(
            graphs.path / SAVED_MODEL_PB, f"is garbled where layer {owner!r}'s table is ({exc})"
        ) from None
    if keys.ndim != 1 or keys.shape != values.shape:
        raise TruncatedFileError(graphs.bundle.index_path, f"the lookup table of layer {owner!r} is garbled")
    if keys.shape[0] > MAX_VOCABULARY_TOKENS:
        raise UnsupportedError(
            graphs.path, f"the lookup table of layer {owner!r} holds more than {MAX_VOCABULARY_TOKENS} tokens"
        )
    counted = (
        _checkpoint_key(graphs, graphs.saved[n].child("num_documents"), VARIABLE_VALUE) for n in (lookup, layer_id)
    )
    return LookupTable(keys, values, idf, idf_ref, frozenset(k for k in counted if k is not None))


def _checkpoint_key(graphs: Graphs, saved_id: int | None, attribute: str) -> str | None:
    ck_id = graphs.pairs.get(saved_id) if saved_id is not None else None
    attrs = graphs.checkpoint[ck_id].attributes if ck_id is not None else {}
    return attrs[attribute][1] if attribute in attrs else None


def _idf_weights(graphs: Graphs, layer_id: int, lookup_id: int, owner: str) -> WeightRef | None:
    saved = graphs.saved
    vectorize = saved[layer_id].child("_vectorize_layer")
    candidates = [(lookup_id, "idf_weights"), (layer_id, "idf_weights"), (vectorize, "tf_idf_weights")]
    for node, name in candidates:
        key = _checkpoint_key(graphs, saved[node].child(name), VARIABLE_VALUE) if node is not None else None
        entry = graphs.bundle.entries.get(key) if key is not None else None
        if entry is not None and entry.numpy_dtype is not None:
            return WeightRef(f"{owner}/idf_weights:0", key, entry.shape, entry.numpy_dtype)
    return None


def lookup_weights(
    tables: dict[tuple[str, ...], LookupTable], weights: dict[str, list[WeightRef]]
) -> dict[str, list[WeightRef]]:
    """The stored weights, a top-level lookup layer's being its TF-IDF weights alone (Keras 3
    keeps no other variable; TextVectorization lists none of its lookup's), and what only
    adapt() uses dropped everywhere."""
    adapt_only = frozenset().union(*(t.adapt_keys for t in tables.values()))
    kept = {name: [r for r in refs if r.dataset_path not in adapt_only] for name, refs in weights.items()}
    for path, table in tables.items():
        if len(path) == 1 and path[0] in kept:
            kept[path[0]] = [table.idf_ref] if table.idf_ref is not None else []
    return kept


def with_vocabularies(path: Path, model_config: dict, tables: dict[tuple[str, ...], LookupTable]) -> dict:
    """The model config with each adapted lookup layer's vocabulary (and TF-IDF weights) from its table."""

    def restored(layer: dict, prefix: tuple[str, ...]) -> dict:
        config = layer.get("config")
        if not isinstance(config, dict):
            return layer
        here = prefix + (config.get("name"),)
        if isinstance(config.get("layers"), list):  # a nested model
            return {**layer, "config": {**config, "layers": [restored(inner, here) for inner in config["layers"]]}}
        table = tables.get(here)
        # a list is the vocabulary itself; null (adapted) or a string (the writer's path to a
        # vocabulary file, now an asset) are what the table holds
        if table is None or layer.get("class_name") not in LOOKUP_CLASSES or isinstance(config.get("vocabulary"), list):
            return layer
        return {**layer, "config": {**config, **_vocabulary_config(path, layer["class_name"], config, table)}}

    config = model_config["config"]
    return {**model_config, "config": {**config, "layers": [restored(layer, ()) for layer in config["layers"]]}}


def _token_start(class_name: str, config: dict) -> int:
    """The first token's index: the mask's (if any) and the OOV indices come first, as the
    writer and Keras 3 both lay them out (index_lookup.py `_token_start_index`)."""
    if class_name == "TextVectorization":  # mask "" only in "int" mode, one OOV index
        return 2 if config.get("output_mode") in ("int", None) else 1
    # TF 2.3-2.5 IntegerLookup: mask_value (default 0)
    mask = config["mask_token"] if "mask_token" in config else config.get("mask_value")
    return (mask is not None) + int(config.get("num_oov_indices", 1))


def _vocabulary_config(path: Path, class_name: str, config: dict, table: LookupTable) -> dict:
    """`vocabulary` (tokens in index order, the mask and OOV entries left to the layer) and
    `idf_weights` (the tokens' part: Keras 3 takes the special tokens' from the weights file)."""
    name = config.get("name")
    indices, tokens = (table.keys, table.values) if config.get("invert") else (table.values, table.keys)
    order = np.argsort(indices, kind="stable")
    start = _token_start(class_name, config)
    kept = indices[order] >= start
    indices, tokens = indices[order][kept], tokens[order][kept]
    if not np.array_equal(indices, np.arange(start, start + len(indices))):
        raise UnsupportedError(
            path, f"the lookup table of layer {name!r} ({class_name}) does not map its tokens to consecutive indices"
        )
    if tokens.dtype.kind in "OS" and class_name == "IntegerLookup":  # lines of a vocabulary file
        try:
            vocabulary = [int(t) for t in tokens]
        except ValueError:
            raise UnsupportedError(
                path, f"the vocabulary file of layer {name!r} holds a line that is no integer"
            ) from None
    elif tokens.dtype.kind in "OS":  # strings, as bytes
        try:
            vocabulary = [t.decode("utf-8") for t in tokens]
        except UnicodeDecodeError:
            raise UnsupportedError(path, f"the vocabulary of layer {name!r} holds tokens that are not UTF-8") from None
    else:
        vocabulary = [int(t) for t in tokens]
    if not vocabulary:
        return {}
    out: dict = {"vocabulary": vocabulary}
    if table.idf_weights is not None and str(config.get("output_mode")).replace("-", "_") == "tf_idf":
        if table.idf_weights.shape[0] < start + len(vocabulary):
            raise TruncatedFileError(path, f"the TF-IDF weights of layer {name!r} are shorter than its vocabulary")
        out["idf_weights"] = [float(w) for w in table.idf_weights[start : start + len(vocabulary)]]
    return out
