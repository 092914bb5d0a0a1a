"""The object graphs of a SavedModel, read as protocol buffers: `saved_model.pb`'s
SavedObjectGraph and the checkpoint's TrackableObjectGraph, paired node by node.

Field numbers: see core/savedmodel.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kerasmigrate.core import protowire
from kerasmigrate.core.protowire import ProtoError
from kerasmigrate.core.safe_open import read_regular
from kerasmigrate.core.tensor_bundle import BundleError, TensorBundle
from kerasmigrate.errors import MalformedConfigError, TruncatedFileError, UnsupportedError

SAVED_MODEL_PB = "saved_model.pb"
OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"


@dataclass
class Node:
    """One object of a graph: its children (name -> node id) and what it holds."""

    children: list[tuple[str, int]]
    identifier: str = ""  # SavedUserObject.identifier
    metadata: str = ""  # SavedUserObject.metadata (TF ≤ 2.4 Keras metadata)
    variable_name: str | None = None  # SavedVariable.name
    trainable: bool = False  # SavedVariable.trainable
    attributes: dict[str, tuple[str, str]] = field(default_factory=dict)  # name -> (full_name, key)
    slot_variables: list[tuple[int, str, int]] = field(default_factory=list)

    def child(self, name: str) -> int | None:
        for local, node_id in self.children:
            if local == name:
                return node_id
        return None


def parse_file(path: Path, what: str) -> protowire.Message:
    """A protocol buffer file of a SavedModel directory (its parent), read if it is a regular file there."""
    try:
        data = read_regular(path, within=path.parent)
    except OSError as exc:
        raise TruncatedFileError(path, f"cannot be read: {exc}") from None
    if not data:
        raise TruncatedFileError(path, "is empty (0 bytes)")
    try:
        return protowire.parse(data)
    except ProtoError as exc:
        raise TruncatedFileError(
            path, f"is not a readable {what} protocol buffer ({exc}): truncated or damaged"
        ) from None


def object_graph_nodes(msg: protowire.Message) -> list[Node]:
    nodes = []
    for raw in protowire.messages(msg, 1):
        children = [(protowire.text(c, 2), protowire.integer(c, 1)) for c in protowire.messages(raw, 1)]
        user = protowire.message(raw, 4)
        variable = protowire.message(raw, 7) if 7 in raw else None
        nodes.append(
            Node(
                children,
                identifier=protowire.text(user, 1),
                metadata=protowire.text(user, 3),
                variable_name=protowire.text(variable, 6) if variable is not None else None,
                trainable=bool(protowire.integer(variable, 3)) if variable is not None else False,
            )
        )
    return nodes


def checkpoint_nodes(msg: protowire.Message) -> list[Node]:
    nodes = []
    for raw in protowire.messages(msg, 1):
        children = [(protowire.text(c, 2), protowire.integer(c, 1)) for c in protowire.messages(raw, 1)]
        attributes = {
            protowire.text(a, 1): (protowire.text(a, 2), protowire.text(a, 3)) for a in protowire.messages(raw, 2)
        }
        slots = [
            (protowire.integer(s, 1), protowire.text(s, 2), protowire.integer(s, 3)) for s in protowire.messages(raw, 3)
        ]
        nodes.append(Node(children, attributes=attributes, slot_variables=slots))
    return nodes


def check_references(path, nodes: list[Node], what: str) -> None:
    """Every node id a graph's children and slot variables name is a node of that graph:
    the readers index the graph with them."""
    for i, node in enumerate(nodes):
        named = [c for _, c in node.children] + [n for s in node.slot_variables for n in (s[0], s[2])]
        if outside := [n for n in named if not 0 <= n < len(nodes)]:
            raise MalformedConfigError(path, f"{what}: object {i} refers to object {outside[0]} of {len(nodes)}")


def pair_graphs(saved: list[Node], checkpoint: list[Node]) -> dict[int, int]:
    """SavedObjectGraph node id -> checkpoint node id, walking both from the root by child name."""
    pairs = {0: 0}
    queue = [0]
    while queue:
        so_id = queue.pop(0)
        ck = checkpoint[pairs[so_id]]
        for name, child in saved[so_id].children:
            ck_child = ck.child(name)
            if ck_child is None or child in pairs or not (0 <= child < len(saved)):
                continue
            if not 0 <= ck_child < len(checkpoint):
                continue
            pairs[child] = ck_child
            queue.append(child)
    return pairs


def list_children(nodes: list[Node], node_id: int | None) -> list[int]:
    """The elements of a ListWrapper node ('0', '1', …), in order."""
    if node_id is None:
        return []
    items = [(int(name), child) for name, child in nodes[node_id].children if name.isdigit()]
    return [child for _, child in sorted(items)]


def read_object_graph(path: Path) -> tuple[str | None, list[Node]]:
    """The TensorFlow version that wrote `path/saved_model.pb`, and its object graph's nodes."""
    pb_path = path / SAVED_MODEL_PB
    saved_model = parse_file(pb_path, "SavedModel")
    try:
        meta_graphs = protowire.messages(saved_model, 2)
        if not meta_graphs:
            raise MalformedConfigError(pb_path, "holds no MetaGraph: not a SavedModel")
        meta = meta_graphs[0]
        info = protowire.message(meta, 1)
        tf_version = protowire.text(info, 5) or None
        if 7 not in meta:
            raise UnsupportedError(
                path,
                "is a TensorFlow 1 SavedModel (no object graph): it holds a graph and no Keras model; "
                "load it with tf.compat.v1 and re-save the Keras model, or use keras.layers.TFSMLayer",
            )
        saved_nodes = object_graph_nodes(protowire.message(meta, 7))
    except ProtoError as exc:
        raise TruncatedFileError(pb_path, f"is garbled ({exc})") from None
    if not saved_nodes:
        raise MalformedConfigError(pb_path, "has an empty object graph")
    check_references(pb_path, saved_nodes, "the object graph")
    return tf_version, saved_nodes


def read_checkpoint_graph(path: Path) -> tuple[TensorBundle, list[Node]]:
    """The checkpoint of `path/variables/` and its object graph's nodes."""
    bundle_prefix = path / "variables" / "variables"
    try:
        bundle = TensorBundle(bundle_prefix, within=path)
        if OBJECT_GRAPH_KEY not in bundle.entries:
            raise BundleError(bundle.index_path, "has no object graph (_CHECKPOINTABLE_OBJECT_GRAPH)")
        nodes = checkpoint_nodes(protowire.parse(bundle.read(OBJECT_GRAPH_KEY).item()))
        if not nodes:
            raise BundleError(bundle.index_path, "has an empty object graph (_CHECKPOINTABLE_OBJECT_GRAPH)")
    except BundleError as exc:
        if not (path / "variables").is_dir():
            raise TruncatedFileError(
                path, "has saved_model.pb but no variables/ directory: the copy is incomplete"
            ) from None
        raise TruncatedFileError(exc.path, exc.message) from None
    except ProtoError as exc:
        raise TruncatedFileError(
            f"{bundle_prefix}.index", f"the checkpoint's object graph is garbled ({exc})"
        ) from None
    check_references(f"{bundle_prefix}.index", nodes, "the checkpoint's object graph")
    return bundle, nodes
