"""Subclassed models and code-less custom layers of SavedModels, translated from their traced
functions (kerasmigrate/core/traced/): the function library read as data, the samples of
sample_models/savedmodel converted with TensorFlow blocked and matched with the writing stack,
and the real directories of ../shared/realworld/savedmodel that need it.
"""

import csv
import json
import struct

import numpy as np
import pytest

from kerasmigrate import api
from kerasmigrate.core import protowire
from kerasmigrate.core.savedmodel_graph import read_object_graph
from kerasmigrate.core.traced.library import read_library, structured, tensor_of
from kerasmigrate.core.traced.model import inference_function
from kerasmigrate.errors import KerasMigrateError, UnsupportedError

from .conftest import REALWORLD_SAVEDMODEL_RTOL, ROOT, run_with_heavy_imports_blocked

SAMPLES = ROOT / "sample_models" / "savedmodel"
REALWORLD = ROOT.parent / "shared" / "realworld" / "savedmodel"
TRACED = (
    "subclassed",
    "traced_mlp",
    "traced_conv",
    "traced_nested",
    "traced_multi_io",
    "dense_transpose",
    "traced_rnn",
)
ATOL = 1e-5


def _varint(value: int) -> bytes:
    out = b""
    while value > 0x7F:
        out += bytes([value & 0x7F | 0x80])
        value >>= 7
    return out + bytes([value])


def _field(number: int, wire: int, payload: bytes) -> bytes:
    tag = _varint(number << 3 | wire)
    return tag + (_varint(len(payload)) + payload if wire == 2 else payload)


def _shape(*dims: int) -> bytes:
    return b"".join(_field(2, 2, _field(1, 0, bytes([d]))) for d in dims)


def test_a_constant_with_one_value_fills_its_shape():
    """tensor.proto: float_val packed; fewer values than the shape: the last one repeats."""
    proto = _field(1, 0, b"\x01") + _field(2, 2, _shape(2, 3)) + _field(5, 2, struct.pack("<ff", 1.5, -2.0))
    value = tensor_of(protowire.parse(proto))
    assert value.dtype == np.float32 and value.shape == (2, 3)
    assert value.tolist() == [[1.5, -2.0, -2.0], [-2.0, -2.0, -2.0]]


def test_a_constant_from_tensor_content():
    content = np.arange(4, dtype="<i4").tobytes()
    proto = _field(1, 0, b"\x03") + _field(2, 2, _shape(4)) + _field(4, 2, content)
    assert tensor_of(protowire.parse(proto)).tolist() == [0, 1, 2, 3]


def test_structured_values_decode_specs_tuples_and_bools():
    spec = _field(1, 2, b"x") + _field(2, 2, _shape(3)) + _field(3, 0, b"\x01")
    value = _field(52, 2, _field(1, 2, _field(33, 2, spec)) + _field(1, 2, _field(14, 0, b"\x00")))
    args = structured(protowire.parse(value))
    assert isinstance(args, tuple) and args[0].name == "x" and args[0].shape == [3] and args[1] is False


def test_the_library_and_the_inference_function_of_a_subclassed_sample():
    path = SAMPLES / "tf2.15" / "subclassed"
    library = read_library(path)
    function = inference_function(library, read_object_graph(path)[1], 0)
    assert function.bound_inputs and library.functions[function.name].output_args
    ops = {n.op for f in library.functions.values() for n in f.nodes.values()}
    assert {"MatMul", "BiasAdd", "ReadVariableOp"} <= ops


def _entries(names):
    out = []
    for manifest in sorted(SAMPLES.glob("*/manifest.json")):
        for entry in json.loads(manifest.read_text())["samples"]:
            if entry["name"] in names:
                out.append(pytest.param(manifest.parent, entry, id=f"{manifest.parent.name}/{entry['name']}"))
    return out


