"""A Lambda's stored bytecode read as data and evaluated symbolically (kerasmigrate/lambdas/bytecode).

The fixtures under tests/data/lambda_bytecode/ are our own sources compiled by each pyenv Python
(scripts/make_lambda_bytecode_fixtures.py); every source has one expected expression or refusal,
the same for every Python. Nothing here unmarshals or runs the bytecode.
"""

import ast
import base64
import dataclasses
import json
import random
import struct
from pathlib import Path

import pytest

import kerasmigrate.lambdas.bytecode as bytecode
from kerasmigrate.core.configs import iter_layers
from kerasmigrate.lambdas.bytecode import NotBytecode, evaluate_lambda, evaluate_output_shape
from kerasmigrate.lambdas.bytecode.describe import read_layout, stored_bytes
from kerasmigrate.lambdas.bytecode.lines import line_starts
from kerasmigrate.lambdas.bytecode.opcodes import table
from kerasmigrate.lambdas.expr import (
    Arg,
    Attribute,
    BinOp,
    Call,
    Compare,
    Const,
    LambdaRefusal,
    List,
    Name,
    Slice,
    Subscript,
    Tuple,
    UnaryOp,
)

DATA = Path(__file__).parent / "data" / "lambda_bytecode"
FIXTURES = {json.loads(p.read_text())["python"]: json.loads(p.read_text()) for p in sorted(DATA.glob("*.json"))}
REALWORLD = Path(__file__).resolve().parents[1].parent / "shared" / "realworld" / "github" / "files"

x = Arg("x")
ALL = Slice(Const(None), Const(None), Const(None))


def call(func: str, *args, **kwargs):
    return Call(Name(func), tuple(args), tuple(kwargs.items()))


def sub(value, index):
    return Subscript(value, Const(index) if isinstance(index, int) else index)


EXPECTED = {
    "scale": BinOp("-", BinOp("/", x, Const(255.0)), Const(0.5)),
    "last_step": sub(x, Tuple((ALL, Const(-1)))),
    "ellipsis": sub(x, Tuple((Const(Ellipsis), Slice(Const(None), Const(3), Const(None))))),
    "product": BinOp("*", sub(x, 0), sub(x, 1)),
    "expand_dims": call("K.expand_dims", x, Const(1)),
    "concatenate": call("K.concatenate", List((sub(x, 0), sub(x, 1))), axis=Const(-1)),
    "mean": call("K.mean", x, axis=Const(1), keepdims=Const(True)),
    "l2_normalize": call("K.l2_normalize", x, axis=Const(-1)),
    "resize": call("tf.image.resize", x, Const((8, 8))),
    "space_to_depth": call("tf.space_to_depth", x, block_size=Const(2)),
    "resize_area": BinOp(
        "-",
        BinOp(
            "/",
            call(
                "K.tf.image.resize_images",
                Arg("img"),
                Const((66, 200)),
                method=Name("K.tf.image.ResizeMethod.AREA"),
            ),
            Const(127.5),
        ),
        Const(1),
    ),
    "closure": BinOp("*", x, Const(2.5)),
    "arguments": BinOp("*", x, Const(3.0)),
    "defaults": BinOp("-", x, Const(0.5)),
    "docstring_local": BinOp("-", BinOp("/", x, Const(127.5)), Const(1.0)),
    "import_tf": call("tensorflow.space_to_depth", x, block_size=Const(2)),
    "import_backend": call("keras.backend.mean", x, axis=Const(-1)),
    "import_dotted": call("tensorflow.keras.backend.l2_normalize", x, axis=Const(1)),
    "nested_helper": BinOp("+", BinOp("+", BinOp("*", x, x), Const(1)), BinOp("+", BinOp("*", x, x), Const(2))),
    "nested_closure": BinOp("*", x, Const(3)),
    "constant_conditional": BinOp("*", x, Const(2)),
    "negative": UnaryOp("-", x),
    "positive_invert": BinOp("-", UnaryOp("+", x), UnaryOp("~", x)),
    "power": BinOp("**", x, Const(2)),
    "compare": call("K.cast", Compare(">", x, Const(0.5)), Const("float32")),
    "euclidean": call(
        "K.sqrt",
        call(
            "K.maximum",
            call(
                "K.sum",
                call("K.square", BinOp("-", sub(Arg("vects"), 0), sub(Arg("vects"), 1))),
                axis=Const(1),
                keepdims=Const(True),
            ),
            call("K.epsilon"),
        ),
    ),
    "method": Call(Attribute(x, "mean"), (Const(1),)),
    "list_const": call("tf.transpose", x, perm=List((Const(0), Const(2), Const(1)))),
    "star_kwargs": call("K.mean", x, axis=Const(1)),
    "star_args": call("K.concatenate", List((x, x)), axis=Const(1)),
    "is_none": Compare("is", x, Const(None)),
    "inplace": BinOp("*", BinOp("+", x, Const(1)), Const(2)),
    "chained_and": x,
    "multiline": call("K.concatenate", List((x, BinOp("*", x, Const(2)))), axis=Const(-1)),
}
LOOP, EXC, STORE = "a loop", "exception handling", "a write outside"
REFUSED = {
    "for_loop": (LOOP, {"SETUP_LOOP", "GET_ITER"}),
    "while_loop": (LOOP, {"SETUP_LOOP", "JUMP_ABSOLUTE", "JUMP_BACKWARD"}),
    "print": ("a call of print()", {"CALL_FUNCTION", "CALL"}),
    "open": ("a call of open()", {"CALL_FUNCTION", "CALL"}),
    "getattr": ("a call of getattr()", {"CALL_FUNCTION", "CALL"}),
    "import_os": ("an import of os", {"IMPORT_NAME"}),
    "store_attr": (STORE, {"STORE_ATTR"}),
    "try": (EXC, {"SETUP_EXCEPT", "SETUP_FINALLY", "LOAD_FAST"}),  # 3.11+: the first instruction `try` covers
    "data_conditional": (
        "a conditional on a computed value",
        {"POP_JUMP_IF_FALSE", "POP_JUMP_FORWARD_IF_NONE", "POP_JUMP_IF_NONE"},
    ),
    "generator": ("a generator", {"YIELD_VALUE", "GEN_START", "RETURN_GENERATOR"}),
    "unbound": ("the parameter 'y' is not bound", {None}),
}
# The line each refusal names (the source's line of the refused instruction; 3.11+ `try` leaves
# only a NOP on its own line and refuses at the first line it covers).
REFUSED_LINE = {
    "for_loop": {2},
    "print": {3},
    "open": {1},
    "import_os": {2},
    "store_attr": {2},
    "try": {2, 3},
    "generator": {2},
}
CASES = [(python, case) for python, data in FIXTURES.items() for case in data["cases"]]


