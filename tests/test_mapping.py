"""mapping.toml: loading, errors that name the line, applying, map init, and Lambda bytecode.

The custom_* samples (sample_models/custom_*/, written by real old stacks) and the
mapping beside them (sample_models/custom_mapping/) are the inputs; no Keras here
except where a test says so.
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import pytest
import tomllib

from kerasmigrate import api
from kerasmigrate.core.reader import open_legacy_model
from kerasmigrate.errors import KerasMigrateError, MappingError, OutputExistsError
from kerasmigrate.lambdas.bytecode import NotBytecode, describe
from kerasmigrate.upgrade import mapping
from kerasmigrate.upgrade.mapping import UnknownFunction, map_compile_functions

from .conftest import ROOT, SAMPLES, mapped_params

SAMPLE_MAPPING = SAMPLES / "custom_mapping" / "mapping.toml"
CUSTOM_MODULE = SAMPLES / "custom_mapping" / "keras3_layers.py"
MARKER_ENV = "KERASMIGRATE_LAMBDA_MARKER"


def _stack(name):
    return SAMPLES / f"custom_{name}"


def _lambda_functions(path):
    with open_legacy_model(path) as model:
        return {
            e["config"]["name"]: e["config"]["function"]
            for _, e in api.iter_layers(model.model_config)
            if e.get("class_name") == "Lambda"
        }


# -- loading ------------------------------------------------------------------


def test_the_sample_mapping_loads():
    m = mapping.load(SAMPLE_MAPPING)
    assert m.classes["ScaleLayer"].rename_args == {"offset": "shift"}
    assert m.classes["ScaleLayer"].weights == {"scale": "multiplier"}
    assert m.lambdas["double"].layer == "Rescaling"
    assert m.lambdas["take_1_to_4"].output_shape == [3]
    assert m.functions["scaled_tanh"].target == "KmSamples>scaled_tanh"
    assert m.module_reference() == str(SAMPLE_MAPPING.parent / "keras3_layers.py")


@pytest.mark.parametrize(
    "text, line, message",
    [
        ('[classes.A]\ntarget = "A"\nbogus = 1\n', 3, "unknown key 'bogus'"),
        ('\n[classes.A]\nrename_args = { a = "b" }\n', 2, "needs target"),
        ('[lambdas.x]\nlayer = "NoSuchLayer"\n', 2, "not a built-in"),
        ('[lambdas.x]\nlayer = "Rescaling"\nconfig = { factor = 2 }\n', 3, "does not accept factor"),
        ('[lambdas.x]\nlayer = "Dense"\n', 2, "has weights"),
        ('[lambdas.x]\nfunction = "no_package"\n', 2, "registered name"),
        ('[lambdas.x]\nlayer = "Rescaling"\nfunction = "a>b"\n', 1, "either layer"),
        ('[functions.f]\ntarget = "nonsense"\n', 2, "registered function"),
        ('[classes.A]\ntarget = "A"\nweights = 3\n', 3, "weights must map"),
        ('[classes.A\ntarget = "A"\n', 1, "not valid TOML"),
        ("x = 1\n", 1, "unknown key 'x'"),
        ('custom_module = ""\n', 1, "custom_module must be"),
        ("classes = 3\n", 1, "\\[classes\\] must be a table"),
        ("[classes]\nA = 3\n", 2, "\\[classes.A\\] must be a table"),
        ('[classes.A]\ntarget = "A"\n\nrename_args = { a = 1 }\n', 4, "rename_args must map"),
        ('[classes.A]\ntarget = "A"\ndrop_args = "a"\n', 3, "drop_args must be a list"),
        ('[functions.f]\n\ntarget = "relu"\nextra = 1\n', 4, "unknown key 'extra'"),
        ('[lambdas.x]\nfunction = "a>b"\nconfig = { scale = 2 }\n', 3, "config goes with layer"),
        ('[lambdas.x]\nfunction = "a>b"\noutput_shape = [0]\n', 3, "output_shape must be"),
        ('[lambdas.x]\nlayer = "Rescaling"\narguments = { a = 1 }\n', 3, "arguments must be a table"),
        ('[lambdas.x]\nlayer = "Lambda"\n', 2, "not a built-in"),
    ],
)
def test_errors_name_the_file_and_line(text, line, message, tmp_path):
    path = tmp_path / "mapping.toml"
    path.write_text(text)
    with pytest.raises(MappingError, match=message) as info:
        mapping.load(path)
    assert info.value.path == f"{path}:{line}"
    assert str(info.value).startswith(f"{path}:{line}: ")


def test_a_missing_mapping_file_is_named(tmp_path):
    with pytest.raises(MappingError, match="no such mapping file"):
        mapping.load(tmp_path / "absent.toml")


# -- applying: errors at the rule's line ---------------------------------------


def _mapping_with(tmp_path, extra: str) -> Path:
    path = tmp_path / "mapping.toml"
    path.write_text(f'custom_module = "{CUSTOM_MODULE}"\n' + extra)
    return path


@pytest.mark.keras
@pytest.mark.parametrize(
    "extra, line, message",
    [
        ('\n[classes.ScaleLayer]\ntarget = "NoSuchClass"\n', 3, "defines no NoSuchClass"),
        ('\n[classes.ScaleLayer]\ntarget = "scaled_tanh"\n', 3, "not a Keras 3 layer class"),
        (
            '\n[classes.ScaleLayer]\ntarget = "ScaleLayer"\nrename_args = { offset = "shift" }\nweights = ["scale"]\n',
            3,
            "builds \\['multiplier'\\]",
        ),
        (
            '\n[classes.ScaleLayer]\ntarget = "ScaleLayer"\nrename_args = { offset = "shift" }\n'
            'weights = { scale = "gamma" }\n',
            3,
            "does not build",
        ),
        ('\n[lambdas.double]\nfunction = "KmSamples>no_such_function"\n', 3, "not registered"),
    ],
)
def test_wrong_targets_name_the_mapping_line(extra, line, message, tmp_path):
    source = _stack("tf2.15") / ("lambdas.h5" if "lambdas" in extra else "custom_layer.h5")
    path = _mapping_with(tmp_path, extra)
    with pytest.raises(MappingError, match=message) as info:
        api.convert(source, tmp_path / "out.keras", mapping=path)
    assert info.value.path == f"{path}:{line}"
    assert not (tmp_path / "out.keras").exists()


@pytest.mark.keras
def test_a_wrong_argument_is_reported_with_the_mapping(tmp_path):
    path = _mapping_with(tmp_path, '\n[classes.ScaleLayer]\ntarget = "ScaleLayer"\n')  # offset not renamed
    with pytest.raises(KerasMigrateError, match="mapping.toml.*offset"):
        api.convert(_stack("tf2.15") / "custom_layer.h5", tmp_path / "out.keras", mapping=path)


@pytest.mark.keras
def test_a_missing_custom_module_is_named(tmp_path):
    path = tmp_path / "mapping.toml"
    path.write_text('custom_module = "no_such_module_anywhere"\n[classes.ScaleLayer]\ntarget = "ScaleLayer"\n')
    with pytest.raises(MappingError, match="cannot be imported") as info:
        api.convert(_stack("tf2.15") / "custom_layer.h5", tmp_path / "out.keras", mapping=path)
    assert info.value.path == f"{path}:1"


def test_class_targets_need_a_custom_module(tmp_path):
    path = tmp_path / "mapping.toml"
    path.write_text('[classes.ScaleLayer]\ntarget = "ScaleLayer"\n')
    with pytest.raises(MappingError, match="--custom-module") as info:
        api.convert(_stack("tf2.15") / "custom_layer.h5", tmp_path / "out.keras", mapping=path)
    assert info.value.path == f"{path}:1"


def test_lambdas_to_builtin_layers_convert_without_importing_keras(tmp_path):
    """The mapping path stays free of Keras when it names no custom module."""
    path = tmp_path / "mapping.toml"
    path.write_text('[lambdas.side_effect]\nlayer = "Activation"\nconfig = { activation = "linear" }\n')
    out = tmp_path / "out.keras"
    code = (
        "import sys; from kerasmigrate import api; "
        f"api.convert({str(_stack('tf2.4') / 'lambda_marker.h5')!r}, {str(out)!r}, mapping={str(path)!r}); "
        "bad = [m for m in ('keras', 'tensorflow', 'tf_keras') if m in sys.modules]; "
        "assert not bad, bad"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), MARKER_ENV: str(tmp_path / "ran")}
    subprocess.run([sys.executable, "-c", code], check=True, env=env)
    assert out.exists() and not (tmp_path / "ran").exists()


def test_without_a_mapping_every_untranslated_lambda_is_listed_with_map_init(tmp_path):
    """Every Lambda whose code has no Keras 3 translation (here: the three of lambdas.h5 given the
    side-effect Lambda's bytecode) is named at once, with map init."""
    with h5py.File(_stack("tf2.12") / "lambda_marker.h5", "r") as f:
        marker = json.loads(f.attrs["model_config"])
    untranslatable = next(e for e in marker["config"]["layers"] if e["class_name"] == "Lambda")["config"]["function"]
    path = tmp_path / "lambdas.h5"
    shutil.copy(_stack("tf2.12") / "lambdas.h5", path)
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        for entry in config["config"]["layers"]:
            if entry["class_name"] == "Lambda":
                entry["config"]["function"] = untranslatable
        f.attrs["model_config"] = json.dumps(config)
    with pytest.raises(KerasMigrateError) as info:
        api.convert(path, tmp_path / "out.keras")
    for name in ("double", "take_1_to_4", "l2_normalize"):
        assert f"{name}: " in info.value.message
    assert "kerasmigrate map init" in info.value.message


def test_custom_activations_are_refused_without_a_mapping(tmp_path):
    with pytest.raises(KerasMigrateError, match="scaled_tanh.*map init"):
        api.convert(_stack("keras2.3") / "custom_activation.h5", tmp_path / "out.keras")


@pytest.mark.keras
def test_registered_classes_match_without_a_rule(tmp_path):
    """tf.keras recorded KmSamples>GatedDense; the module registers a class under that name."""
    path = tmp_path / "mapping.toml"
    path.write_text(f'custom_module = "{CUSTOM_MODULE}"\n[classes.ResidualBlock]\ntarget = "ResidualBlock"\n')
    report = api.convert(_stack("tf2.15") / "registered_layer.h5", tmp_path / "out.keras", mapping=path)
    assert "KmSamples>GatedDense -> keras3_layers.GatedDense" in report.mapped["classes"]["gated"]
    # Keras 2.3 recorded the class unregistered, by name only: the module's one class of that name.
    report = api.convert(_stack("keras2.3") / "registered_layer.h5", tmp_path / "out2.keras", mapping=path)
    assert report.mapped["classes"]["gated"].endswith("(registered as KmSamples>GatedDense; matched by name)")


@pytest.mark.keras
@pytest.mark.parametrize("stack", ["keras2.3", "tf2.4"])
def test_custom_module_alone_matches_classes_by_name(stack, tmp_path):
    """No mapping: classes the file records by name only match the one class of that name the
    module registers, and the result computes what the writing stack computed."""
    from kerasmigrate.verify import verify

    source = _stack(stack) / "registered_layer.h5"
    target = tmp_path / "out.keras"
    report = api.convert(source, target, custom_module=str(CUSTOM_MODULE))
    assert "matched by name" in report.mapped["classes"]["residual"]
    refs = source.with_name("registered_layer.refs.npz")
    assert verify(source, target, refs=refs, custom_module=str(CUSTOM_MODULE)).ok


@pytest.mark.keras
@pytest.mark.parametrize("count", [0, 2])
def test_no_or_two_classes_of_that_name_ask_for_a_mapping(count, tmp_path):
    module = tmp_path / "two_blocks.py"
    classes = "".join(
        f"@keras.saving.register_keras_serializable(package='P{i}', name='ResidualBlock')\n"
        f"class Block{i}(keras.layers.Layer):\n    pass\n"
        for i in range(count)
    )
    module.write_text("import keras\n" + classes)
    with pytest.raises(KerasMigrateError, match="ResidualBlock.*map init"):
        api.convert(_stack("keras2.3") / "registered_layer.h5", tmp_path / "out.keras", custom_module=str(module))


@pytest.mark.keras
def test_converted_files_load_in_a_fresh_process_with_safe_mode(tmp_path):
    """The output refers to registered names only: importing the module is all loading needs."""
    out = tmp_path / "out.keras"
    api.convert(_stack("tf2.15") / "lambdas.h5", out, mapping=SAMPLE_MAPPING)
    code = (
        f"import sys, importlib.util; sys.path.insert(0, {str(CUSTOM_MODULE.parent)!r}); "
        f"import keras3_layers, keras; m = keras.saving.load_model({str(out)!r}, safe_mode=True); "
        "print(m.layers[1].__class__.__name__)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    )
    assert done.returncode == 0, done.stderr[-2000:]
    config = json.loads(__import__("zipfile").ZipFile(out).read("config.json"))
    assert "__lambda__" not in json.dumps(config) and "4wEA" not in json.dumps(config)


# -- applying, without Keras --------------------------------------------------------


class FakeModule:
    """What apply and map_compile_functions ask of a custom module: which functions it registers."""

    reference = "fake_module.py"

    def __init__(self, functions):
        self.functions = set(functions)

    def has_function(self, name):
        return name in self.functions


def _functional(*layers):
    return {"class_name": "Functional", "config": {"name": "model", "layers": list(layers)}}


def test_apply_rewrites_lambdas_and_activations_and_lists_unused_rules():
    config = _functional(
        {"class_name": "Lambda", "config": {"name": "double", "function": "4wEAAAAA", "trainable": True}},
        {"class_name": "Dense", "config": {"name": "d", "units": 2, "activation": "scaled_tanh"}},
    )
    rules = mapping.loads(
        '[lambdas.double]\nlayer = "Rescaling"\nconfig = { scale = 2.0 }\n'
        '[functions.scaled_tanh]\ntarget = "tanh"\n[classes.Unused]\ntarget = "X"\n'
    )
    classes, report = mapping.apply(config, rules, None)
    layers = config["config"]["layers"]
    assert layers[0] == {
        "module": "keras.layers",
        "class_name": "Rescaling",
        "config": {"name": "double", "trainable": True, "scale": 2.0},
        "registered_name": None,
    }
    assert layers[1]["config"]["activation"] == "tanh"
    assert classes == {}
    assert report.lambdas == {"double": "Rescaling {'scale': 2.0}"}
    assert report.functions == {"d.activation": "scaled_tanh -> tanh"}
    assert report.unused_rules == ["[classes.Unused]"]


def test_apply_maps_a_function_to_a_registered_one_the_module_has():
    config = _functional({"class_name": "Dense", "config": {"name": "d", "activation": "scaled_tanh"}})
    rules = mapping.loads('[functions.scaled_tanh]\ntarget = "KmSamples>scaled_tanh"\n', "m.toml")
    with pytest.raises(MappingError, match=r"\[functions.scaled_tanh\] names a target in a custom module"):
        mapping.apply(json.loads(json.dumps(config)), rules, None)
    with pytest.raises(
        MappingError, match="target 'KmSamples>scaled_tanh' is not registered by the custom module fake"
    ):
        mapping.apply(json.loads(json.dumps(config)), rules, FakeModule([]))
    _, report = mapping.apply(config, rules, FakeModule(["KmSamples>scaled_tanh"]))
    assert config["config"]["layers"][0]["config"]["activation"] == mapping.registered_function("KmSamples>scaled_tanh")
    assert report.checked_functions == ["KmSamples>scaled_tanh"]


# -- losses and metrics of the training configuration ---------------------------------


def test_unknown_losses_and_metrics_are_records():
    compile_config = {"loss": "it's_my_loss", "metrics": ["accuracy", {"out": "my_metric"}]}
    unknown = map_compile_functions(compile_config, None, None, mapping.MappingReport())
    assert unknown == [UnknownFunction("loss", "it's_my_loss"), UnknownFunction("metric", "my_metric")]
    assert [str(u) for u in unknown] == ['loss "it\'s_my_loss"', "metric 'my_metric'"]


def test_a_mapped_loss_becomes_the_registered_function_and_its_rule_is_used():
    rules = mapping.loads('[functions.my_loss]\ntarget = "P>my_loss"\n', "m.toml")
    report = mapping.MappingReport(unused_rules=["[functions.my_loss]"])
    compile_config = {"loss": "my_loss", "metrics": []}
    assert map_compile_functions(compile_config, rules, FakeModule(["P>my_loss"]), report) == []
    assert compile_config["loss"] == mapping.registered_function("P>my_loss")
    assert report.functions == {"compile_config.loss": "my_loss -> P>my_loss"}
    assert report.unused_rules == []
    with pytest.raises(MappingError, match="m.toml:1: .*not registered"):
        map_compile_functions({"loss": "my_loss"}, rules, None, mapping.MappingReport())


# -- map init -------------------------------------------------------------------


def test_map_init_lists_everything_a_file_needs(tmp_path):
    files = sorted(_stack("keras2.3").glob("*.h5"))
    text = mapping.skeleton(files)
    doc = tomllib.loads(text)
    assert set(doc["classes"]) == {"ScaleLayer", "GatedDense", "ResidualBlock"}
    assert set(doc["lambdas"]) == {"double", "take_1_to_4", "l2_normalize", "side_effect"}
    assert set(doc["functions"]) == {"scaled_tanh"}
    assert "bytecode written by Python 3.0-3.7" in text  # Keras 2.3 ran on Python 3.7
    assert "stored weights of scale: scale (5,)" in text
    assert "config: offset=0.25" in text
    # the skeleton is to be filled in: loading it as it is names the first empty rule
    path = tmp_path / "mapping.toml"
    path.write_text(text)
    with pytest.raises(MappingError, match="needs target"):
        mapping.load(path)


def test_map_init_leaves_registered_names_to_automatic_matching():
    text = mapping.skeleton([_stack("tf2.15") / "registered_layer.h5", _stack("tf2.15") / "custom_activation.h5"])
    assert '# [classes."KmSamples>GatedDense"]' in text
    assert '# [functions."KmSamples>scaled_tanh"]' in text
    assert set(tomllib.loads(text)["classes"]) == {"ResidualBlock"}


def test_map_init_cli_writes_atomically_and_refuses_to_overwrite(tmp_path):
    from click.testing import CliRunner

    from kerasmigrate.cli import main

    out = tmp_path / "mapping.toml"
    runner = CliRunner()
    result = runner.invoke(main, ["map", "init", str(_stack("tf2.4") / "lambdas.h5"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "3 Lambda layers" in result.output
    result = runner.invoke(main, ["map", "init", str(_stack("tf2.4") / "lambdas.h5"), "-o", str(out)])
    assert result.exit_code == 2 and "already exists" in result.output


def test_write_skeleton_gives_the_file_ordinary_permissions(tmp_path):
    out = tmp_path / "mapping.toml"
    previous = os.umask(0o022)
    try:
        counts = mapping.write_skeleton([_stack("tf2.4") / "lambdas.h5"], out)
    finally:
        os.umask(previous)
    assert out.stat().st_mode & 0o777 == 0o644
    assert counts == {"classes": 0, "lambdas": 3, "functions": 0, "tf_ops": 0}
    assert out.read_text() == mapping.skeleton([_stack("tf2.4") / "lambdas.h5"])
    assert [p.name for p in tmp_path.iterdir()] == ["mapping.toml"]  # no temporary file left


def test_write_skeleton_never_overwrites_an_input(tmp_path):
    source = tmp_path / "lambdas.h5"
    source.write_bytes((_stack("tf2.4") / "lambdas.h5").read_bytes())
    with pytest.raises(OutputExistsError, match="would overwrite an input"):
        mapping.write_skeleton([source], source, overwrite=True)
    assert source.read_bytes() == (_stack("tf2.4") / "lambdas.h5").read_bytes()


@pytest.mark.parametrize("key, written", [("plain_key-1", "plain_key-1"), ("Pkg>Name", '"Pkg>Name"'), ("a b", '"a b"')])
def test_toml_keys_are_quoted_only_when_they_must_be(key, written):
    assert mapping.toml_key(key) == written
    assert tomllib.loads(f"[t.{written}]") == {"t": {key: {}}}


# -- the marker: no command ever runs a Lambda's bytecode ---------------------------


def test_the_writing_stack_did_run_the_marker_lambda():
    """The control: the sample's Lambda does create the marker when it runs."""
    for stack_dir, entry in [(d, e) for d, e in (p.values for p in mapped_params())]:
        if entry["name"] == "lambda_marker":
            assert entry["marker_created_by_writer"] is True, stack_dir


@pytest.mark.keras
@pytest.mark.parametrize("stack", ["keras2.3", "tf2.2", "tf2.4", "tf2.12", "tf2.15"])
def test_no_command_runs_the_marker_lambda(stack, tmp_path):
    """inspect, map init, convert (with and without a mapping) and verify, through the CLI, in
    this Python (3.11: the tf2.12/tf2.15 samples' bytecode would load here if anything ran it)."""
    from click.testing import CliRunner

    from kerasmigrate.cli import main

    source = _stack(stack) / "lambda_marker.h5"
    marker = tmp_path / "lambda-ran"
    cwd_marker = Path.cwd() / "kerasmigrate-lambda-marker"
    env = {MARKER_ENV: str(marker)}
    runner = CliRunner(env=env)
    out = tmp_path / "out.keras"
    os.environ[MARKER_ENV] = str(marker)
    try:
        steps = [
            ["inspect", str(source)],
            ["map", "init", str(source), "-o", str(tmp_path / "m.toml")],
            ["convert", str(source), "-o", str(tmp_path / "refused.keras")],
            ["convert", str(source), "-o", str(out), "--mapping", str(SAMPLE_MAPPING)],
            [
                "verify",
                str(source),
                str(out),
                "--refs",
                str(source.with_suffix(".refs.npz")),
                "--custom-module",
                str(CUSTOM_MODULE),
            ],
            ["verify", str(source), str(out)],  # no refs: refused, the original is never run
        ]
        codes = [runner.invoke(main, args).exit_code for args in steps]
    finally:
        del os.environ[MARKER_ENV]
    assert codes == [0, 0, 2, 0, 0, 2]
    assert not marker.exists() and not cwd_marker.exists()


# -- Lambda bytecode, read as data ------------------------------------------------


@pytest.mark.parametrize(
    "stack, python",
    [("keras2.3", "3.0-3.7"), ("tf2.2", "3.8-3.10"), ("tf2.4", "3.8-3.10"), ("tf2.12", "3.11+"), ("tf2.15", "3.11+")],
)
def test_the_python_that_wrote_a_lambda_is_recognised(stack, python):
    functions = _lambda_functions(_stack(stack) / "lambdas.h5")
    assert json.loads((_stack(stack) / "manifest.json").read_text())["versions"]["python"].startswith(
        {"3.0-3.7": "3.7", "3.8-3.10": "3.8", "3.11+": "3.11"}[python]
    )
    infos = {name: describe(fn) for name, fn in functions.items()}
    assert {i.python for i in infos.values()} == {python}
    assert infos["double"].name == "<lambda>" and infos["double"].constants == [2]
    assert infos["take_1_to_4"].constants == [1, 4]
    assert infos["l2_normalize"].names == ["K", "l2_normalize"]


def test_bytecode_is_never_unmarshalled(monkeypatch):
    import marshal

    def forbidden(*args, **kwargs):
        raise AssertionError("marshal.loads called")

    monkeypatch.setattr(marshal, "loads", forbidden)
    for fn in _lambda_functions(_stack("tf2.15") / "lambdas.h5").values():
        describe(fn)
    mapping.skeleton([_stack("tf2.15") / "lambdas.h5"])


@pytest.mark.parametrize("value", ["", "not base64 at all!", ["YWJj", None, None], 3, "\u00ff\u00fe"])
def test_other_values_are_not_taken_for_bytecode(value):
    with pytest.raises(NotBytecode):
        describe(value)


def test_map_init_lists_tf_ops_without_a_conversion(tmp_path):
    """A real TF 2.4 file, with one op renamed to a function kerasmigrate has no table entry for."""
    import shutil

    import h5py

    path = tmp_path / "ops.h5"
    shutil.copy(SAMPLES / "tf2.4" / "tf_ops.h5", path)
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        for layer in config["config"]["layers"]:
            if layer["config"].get("function") == "math.sigmoid":
                layer["config"]["function"] = "math.bessel_i0"
        f.attrs["model_config"] = json.dumps(config)
    text = mapping.skeleton([path])
    assert "# TF op layer" in text and "tf.math.sigmoid" in text and "bessel_i0" in text
    with pytest.raises(KerasMigrateError, match="bessel_i0"):
        api.convert(path, tmp_path / "out.keras")


def test_map_init_reads_a_file_that_names_its_own_module(tmp_path):
    """The mapping is what will name the file's own module: map init lists the class, convert refuses it."""
    path = tmp_path / "own_module.h5"
    shutil.copy(_stack("tf2.15") / "custom_layer.h5", path)
    with h5py.File(path, "r+") as f:
        config = json.loads(f.attrs["model_config"])
        for layer in config["config"]["layers"]:
            if layer["class_name"] == "ScaleLayer":
                layer["module"] = "my_project.layers"
        f.attrs["model_config"] = json.dumps(config)
    assert "ScaleLayer" in tomllib.loads(mapping.skeleton([path]))["classes"]
    with pytest.raises(KerasMigrateError, match="my_project.layers"):
        api.convert(path, tmp_path / "out.keras")