@pytest.mark.keras
@pytest.mark.parametrize("stack_dir, entry", _entries(TRACED))
def test_traced_sample_converts_and_matches_the_writing_stack(stack_dir, entry, tmp_path):
    from kerasmigrate.verify import verify

    target = tmp_path / "out.keras"
    report = api.convert(stack_dir / entry["file"], target)
    assert any("traced" in n and "inference computation" in n for n in report.notes), report.notes
    result = verify(stack_dir / entry["file"], target, refs=stack_dir / entry["refs"])
    assert result.ok, result.to_dict()


# refused samples -> the model object the refusal must name
REFUSED = {"py_function": "py_function_model", "data_dependent_loop": "data_dependent_loop"}


@pytest.mark.parametrize("stack_dir, entry", _entries(set(REFUSED)))
def test_an_op_without_translation_is_refused_by_name(stack_dir, entry, tmp_path):
    """The op (a While of no known pattern leads, whatever else lacks a translation), the
    function it is in and the object."""
    with pytest.raises(UnsupportedError, match=entry["refusal"]) as info:
        api.convert(stack_dir / entry["file"], tmp_path / "out.keras")
    message = info.value.message
    assert f"of layer '{REFUSED[entry['name']]}'" in message and " in function __inference_" in message, message


def test_the_refused_samples_are_there_for_every_stack():
    assert sorted(p.id for p in _entries(set(REFUSED))) == sorted(
        f"{stack.name}/{name}" for stack in SAMPLES.glob("*/") if (stack / "manifest.json").exists() for name in REFUSED
    )


def test_traced_samples_convert_with_tensorflow_blocked(tmp_path):
    dirs = [str(p.values[0] / p.values[1]["file"]) for p in _entries(TRACED)]
    count, bad = run_with_heavy_imports_blocked(
        "import pathlib\nfrom kerasmigrate import api\n"
        f"out = pathlib.Path({str(tmp_path)!r}); n = 0\n"
        f"for i, d in enumerate({dirs!r}):\n"
        "    api.convert(d, out / f'{i}.keras'); n += 1\n"
    )
    assert count == len(dirs) >= 5 and bad == []


# --- real directories --------------------------------------------------------------------------