def minor(python: str) -> str:
    return ".".join(python.split(".")[:2])


def covers(label: str, version: str) -> bool:
    """Whether a LambdaFunction.python label ("3.8-3.10", "3.6, 3.8", "2.7") includes `version`."""
    order = ["2.7", "3.4", "3.5", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12"]
    for part in label.split(", "):
        low, _, high = part.partition("-")
        if order.index(low) <= order.index(version) <= order.index(high or low):
            return True
    return False


def test_every_python_and_every_source_has_a_fixture():
    assert sorted(map(minor, FIXTURES)) == sorted(["2.7", "3.6", "3.7", "3.8", "3.9", "3.10", "3.11", "3.12"])
    for data in FIXTURES.values():
        assert {c["id"] for c in data["cases"]} == set(EXPECTED) | set(REFUSED)


@pytest.mark.parametrize("python, case", CASES, ids=[f"{p}-{c['id']}" for p, c in CASES])
def test_each_python_reads_the_same_expression(python, case):
    if case["id"] in REFUSED:
        reason, instructions = REFUSED[case["id"]]
        with pytest.raises(LambdaRefusal) as info:
            evaluate_lambda(case["function"], arguments=case["arguments"])
        assert reason in info.value.reason and info.value.instruction in instructions
        if case["id"] in REFUSED_LINE:
            assert info.value.line in REFUSED_LINE[case["id"]]
        return
    out = evaluate_lambda(case["function"], arguments=case["arguments"])
    assert out.result == EXPECTED[case["id"]]
    assert covers(out.python, minor(python)), out.python
    assert out.params[0] == {"resize_area": "img", "euclidean": "vects"}.get(case["id"], "x")


@pytest.mark.parametrize("python, case", CASES, ids=[f"{p}-{c['id']}" for p, c in CASES])
def test_line_tables_read_as_dis_findlinestarts(python, case):
    code = read_layout(stored_bytes(case["function"]))
    assert line_starts(code, table(minor(python))) == [tuple(p) for p in case["line_starts"]]


def test_the_hint_orders_but_does_not_decide():
    case = next(c for c in FIXTURES["3.7.16"]["cases"] if c["id"] == "scale")
    plain = evaluate_lambda(case["function"])
    for hint in ("1.2.2", "2.1.6", "2.3.1", "2.15.0", "not a version"):
        assert evaluate_lambda(case["function"], keras_version=hint) == plain


def test_keras1_raw_text_storage_reads_the_same():
    """Keras 1 stored the dump as text (`marshal.dumps(code).decode('raw_unicode_escape')`)."""
    for case in FIXTURES["2.7.18"]["cases"][:10]:
        raw = base64.b64decode(case["function"][0]).decode("raw_unicode_escape")
        assert evaluate_lambda(raw).result == evaluate_lambda(case["function"]).result


def test_arguments_win_over_defaults_and_unknown_stored_values_are_refused():
    case = next(c for c in FIXTURES["3.10.13"]["cases"] if c["id"] == "defaults")
    assert evaluate_lambda(case["function"], arguments={"offset": 2}).result == BinOp("-", x, Const(2))
    with pytest.raises(LambdaRefusal, match="matches no parameter"):
        evaluate_lambda(case["function"], arguments={"other": 1})
    with pytest.raises(LambdaRefusal, match="not a mapping"):
        evaluate_lambda(case["function"], arguments=[1])
    deep = [0]
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(LambdaRefusal, match="nested too deeply"):
        evaluate_lambda(case["function"], arguments={"offset": deep})
    closure = next(c for c in FIXTURES["3.12.1"]["cases"] if c["id"] == "closure")
    with pytest.raises(LambdaRefusal, match="closure"):
        evaluate_lambda(closure["function"][:1])


def test_output_shape_functions_evaluate_the_same_way():
    case = next(c for c in FIXTURES["3.8.18"]["cases"] if c["id"] == "last_step")
    assert evaluate_output_shape(case["function"]).result == EXPECTED["last_step"]


def test_readings_that_differ_between_pythons_are_refused(monkeypatch):
    """Two tables under which the same code evaluates to different expressions: no guess."""
    real = table("3.11")
    swapped = dataclasses.replace(real, version="3.12", nb_ops=tuple("+" if o == "-" else o for o in real.nb_ops))
    monkeypatch.setattr(bytecode, "table", lambda v: swapped if v == "3.12" else table(v))
    case = next(c for c in FIXTURES["3.11.7"]["cases"] if c["id"] == "scale")
    with pytest.raises(LambdaRefusal, match="reads differently as Python 3.11 and Python 3.12"):
        evaluate_lambda(case["function"])


def _mutations(rng: random.Random, streams: list[bytes]):
    for _ in range(300):
        yield bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
    for data in streams:
        for cut in sorted(rng.sample(range(len(data)), min(20, len(data)))):
            yield data[:cut]
        for _ in range(40):
            mutated = bytearray(data)
            for _ in range(rng.randrange(1, 4)):
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
            yield bytes(mutated)


def test_bad_bytes_raise_only_not_bytecode_or_a_refusal():
    rng = random.Random(29)
    streams = [stored_bytes(c["function"]) for _, c in CASES[::5]]
    outcomes = {"ok": 0, "NotBytecode": 0, "LambdaRefusal": 0}
    for data in _mutations(rng, streams):
        value = base64.b64encode(data).decode("ascii")
        try:
            evaluate_lambda([value, [1, "a"], None], arguments={"y": 1})
            outcomes["ok"] += 1
        except NotBytecode:
            outcomes["NotBytecode"] += 1
        except LambdaRefusal:
            outcomes["LambdaRefusal"] += 1
    assert sum(outcomes.values()) >= 300 + len(streams) * 50, outcomes
    assert outcomes["NotBytecode"] and outcomes["LambdaRefusal"], outcomes


def marshal_38(co_code: bytes, consts=(), names=(), varnames=("x",), lnotab=b"") -> str:
    """A Python 3.8-layout marshal stream of a one-parameter function, written by hand (only
    written: nothing here can load it), base64-encoded as Keras stores it."""

    def text(t: str) -> bytes:
        return b"z" + bytes([len(t)]) + t.encode()

    def strings(items) -> bytes:
        return b")" + bytes([len(items)]) + b"".join(text(i) for i in items)

    def const(c) -> bytes:
        return b"N" if c is None else b"i" + struct.pack("<i", c)

    head = struct.pack("<6i", 1, 0, 0, len(varnames), 8, 0x43)
    body = (
        b"s"
        + struct.pack("<i", len(co_code))
        + co_code
        + b")"
        + bytes([len(consts)])
        + b"".join(const(c) for c in consts)
        + strings(names)
        + strings(varnames)
        + strings(())
        + strings(())
        + text("<hand>")
        + text("<lambda>")
        + struct.pack("<i", 1)
        + b"s"
        + struct.pack("<i", len(lnotab))
        + lnotab
    )
    return base64.b64encode(b"c" + head + body).decode("ascii")


def test_a_hand_written_stream_evaluates():
    # LOAD_FAST 0; LOAD_CONST 0; BINARY_MULTIPLY; RETURN_VALUE
    out = evaluate_lambda(marshal_38(bytes([124, 0, 100, 0, 20, 0, 83, 0]), consts=(3,)))
    assert (out.python, out.result) == ("3.8-3.9", BinOp("*", x, Const(3)))


def test_expressions_that_double_at_every_step_are_refused():
    doubling = bytes([124, 0]) + bytes([4, 0, 23, 0]) * 40 + bytes([83, 0])  # (DUP_TOP; BINARY_ADD) x 40
    with pytest.raises(LambdaRefusal, match="more than 5000 nodes"):
        evaluate_lambda(marshal_38(doubling))


def test_an_opcode_no_python_defines_is_named():
    with pytest.raises(LambdaRefusal) as info:
        evaluate_lambda(marshal_38(bytes([124, 0, 47, 2, 83, 0])))
    assert info.value.instruction == "opcode 47" and "decodes as none of Python 3.8-3.10" in info.value.reason


@pytest.mark.parametrize("value", [None, 3, "", "a", ["YWJj"], [None], ["4wAA", "x", None], {"a": 1}])
def test_values_that_are_not_bytecode(value):
    with pytest.raises(NotBytecode):
        evaluate_lambda(value)


FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__", "loads", "load", "CodeType", "FunctionType"}
FORBIDDEN_IMPORTS = {"marshal", "types", "importlib", "pickle", "dis"}


def forbidden_uses(source: str) -> set[str]:
    """Names in `source` that would run or build code: calls of eval/exec/compile/marshal.loads,
    types.CodeType, and imports of marshal, types, importlib, pickle, dis."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name in FORBIDDEN_CALLS:
                found.add(name)
        elif isinstance(node, ast.Attribute) and node.attr in ("CodeType", "loads"):
            found.add(node.attr)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            modules = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            found.update(m for m in modules if m.split(".")[0] in FORBIDDEN_IMPORTS)
    return found


def test_the_package_never_runs_or_builds_code():
    package = Path(bytecode.__file__).parent
    sources = {p.name: p.read_text() for p in package.glob("*.py")}
    assert "machine.py" in sources and "stream.py" in sources
    assert {name: uses for name, text in sources.items() if (uses := forbidden_uses(text))} == {}
    # the check itself sees what it looks for
    assert forbidden_uses("import marshal\nmarshal.loads(b'')\neval('1')\ntypes.CodeType") == {
        "marshal",
        "loads",
        "eval",
        "CodeType",
    }


# -- the real files of ../shared/realworld/github -----------------------------------------------
REAL_LAMBDAS = {
    "181b5f625170ef97.h5": ("2.7", [BinOp("**", x, Const(2)), BinOp("*", Const(3), x)]),
    "25153bdee7ed62fd.json": ("3.4-3.5", [BinOp("-", BinOp("/", x, Const(127.5)), Const(1.0))]),
    "3dae5382dede8b4a.h5": ("3.8-3.9", [sub(x, Tuple((ALL, Const(-1), ALL)))]),
    "67a1568fc8c19c5b.h5": ("3.6-3.7", [call("tensorflow.space_to_depth", x, block_size=Const(2))]),
    "9729e493240f45a2.h5": ("3.4-3.5", [EXPECTED["scale"]]),
    "bedefeb155e0dd89.h5": ("3.4-3.5", [EXPECTED["scale"]]),
    "ef8d68dded76f624.h5": ("3.4-3.5", [EXPECTED["resize_area"]]),
    "6a9ad53fc46369c5.h5": (None, ["opcode 47"]),
}


def _lambda_configs(path: Path) -> list[dict]:
    import h5py

    if path.suffix == ".json":
        config = json.loads(path.read_text())
    else:
        with h5py.File(path, "r") as f:
            config = json.loads(f.attrs["model_config"])
    config = json.loads(config) if isinstance(config, str) else config
    return [entry["config"] for _, entry in iter_layers(config) if entry.get("class_name") == "Lambda"]


@pytest.mark.skipif(not REALWORLD.is_dir(), reason="../shared/realworld is not beside the checkout")
@pytest.mark.parametrize("name", sorted(REAL_LAMBDAS))
def test_real_lambdas(name):
    python, expected = REAL_LAMBDAS[name]
    configs = _lambda_configs(REALWORLD / name)
    assert len(configs) == len(expected)
    for config, want in zip(configs, expected):
        if python is None:
            with pytest.raises(LambdaRefusal) as info:
                evaluate_lambda(config["function"], arguments=config.get("arguments"))
            assert info.value.instruction == want
            continue
        out = evaluate_lambda(config["function"], arguments=config.get("arguments"))
        assert (out.python, out.result) == (python, want)
