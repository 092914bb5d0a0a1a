"""Lambda layers translated into Keras 3 (lambdas/translate.py, upgrade/lambda_layers.py).

Every case of tests/lambda_cases.py is a real lambda that tf_keras runs (in its own process) to
write the legacy file and the reference outputs; the file is converted with the expression its
bytecode evaluates to, loaded with `keras.saving.load_model` (safe mode on) and run: outputs
within 1e-5 absolute of tf_keras's (the old computation, TensorFlow's own kernels).

The expression comes from the real evaluator (lambdas.bytecode.evaluate_lambda, reading the
stored bytecode as data) through the `evaluate_lambda` fixture, which also holds each case's
hand-written expression and asserts that the bytecode reads as exactly that; tests of the
translator's refusals inject expressions no case's bytecode holds (`inject`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from kerasmigrate import api
from kerasmigrate.errors import KerasMigrateError
from kerasmigrate.lambdas import bytecode as lambda_bytecode
from kerasmigrate.lambdas import expr as E
from kerasmigrate.lambdas import translate as lambda_translate
from kerasmigrate.upgrade import mapping as user_mapping

from . import lambda_cases
from .conftest import REALWORLD, ROOT, run_with_heavy_imports_blocked

pytestmark = pytest.mark.keras
ATOL = 1e-5
SAMPLES = ROOT / "sample_models"
CASES = {case.name: case for case in lambda_cases.CASES}


class HandBuilt:
    """The real evaluator, checked against hand-written expressions by stored bytecode string;
    `inject` makes it answer with an expression of the test's instead (translator refusals)."""

    def __init__(self):
        self.expected: dict[str, E.Expr] = {}
        self.injected: dict[str, E.LambdaFunction | Exception] = {}
        self.calls = 0

    def add(self, path: Path, result, layer: str = "lam", params=("x",)) -> None:
        self.expected[lambda_cases.stored_function(path, layer)] = result

    def inject(self, path: Path, result, layer: str = "lam", params=("x",)) -> None:
        value = result if isinstance(result, Exception) else E.LambdaFunction(tuple(params), result, "3.11")
        self.injected[lambda_cases.stored_function(path, layer)] = value

    def __call__(self, function, *, arguments=None, keras_version=None):
        self.calls += 1
        code = function[0] if isinstance(function, list) else function  # as stored
        if code in self.injected:
            found = self.injected[code]
            if isinstance(found, Exception):
                raise found
            return found
        evaluated = lambda_bytecode.evaluate_lambda(function, arguments=arguments, keras_version=keras_version)
        if code in self.expected:
            assert evaluated.result == self.expected[code], (evaluated.result, self.expected[code])
        return evaluated


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    """The legacy files and reference outputs of every case, written by tf_keras."""
    out = tmp_path_factory.mktemp("lambda_cases")
    env = {**os.environ, "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
    done = subprocess.run(
        [sys.executable, "-m", "tests.lambda_cases", str(out)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out


@pytest.fixture
def evaluate_lambda(monkeypatch, written):
    """The evaluator convert uses: the real one, checked against each case's expression."""
    evaluator = HandBuilt()
    for case in lambda_cases.CASES:
        evaluator.add(written / f"{case.name}.h5", case.result)
        if case.sequential:
            evaluator.add(written / f"seq_{case.name}.h5", case.result)
        if case.name in lambda_cases.NESTED:
            evaluator.add(written / f"nested_{case.name}.h5", case.result)
    monkeypatch.setattr(lambda_translate, "default_evaluator", lambda: evaluator)
    return evaluator


def _run_converted(path: Path, refs: Path):
    import keras

    model = keras.saving.load_model(path)  # safe_mode on
    data = np.load(refs)
    inputs = [data[k] for k in sorted(data) if k.startswith("input_")]
    got = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    return model, np.asarray(got), data["output"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_case_converts_and_matches_tf_keras(name, written, evaluate_lambda, tmp_path):
    case = CASES[name]
    out = tmp_path / f"{name}.keras"
    report = api.convert(written / f"{name}.h5", out)
    assert report.lambdas["lam"].split(" → ")[1].startswith(case.became), report.lambdas
    _, got, want = _run_converted(out, written / f"{name}.npz")
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, atol=ATOL, rtol=0)


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if c.sequential))
def test_case_in_a_sequential(name, written, evaluate_lambda, tmp_path):
    """A Lambda one built-in layer replaces stays in its Sequential; one that needs op nodes makes
    the Sequential Functional, with the Dense weights in the right place either way."""
    out = tmp_path / f"seq_{name}.keras"
    report = api.convert(written / f"seq_{name}.h5", out)
    builtin = not CASES[name].became.startswith("keras.ops")
    assert report.model_class == ("Sequential" if builtin else "Functional")
    model, got, want = _run_converted(out, written / f"seq_{name}.npz")
    np.testing.assert_allclose(got, want, atol=ATOL, rtol=0)
    assert [layer.name for layer in model.layers if layer.weights] == ["d1", "d2"]


def test_in_a_nested_sequential(written, evaluate_lambda, tmp_path):
    """One built-in layer replaces a Lambda in place; op nodes would need the nested Sequential
    to become a Functional, which changes how its caller counts its nodes: refused, named."""
    out = tmp_path / "nested.keras"
    report = api.convert(written / "nested_scale_255.h5", out)
    assert report.lambdas == {"inner/lam": "x / 255.0 - 0.5 → Rescaling(scale=0.00392157, offset=-0.5)"}
    _, got, want = _run_converted(out, written / "nested_scale_255.npz")
    np.testing.assert_allclose(got, want, atol=ATOL, rtol=0)
    with pytest.raises(KerasMigrateError) as info:
        api.convert(written / "nested_l2_normalize.h5", tmp_path / "refused.keras")
    assert "inner/lam: it becomes keras.ops nodes, which need a Functional model" in info.value.message
    assert "it is nested in another model" in info.value.message


def test_hand_built_expressions_match_the_bytecode(written):
    """Becomes real once lambdas.bytecode exists: the real evaluator reads what the cases say."""
    evaluator = lambda_translate.default_evaluator()
    for case in lambda_cases.CASES:
        stored = lambda_cases.stored_function(written / f"{case.name}.h5")
        assert evaluator([stored, None, None], keras_version="2.21.0").result == case.result, case.name


def _with_config(src: Path, dst: Path, change) -> Path:
    shutil.copy(src, dst)
    with h5py.File(dst, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        change(config, f)
        f.attrs["model_config"] = json.dumps(config)
    return dst


REFUSED = [
    (E.Call(E.Name("K.int_shape"), (E.Arg("x"),)), "K.int_shape, which depends on the tensor's static shape"),
    (E.Call(E.Name("my_helpers.normalize"), (E.Arg("x"),)), "the function my_helpers.normalize"),
    (E.Compare("==", E.Arg("x"), E.Const(0.0)), "the comparison '=='"),
    (E.Attribute(E.Arg("x"), "shape"), "the attribute .shape"),
    (
        E.Call(E.Name("tf.image.resize"), (E.Arg("x"), E.Const((4, 4))), (("preserve_aspect_ratio", E.Const(True)),)),
        "preserve_aspect_ratio=True",
    ),
    (E.Call(E.Name("K.relu"), (E.Arg("x"),), (("alpha", E.Const(0.1)),)), "K.relu with alpha or threshold"),
    (E.LambdaRefusal("a loop", "FOR_ITER", 3), "its bytecode is refused: a loop (instruction FOR_ITER, line 3)"),
    (  # the resized tensor is computed: its height and width are not known, and Resize("area") is TF-only
        E.Call(
            E.Name("tf.image.resize"),
            (E.BinOp("*", E.Arg("x"), E.Const(2.0)), E.Const((4, 4))),
            (("method", E.Const("area")),),
        ),
        "tf.image.resize with method 'area' of a tensor whose height and width are not recorded",
    ),
    (  # the side-effect Lambda's callee: a method of a computed value, named with its call elided
        E.Call(E.Attribute(E.Call(E.Name("io.open"), (E.Const("log"), E.Const("a"))), "close"), ()),
        "a call of io.open(...).close, a function computed in the Lambda",
    ),
]


@pytest.mark.parametrize("result, message", REFUSED, ids=[m for _, m in REFUSED])
def test_refusals_name_the_lambda_and_the_reason(result, message, written, evaluate_lambda, tmp_path):
    evaluate_lambda.inject(written / "square.h5", result)
    with pytest.raises(KerasMigrateError) as info:
        api.convert(written / "square.h5", tmp_path / "out.keras")
    text = info.value.message
    assert "Lambda (layers: square/lam)" in text  # with every other unknown class, all at once
    assert "not translated into Keras 3: lam: " in text and message in text
    assert "kerasmigrate map init" in text
    assert not (tmp_path / "out.keras").exists()


def test_an_area_resize_that_would_repeat_too_much_is_refused(written, evaluate_lambda, tmp_path):
    """5 -> 4 rows repeats each row 4 times, converted; 223 -> 224 columns would repeat each 224 times."""

    def image_input(config, _):
        config["config"]["layers"][0]["config"]["batch_input_shape"] = [None, 5, 223, 2]

    path = _with_config(written / "square.h5", tmp_path / "image.h5", image_input)

    def resize(width):
        return E.Call(E.Name("tf.image.resize"), (E.Arg("x"), E.Const((4, width))), (("method", E.Const("area")),))

    evaluate_lambda.inject(path, resize(100))
    with pytest.raises(KerasMigrateError, match="tf.image.resize with method 'area' from 223 to 100 pixels"):
        api.convert(path, tmp_path / "out.keras")
    evaluate_lambda.inject(path, resize(223))
    assert api.convert(path, tmp_path / "out.keras").lambdas["lam"].endswith("(up_sampling2d, average_pooling2d)")


def test_a_mask_function_is_refused(written, evaluate_lambda, tmp_path):
    def masked(config, _):
        config["config"]["layers"][1]["config"]["mask"] = config["config"]["layers"][1]["config"]["function"]

    path = _with_config(written / "square.h5", tmp_path / "masked.h5", masked)
    with pytest.raises(KerasMigrateError, match="computes its output mask with a stored function"):
        api.convert(path, tmp_path / "out.keras")


@pytest.mark.parametrize(
    "keras_version, ok",
    [("2.2.4-tf", False), ("2.2.4", False), ("2.3.1", False), ("2.3.0-tf", True), ("2.15.0", True)],
)
def test_resize_needs_to_know_the_tensorflow_that_wrote_it(keras_version, ok, written, evaluate_lambda, tmp_path):
    """Bilinear resizing changed in TF 2 (half-pixel centres); AREA did not."""

    def version(_, f):
        f.attrs["keras_version"] = keras_version
        f["model_weights"].attrs["keras_version"] = keras_version  # what the reader reads first

    path = _with_config(written / "resize_bilinear.h5", tmp_path / "old.h5", version)
    evaluate_lambda.add(path, CASES["resize_bilinear"].result)
    if ok:
        api.convert(path, tmp_path / "out.keras")
    else:
        with pytest.raises(KerasMigrateError, match="bilinear.*(TensorFlow 1.x|does not say which)"):
            api.convert(path, tmp_path / "out.keras")
    area = _with_config(written / "resize_area_scaled.h5", tmp_path / "area.h5", version)
    evaluate_lambda.add(area, CASES["resize_area_scaled"].result)
    api.convert(area, tmp_path / "area.keras")


def test_a_lambda_called_twice(written, evaluate_lambda, tmp_path):
    """Each call gets its own nodes; downstream references to either call stay valid."""

    def twice(config, _):
        layers = config["config"]["layers"]
        layers.append({**layers[0], "name": "second", "config": {**layers[0]["config"], "name": "second"}})
        layers[1]["inbound_nodes"].append([["second", 0, 0, {}]])
        config["config"]["input_layers"] = [[layers[0]["name"], 0, 0], ["second", 0, 0]]
        config["config"]["output_layers"] = [["lam", 0, 0], ["lam", 1, 0]]

    for name in ("l2_normalize", "scale_255"):
        path = _with_config(written / f"{name}.h5", tmp_path / f"twice_{name}.h5", twice)
        evaluate_lambda.add(path, CASES[name].result)
        report = api.convert(path, tmp_path / f"twice_{name}.keras")
        import keras

        model = keras.saving.load_model(tmp_path / f"twice_{name}.keras")
        data = np.load(written / f"{name}.npz")
        a, b = data["input_0"], data["input_0"][::-1].copy()
        got = model.predict([a, b], verbose=0)
        np.testing.assert_allclose(got[0], data["output"], atol=ATOL, rtol=0)
        np.testing.assert_allclose(got[1], data["output"][::-1], atol=ATOL, rtol=0)
        assert "lam" in report.lambdas


# -- the samples the real old stacks wrote (sample_models/custom_*/lambdas.h5) -----------------
# Their three Lambdas are `t * 2`, `t[:, 1:4]` and `K.l2_normalize(t, axis=-1)`; until
# lambdas.bytecode exists these tests give those expressions by hand (becomes real: drop the
# `add` calls once the fixture returns evaluate_lambda).

SAMPLE_BECAME = {
    "double": "t * 2 → Rescaling(scale=2, offset=0)",
    "take_1_to_4": "t[:, 1:4] → keras.ops nodes (get_item)",
    "l2_normalize": "K.l2_normalize(t, axis=-1) → keras.ops nodes (square, sum, maximum, rsqrt, multiply)",
}
LAMBDA_STACKS = sorted(p.parent.name for p in SAMPLES.glob("custom_*/lambdas.h5"))


def _sample_evaluator(evaluator: HandBuilt, path: Path) -> HandBuilt:
    for layer, result in lambda_cases.SAMPLE_LAMBDAS.items():
        evaluator.add(path, result, layer, params=("t",))
    return evaluator


@pytest.mark.parametrize("stack", LAMBDA_STACKS)
def test_sample_lambdas_convert_without_a_mapping_and_match_the_writing_stack(stack, evaluate_lambda, tmp_path):
    source = SAMPLES / stack / "lambdas.h5"
    _sample_evaluator(evaluate_lambda, source)
    out = tmp_path / "lambdas.keras"
    report = api.convert(source, out)
    assert report.lambdas == SAMPLE_BECAME
    from kerasmigrate.verify import verify

    checked = verify(source, out, refs=SAMPLES / stack / "lambdas.refs.npz")
    assert checked.ok and checked.atol == ATOL, checked.to_dict()


def test_a_mapping_entry_beats_translation(evaluate_lambda, tmp_path):
    """Rules map `double` to Activation (not what it computes: so the output shows who won) and
    leave the other two to translation; the fully mapped sample never asks the evaluator."""
    source = SAMPLES / "custom_tf2.15" / "lambdas.h5"
    _sample_evaluator(evaluate_lambda, source)
    rules = user_mapping.loads('[lambdas.double]\nlayer = "Activation"\nconfig = { activation = "linear" }\n')
    report = api.convert(source, tmp_path / "partial.keras", mapping=rules)
    assert report.mapped["lambdas"] == {"double": "Activation {'activation': 'linear'}"}
    assert sorted(report.lambdas) == ["l2_normalize", "take_1_to_4"]
    import keras

    model = keras.saving.load_model(tmp_path / "partial.keras")
    assert model.get_layer("double").__class__.__name__ == "Activation"
    calls = evaluate_lambda.calls
    report = api.convert(
        source,
        tmp_path / "mapped.keras",
        mapping=SAMPLES / "custom_mapping" / "mapping.toml",
        custom_module=str(SAMPLES / "custom_mapping" / "keras3_layers.py"),
    )
    assert evaluate_lambda.calls == calls and report.lambdas == {}
    assert set(report.mapped["lambdas"]) == {"double", "take_1_to_4", "l2_normalize"}


def test_convert_translates_without_importing_tensorflow_or_keras(tmp_path):
    source = SAMPLES / "custom_tf2.15" / "lambdas.h5"
    body = (
        "from kerasmigrate import api\n"
        "from kerasmigrate.lambdas import translate as LT\n"
        "from kerasmigrate.lambdas.expr import LambdaFunction\n"
        "from tests.lambda_cases import SAMPLE_LAMBDAS, stored_function\n"
        f"source = {str(source)!r}\n"
        "table = {stored_function(source, k): LambdaFunction(('t',), v, '3.11') for k, v in SAMPLE_LAMBDAS.items()}\n"
        "LT.default_evaluator = lambda: (lambda f, arguments=None, keras_version=None: table[f[0]])\n"
        f"n = len(api.convert(source, {str(tmp_path / 'out.keras')!r}).lambdas)\n"
    )
    count, heavy = run_with_heavy_imports_blocked(body)
    assert count == 3 and heavy == []


def test_map_init_writes_the_recovered_expression_above_each_rule(evaluate_lambda, written):
    source = SAMPLES / "custom_tf2.15" / "lambdas.h5"
    _sample_evaluator(evaluate_lambda, source)
    text = user_mapping.skeleton([source])
    rule = text.index("[lambdas.double]")
    assert text.rindex("#   recovered from its bytecode: lambda t: t * 2", 0, rule) > text.rindex(
        "# Lambda layer", 0, rule
    )
    assert "#   converts without a rule: Rescaling(scale=2, offset=0)" in text
    evaluate_lambda.inject(written / "square.h5", lambda_cases.call("K.int_shape", E.Arg("x")))
    text = user_mapping.skeleton([written / "square.h5"])
    assert "#   recovered from its bytecode: lambda x: K.int_shape(x)" in text
    assert "#   not translated: K.int_shape, which depends on the tensor's static shape" in text


def test_inspect_lists_what_each_lambda_becomes(evaluate_lambda):
    from kerasmigrate.upgrade.inspect import inspect_file

    source = SAMPLES / "custom_tf2.15" / "lambdas.h5"
    _sample_evaluator(evaluate_lambda, source)
    found = inspect_file(source)["lambda_translations"]
    assert found["lambdas/double"] == {"expression": "lambda t: t * 2", "became": "Rescaling(scale=2, offset=0)"}
    assert set(found) == {"lambdas/double", "lambdas/take_1_to_4", "lambdas/l2_normalize"}


def test_map_init_and_inspect_know_the_input_shape_convert_uses(written, evaluate_lambda, tmp_path):
    """An AREA resize needs its input's height and width (image_forms.py): map init and inspect
    preview it with the shape convert has, so all three say the same."""
    from kerasmigrate.upgrade.inspect import inspect_file

    source = written / "resize_area_halved.h5"
    became = api.convert(source, tmp_path / "out.keras").lambdas["lam"].split(" → ")[1]
    assert became.startswith("AveragePooling2D")
    assert f"#   converts without a rule: {became} (a rule here replaces that)" in user_mapping.skeleton([source])
    assert next(iter(inspect_file(source)["lambda_translations"].values()))["became"] == became


@pytest.mark.parametrize("stack", sorted(p.parent.name for p in SAMPLES.glob("custom_*/lambda_marker.h5")))
def test_the_side_effect_lambda_is_refused_and_never_runs(stack, evaluate_lambda, tmp_path, monkeypatch):
    """The sample's Lambda creates $KERASMIGRATE_LAMBDA_MARKER when it runs
    (`[io.open(...).close(), t][1]`): its bytecode is read, and refused naming the layer."""
    marker = tmp_path / "lambda-ran"
    monkeypatch.setenv("KERASMIGRATE_LAMBDA_MARKER", str(marker))
    source = SAMPLES / stack / "lambda_marker.h5"
    with pytest.raises(KerasMigrateError) as info:
        api.convert(source, tmp_path / "out.keras")
    assert "not translated into Keras 3: side_effect: " in info.value.message
    assert not marker.exists() and not (tmp_path / "out.keras").exists()


@pytest.mark.parametrize("stored, ok", [([5], True), ([None, 5], True), ([7], False)])
def test_a_stored_output_shape_is_checked_against_the_replacement(stored, ok, written, evaluate_lambda, tmp_path):
    def shaped(config, _):
        config["config"]["layers"][1]["config"]["output_shape"] = stored

    path = _with_config(written / "scale_255.h5", tmp_path / "shaped.h5", shaped)
    evaluate_lambda.add(path, CASES["scale_255"].result)
    if ok:
        assert api.convert(path, tmp_path / "out.keras").lambdas["lam"].endswith("offset=-0.5)")
        return
    with pytest.raises(KerasMigrateError, match=r"its stored output_shape \[7\] is not what Rescaling produces"):
        api.convert(path, tmp_path / "out.keras")


def test_the_cli_reports_what_each_lambda_became(evaluate_lambda, tmp_path):
    from click.testing import CliRunner

    from kerasmigrate.cli import main

    source = SAMPLES / "custom_tf2.15" / "lambdas.h5"
    _sample_evaluator(evaluate_lambda, source)
    result = CliRunner().invoke(main, ["convert", str(source), "-o", str(tmp_path / "out.keras")])
    assert result.exit_code == 0, result.output
    assert "  Lambda double: t * 2 → Rescaling(scale=2, offset=0)" in result.output


@pytest.mark.full
@pytest.mark.skipif(not (REALWORLD / "files").exists(), reason="../shared/realworld is not beside the checkout")
@pytest.mark.parametrize("file_id", sorted(lambda_cases.REALWORLD_LAMBDAS))
def test_real_lambda_files_convert_and_match_their_references(file_id, evaluate_lambda, tmp_path):
    """The real files whose Lambdas use the vocabulary; those with lambda_refs/ (computed in the
    writers' own Python and Keras) match within 1e-5."""
    import keras

    source = REALWORLD / "files" / f"{file_id}.h5"
    for layer, result in lambda_cases.REALWORLD_LAMBDAS[file_id].items():
        evaluate_lambda.add(source, result, layer)
    report = api.convert(source, tmp_path / "out.keras")
    assert sorted(report.lambdas) == sorted(lambda_cases.REALWORLD_LAMBDAS[file_id])
    refs = REALWORLD / "lambda_refs" / f"{file_id}.npz"
    model = keras.saving.load_model(tmp_path / "out.keras", compile=False)
    if not refs.exists():
        return
    data = np.load(refs)
    inputs = [data[k] for k in sorted(data) if k.startswith("in_")]
    outputs = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    for i, got in enumerate(outputs if isinstance(outputs, list) else [outputs]):
        np.testing.assert_allclose(got, data[f"out_{i}"], atol=ATOL, rtol=0)


@pytest.mark.parametrize(
    "writer, ops",
    [
        (("2.3.1", "tensorflow"), "square, sum, maximum, rsqrt, multiply"),  # x * rsqrt(max(Σx², 1e-12))
        (("2.1.6", "theano"), "square, sum, maximum, sqrt, true_divide"),  # x / sqrt(max(Σx², 1e-7))
        (("1.2.2", "theano"), "square, sum, sqrt, true_divide"),  # x / sqrt(Σx²)
    ],
)
def test_l2_normalize_follows_the_writers_backend(writer, ops):
    from kerasmigrate.lambdas.translate import keras_tensor, translate_entry
    from kerasmigrate.lambdas.values import Writer

    entry = {"class_name": "Lambda", "config": {"name": "lam"}, "inbound_nodes": [{"args": [keras_tensor("in")]}]}
    function = E.LambdaFunction(("x",), lambda_cases.call("K.l2_normalize", E.Arg("x"), axis=-1), "3.6")
    done = translate_entry(entry, function, Writer(*writer), {"in", "lam"})
    assert done.became == f"keras.ops nodes ({ops})"
    epsilon = [a for e in done.entries for a in e["inbound_nodes"][0]["args"] if isinstance(a, float)]
    assert epsilon == {"tensorflow": [1e-12], "theano": [1e-7] if writer[0] == "2.1.6" else []}[writer[1]]