def _realworld_rows():
    if not (REALWORLD / "manifest.tsv").exists():
        return []
    with open(REALWORLD / "manifest.tsv", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    # the ones refused before translation: subclassed models, and Functional models whose
    # metadata holds a layer saved without a config
    return [
        pytest.param(r, id=r["id"])
        for r in rows
        if r["model_class"] not in ("Sequential", "Functional", "Model")
        or any(_saved_without_config(REALWORLD / "files" / r["id"] / name) for name in METADATA_FILES)
    ]


METADATA_FILES = ("saved_model.pb", "keras_metadata.pb")


def _saved_without_config(path) -> bool:
    return path.exists() and b"layer was saved without config" in path.read_bytes()


@pytest.mark.full
@pytest.mark.keras
@pytest.mark.parametrize("row", _realworld_rows())
def test_realworld_traced_model_verifies_or_names_the_op(row, tmp_path):
    """At 1e-5 absolute, plus the relative tolerance conftest.py gives one directory (and why)."""
    from kerasmigrate.verify import verify

    source = REALWORLD / "files" / row["id"]
    try:
        api.convert(source, tmp_path / "out.keras")
    except KerasMigrateError as exc:
        assert "has no Keras 3 translation" in exc.message and " op " in exc.message, exc.message
        return
    refs = REALWORLD / "refs" / f"{row['id']}.npz"
    rtol = REALWORLD_SAVEDMODEL_RTOL.get(row["id"], 0.0)
    result = verify(source, tmp_path / "out.keras", refs=refs, atol=ATOL, rtol=rtol)
    assert result.ok, result.to_dict()


@pytest.mark.keras
def test_every_keras_class_the_op_table_names_exists():
    import importlib

    from kerasmigrate.core.traced import op_table

    named = [*op_table.UNARY.values(), *((op_table.NUMPY, c) for c in op_table.BINARY.values())]
    named += [(op_table.NN, "Softmax"), (op_table.NN, "LogSoftmax"), (op_table.CORE, "Cast")]
    named += [(op_table.NUMPY, c) for c in ("Reshape", "Transpose", "Concatenate", "Stack", "ExpandDims")]
    named += [(op_table.NUMPY, c) for c in ("Squeeze", "GetItem", "Matmul", "Mean", "Sum", "Max", "Min")]
    missing = [f"{m}.{c}" for m, c in named if not hasattr(importlib.import_module(m), c)]
    assert missing == []


# --- the translation, on hand-made functions ---------------------------------------------------


def _translate(nodes, ret="out:product:0", attrs_out=None):
    """Inline and translate a one-input function with one captured variable (node id 7, 4x3)."""
    from pathlib import Path

    from kerasmigrate.core.traced.inline import Arg, Inliner, Variable
    from kerasmigrate.core.traced.library import FunctionDef, Library, NodeDef
    from kerasmigrate.core.traced.op_table import translate_op
    from kerasmigrate.core.traced.translate import Graph, VariableInfo, count_consumers, input_layer, reachable

    defs = {n[0]: NodeDef(n[0], n[1], tuple(n[2]), n[3] if len(n) > 3 else {}) for n in nodes}
    function = FunctionDef("f", ("x", "w"), ("y",), defs, {"y": ret})
    library = Library(Path("."), {"f": function}, {})
    graph = Graph(lambda node_id: VariableInfo("w", "w/.ATTRIBUTES/VARIABLE_VALUE", (4, 3), "float32"))
    input_layer(graph, 0, "x", [-1, 4], 1)
    outputs = Inliner(library).call("f", [Arg(0, (-1, 4)), Variable(7)], "model")
    ops = reachable(outputs)
    count_consumers(graph, ops, outputs)
    for op in ops:
        translate_op(graph, op)
    return graph


READ = ("w_read", "ReadVariableOp", ["w"])


def test_matmul_then_softmax_is_one_dense_with_a_softmax_activation():
    graph = _translate(
        [READ, ("out", "MatMul", ["x", "w_read:value:0"]), ("sm", "Softmax", ["out:product:0"])], "sm:softmax:0"
    )
    dense = [layer for layer in graph.layers if layer["class_name"] == "Dense"]
    assert len(dense) == 1 and dense[0]["config"]["activation"] == "softmax" and len(graph.layers) == 2
    assert [r.name for r in graph.weights[dense[0]["name"]]] == [f"{dense[0]['name']}/kernel:0"]


def test_a_transposed_first_operand_is_refused_naming_the_op():
    from kerasmigrate.core.traced.inline import TracedRefusal

    with pytest.raises(TracedRefusal, match="transpose_a") as info:
        _translate([READ, ("out", "MatMul", ["x", "w_read:value:0"], {"transpose_a": True})])
    assert info.value.op == "MatMul" and info.value.function == "f" and info.value.scope == "model"


def test_transpose_b_reads_the_kernel_transposed():
    graph = _translate([READ, ("out", "MatMul", ["x", "w_read:value:0"], {"transpose_b": True})])
    (ref,) = next(iter(graph.weights.values()))
    assert ref.shape == (3, 4) and graph.transposed[ref.dataset_path] == "w/.ATTRIBUTES/VARIABLE_VALUE"


def test_a_strided_slice_becomes_a_get_item_with_the_masks_applied():
    import numpy as np

    consts = [
        (n, "Const", [], {"value": np.array(v, dtype="int32")})
        for n, v in (("b", [0, 1]), ("e", [0, 3]), ("s", [1, 1]))
    ]
    graph = _translate(
        [
            *consts,
            ("out", "StridedSlice", ["x", "b:output:0", "e:output:0", "s:output:0"], {"begin_mask": 1, "end_mask": 1}),
        ],
        "out:output:0",
    )
    (item,) = [layer for layer in graph.layers if layer["class_name"] == "GetItem"]
    key = item["inbound_nodes"][0]["args"][1]
    assert [k["config"] for k in key] == [
        {"start": None, "stop": None, "step": None},
        {"start": 1, "stop": 3, "step": None},
    ]
