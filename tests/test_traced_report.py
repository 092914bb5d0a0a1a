"""What kerasmigrate says about SavedModel objects translated from their traced functions
(kerasmigrate/core/traced/): `inspect` (text and --json) names them and lists the ops without a
translation instead of failing; the conversion report, the CLI's text and the batch report mark
each part that came from a traced graph as its inference computation.
"""

import json
import shutil

import pytest
from click.testing import CliRunner

import kerasmigrate
from kerasmigrate import api
from kerasmigrate.cli import main

from .conftest import ROOT

SAMPLES = ROOT / "sample_models" / "savedmodel"
STACKS = ("tf2.2", "tf2.4", "tf2.15")


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("name, op", [("py_function", "EagerPyFunc"), ("data_dependent_loop", "While")])
def test_inspect_lists_the_ops_without_translation_and_does_not_fail(stack, name, op):
    info = api.inspect_file(SAMPLES / stack / name)
    traced = info["traced"]
    assert info["format"] == "savedmodel" and "has no Keras 3 translation" in info["refused"]
    assert [p["whole_model"] for p in traced["parts"]] == [True] and "inference" in traced["computation"]
    ops = traced["untranslatable_ops"]
    assert any(op in o["op"] for o in ops), ops
    assert all(o["function"].startswith("__inference_") and o["layer"] for o in ops), ops
    r = CliRunner().invoke(main, ["inspect", str(SAMPLES / stack / name)])
    assert r.exit_code == 0, r.output
    assert f"no translation: op {ops[0]['op']} in function {ops[0]['function']}" in r.output
    assert "from traced functions: the whole model" in r.output and "cannot convert" in r.output


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize(
    "name, part", [("traced_mlp", "the whole model (TracedMLP)"), ("dense_transpose", "layer decoder (DenseTranspose)")]
)
def test_inspect_names_what_comes_from_traced_functions(stack, name, part):
    r = CliRunner().invoke(main, ["inspect", str(SAMPLES / stack / name)])
    assert r.exit_code == 0, r.output
    assert f"from traced functions: {part}, its inference computation" in r.output and "no translation" not in r.output
    r = CliRunner().invoke(main, ["inspect", "--json", str(SAMPLES / stack / name)])
    traced = json.loads(r.stdout)["traced"]
    assert traced["untranslatable_ops"] == [] and len(traced["parts"]) == 1


def test_inspect_of_a_model_with_a_keras_config_says_nothing_of_traced_functions():
    assert "traced" not in api.inspect_file(SAMPLES / "tf2.15" / "functional_nested")


@pytest.mark.parametrize(
    "name, expected",
    [
        ("traced_mlp", {"object": "traced_mlp", "class_name": "TracedMLP", "whole_model": True}),
        ("dense_transpose", {"object": "decoder", "class_name": "DenseTranspose", "whole_model": False}),
    ],
)
def test_the_conversion_report_marks_the_traced_part_as_the_inference_computation(name, expected, tmp_path):
    report = api.convert(SAMPLES / "tf2.4" / name, tmp_path / "out.keras")
    assert report.to_dict()["traced"] == [{**expected, "computation": "inference"}]
    (note,) = [n for n in report.notes if "traced" in n]
    assert "inference computation" in note and expected["class_name"] in note
    r = CliRunner().invoke(main, ["convert", str(SAMPLES / "tf2.4" / name), "-o", str(tmp_path / "cli.keras")])
    assert r.exit_code == 0, r.output
    assert "TensorFlow traced at saving" in r.output and "the result is the inference computation" in r.output


def test_a_model_with_a_keras_config_has_no_traced_part(tmp_path):
    assert api.convert(SAMPLES / "tf2.4" / "sequential", tmp_path / "out.keras").traced == []


def test_the_batch_report_shows_the_traced_parts_in_their_rows(tmp_path):
    tree = tmp_path / "tree"
    for name in ("traced_mlp", "dense_transpose", "sequential"):
        shutil.copytree(SAMPLES / "tf2.15" / name, tree / name)
    out = tmp_path / "out"
    kerasmigrate.convert_tree([str(tree)], str(out), jobs=1)
    rows = {r["path"]: r for r in json.loads((out / "report.json").read_text())["files"]}
    assert rows["traced_mlp"]["traced"] == ["the whole model (TracedMLP): inference computation only"]
    assert rows["dense_transpose"]["traced"] == ["layer decoder (DenseTranspose): inference computation only"]
    assert rows["sequential"]["traced"] == []
    page = (out / "report.html").read_text()
    assert "From traced functions" in page and "the whole model (TracedMLP): inference computation only" in page
