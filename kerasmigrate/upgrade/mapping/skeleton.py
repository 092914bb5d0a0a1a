"""`map init`: a mapping.toml to fill in, one commented rule for everything the files need."""

from __future__ import annotations

import json
import re
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from kerasmigrate.core.atomic import write_bytes_atomic
from kerasmigrate.errors import OutputExistsError
from kerasmigrate.upgrade.mapping.needs import needs

BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
HEADER = [
    "# Fill in every rule (uncomment its lines), then:",
    "#   kerasmigrate convert MODEL --mapping THIS_FILE",
    "# Targets in your own Keras 3 module (classes, registered functions) need it named here or",
    "# with --custom-module; kerasmigrate imports it (and Keras) to check them.",
    '# custom_module = "my_layers.py"',
    "",
]
LAMBDA_RULE = [
    '# function = "MyPackage>my_function"   # a registered function, called by a Keras 3 Lambda',
    "# output_shape = [...]                 # optional, without the batch dimension",
    '# layer = "Rescaling"                   # or a built-in layer that computes the same',
    "# config = { scale = 1.0, offset = 0.0 }",
    "",
]
# What each kind of rule starts with in the skeleton: `write_skeleton` counts them.
COUNTED = {"classes": "# Class ", "lambdas": "# Lambda layer ", "functions": "# Function ", "tf_ops": "# TF op layer "}


def toml_key(key: str) -> str:
    return key if BARE_KEY.match(key) else json.dumps(key)


def _merged(found: list[tuple[Path, dict]], lines: list[str]) -> tuple[dict, dict, dict]:
    """The needs of every file, by class, Lambda layer and function; TF ops and problems go to `lines`."""
    classes: dict = {}
    lambdas: dict = {}
    functions: dict = {}
    for path, need in found:
        for cls, item in need["classes"].items():
            merged = classes.setdefault(cls, {**item, "layers": [], "weights": {}, "files": []})
            merged["layers"] += item["layers"]
            merged["weights"].update(item["weights"])
            merged["files"].append(path.name)
        for name, info in need["lambdas"].items():
            lambdas.setdefault(name, {**info, "files": []})["files"].append(path.name)
        for fname, where in need["functions"].items():
            functions.setdefault(fname, []).extend(where)
        for op in need["tf_ops"]:
            lines.append(f"{COUNTED['tf_ops']}{op} ({path.name}): no mapping can replace it yet")
        for problem in need["problems"]:
            lines.append(f"# {path.name}: {problem}")
    return classes, lambdas, functions


def _class_lines(cls: str, item: dict) -> list[str]:
    registered = item["registered_name"]
    lines = [
        f"{COUNTED['classes']}{cls}: layers {', '.join(item['layers'])}",
        f"#   module: {item['module'] or 'not recorded'}; registered name: {registered or 'not registered'}",
    ]
    if item["config"]:
        lines.append("#   config: " + ", ".join(f"{k}={json.dumps(v)}" for k, v in item["config"].items()))
    for layer, weights in item["weights"].items():
        shown = ", ".join(f"{n} {tuple(s)}" for n, s in weights) or "none"
        lines.append(f"#   stored weights of {layer}: {shown}")
    header = f"[classes.{toml_key(cls)}]"
    if registered:
        lines.append(f"#   matched without a rule when custom_module registers {registered}; or:")
        header = "# " + header
    lines.append(header)
    lines.append(f'# target = "{cls.split(">")[-1]}"            # a Keras 3 layer class of custom_module')
    if item["config"]:
        pairs = ", ".join(f"{toml_key(k)} = {json.dumps(k)}" for k in item["config"])
        lines.append(f"# rename_args = {{ {pairs} }}   # old argument = new argument")
        lines.append(f"# drop_args = [{', '.join(json.dumps(k) for k in item['config'])}]")
    names = sorted({n for ws in item["weights"].values() for n, _ in ws})
    if names:
        pairs = ", ".join(f"{toml_key(n)} = {json.dumps(n)}" for n in names)
        lines.append(f"# weights = {{ {pairs} }}   # stored name = Keras 3 variable name")
    return lines + [""]


def _function_lines(fname: str, where: list[str]) -> list[str]:
    lines = [f"{COUNTED['functions']}{fname}: {', '.join(where)}"]
    if ">" in fname:
        lines.append(f"#   matched without a rule when custom_module registers {fname}; or:")
    lines.append(("# " if ">" in fname else "") + f"[functions.{toml_key(fname)}]")
    lines.append(
        f'# target = "MyPackage>{fname.split(">")[-1]}"   # a registered function, or a Keras 3 activation name'
    )
    return lines + [""]


def _shown_output_shape(info: dict) -> str:
    shape = info.get("output_shape")
    if shape is None:
        return "not recorded"
    if info.get("output_shape_type") in ("lambda", "function") or not (
        isinstance(shape, list) and all(isinstance(d, (int, type(None))) for d in shape)
    ):
        return "computed by a stored function (not run)"
    return json.dumps(shape)


def _lambda_lines(name: str, info: dict) -> list[str]:
    described = [f"function {info.get('function') or 'unknown'}"]
    if info.get("python"):
        described.append(f"bytecode written by Python {info['python']}")
    if info.get("bytecode"):
        described.append(f"bytecode {info['bytecode']}")
    lines = [f"{COUNTED['lambdas']}{info['where']}: " + ", ".join(described)]
    if info.get("names"):
        lines.append(f"#   names it uses: {', '.join(info['names'])}")
    if info.get("constants"):
        lines.append(f"#   constants: {', '.join(json.dumps(c) for c in info['constants'][:12])}")
    lines.append(f"#   output_shape: {_shown_output_shape(info)}")
    translation = info.get("translation") or {}
    if translation.get("expression"):
        lines.append(f"#   recovered from its bytecode: {translation['expression']}")
    if translation.get("became"):
        lines.append(f"#   converts without a rule: {translation['became']} (a rule here replaces that)")
    elif translation.get("refused"):
        lines.append(f"#   not translated: {translation['refused']}")
    lines.append(f"[lambdas.{toml_key(name)}]")
    return lines + LAMBDA_RULE


def skeleton(paths: list[str | Path]) -> str:
    """A mapping.toml to fill in: every rule the files need, with commented lines."""
    found = [(Path(p), needs(p)) for p in paths]
    lines = ["# kerasmigrate mapping, written by `kerasmigrate map init` for:"]
    lines += [f"#   {path} ({need['writer']})" for path, need in found]
    lines += HEADER
    classes, lambdas, functions = _merged(found, lines)
    for cls, item in sorted(classes.items()):
        lines += _class_lines(cls, item)
    for fname, where in sorted(functions.items()):
        lines += _function_lines(fname, where)
    for name, info in sorted(lambdas.items()):
        lines += _lambda_lines(name, info)
    text = "\n".join(lines).rstrip("\n") + "\n"
    tomllib.loads(text)  # the skeleton itself is valid TOML
    return text


def write_skeleton(paths: list[str | Path], output: str | Path, *, overwrite: bool = False) -> dict:
    """Write `skeleton(paths)` to `output` atomically; returns how many rules of each kind it holds."""
    output = Path(output)
    if output.exists() and not overwrite:
        raise OutputExistsError(output, "already exists (use --force to replace it)")
    if any(output.resolve() == Path(p).resolve() for p in paths if Path(p).exists()):
        raise OutputExistsError(output, "the output would overwrite an input")
    text = skeleton(paths)
    write_bytes_atomic(output, text.encode("utf-8"))
    return {kind: text.count("\n" + start) for kind, start in COUNTED.items()}
