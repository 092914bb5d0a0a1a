"""One Lambda layer entry and its evaluated function -> the Keras 3 entries that replace it.

The entry is in Keras 3 node-dict form (after the functional-nodes pass): each inbound node's
first argument is the call's input (a `__keras_tensor__`, or a list of them). Each call is
evaluated on its own inputs (lambdas/emit.py); the steps must be the same for every call.

* **A built-in layer** where one computes exactly the same: an affine map `x·a + b` of the
  input (`x / 255.0 - 0.5`, `x / 127.5 - 1`, `(x - m) / s`) -> `Rescaling(scale=a, offset=b)`
  (keras/src/layers/preprocessing/rescaling.py: `x * scale + offset`; `x / 255` becomes
  `x * (1/255)`, equal up to float rounding, about 1e-7 relative); the identity ->
  `Activation("linear")`; one tanh / sigmoid / relu / last-axis softmax -> `Activation(name)`;
  `K.permute_dimensions(x, (0, p...))` -> `Permute(p)`; `K.batch_flatten` -> `Flatten`. The
  layer keeps the Lambda's name and inbound nodes, so nothing else changes.
* **Otherwise keras.ops nodes**, as the tf-op-layers pass writes them: `{"module":
  "keras.src.ops.numpy", "class_name": ..., "config": {"name", attributes},
  "registered_name", "name", "inbound_nodes"}`, constants as node arguments. The last node is
  named as the Lambda (downstream `keras_history` stays valid); the others
  `<lambda>_<op>` (Keras 3 rejects "/" in names), unique in the model.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from kerasmigrate.core.configs import iter_layers, model_layers
from kerasmigrate.lambdas.bytecode import evaluate_lambda
from kerasmigrate.lambdas.emit import Emitter
from kerasmigrate.lambdas.expr import LambdaFunction, LambdaRefusal
from kerasmigrate.lambdas.render import render, render_function
from kerasmigrate.lambdas.shapes import input_shapes
from kerasmigrate.lambdas.values import Step, Tensor, Untranslatable, Writer

AFFINE = {"Add", "Subtract", "Multiply", "TrueDivide", "Negative"}
ACTIVATIONS = {("keras.src.ops.numpy", "Tanh"): "tanh", ("keras.src.ops.nn", "Sigmoid"): "sigmoid"}
ACTIVATIONS[("keras.src.ops.nn", "Relu")] = "relu"


@dataclass
class Translation:
    entries: list[dict]  # the replacement, in config order; the last one named as the Lambda
    expression: str  # the Lambda's expression, as Python-like text
    became: str  # what it became, for the report
    builtin: bool  # one built-in layer with the Lambda's own inbound nodes
    notes: list[str] = field(default_factory=list)


def _snake(name: str) -> str:
    # "AveragePooling2D" -> average_pooling2d: a capital after a digit starts no word
    return "".join(
        "_" + c.lower() if c.isupper() and i and not name[i - 1].isdigit() else c.lower() for i, c in enumerate(name)
    )


def _affine(steps: list[Step], result: Tensor):
    """(scale, offset) when the steps compute `x * scale + offset` of one input, else None."""
    scale, offset, current = 1.0, 0.0, None
    for index, step in enumerate(steps):
        if step.class_name not in AFFINE or step.module != "keras.src.ops.numpy":
            return None
        tensors = [a for a in step.args if isinstance(a, Tensor)]
        constants = [a for a in step.args if not isinstance(a, Tensor)]
        if len(tensors) != 1 or (index and tensors[0] != Tensor(step=index - 1)):
            return None
        if not index:
            current = tensors[0]
        if step.class_name == "Negative":
            scale, offset = -scale, -offset
            continue
        (c,) = constants
        tensor_first = isinstance(step.args[0], Tensor)
        if step.class_name == "Add":
            offset += c
        elif step.class_name == "Subtract":
            scale, offset = (scale, offset - c) if tensor_first else (-scale, c - offset)
        elif step.class_name == "Multiply":
            scale, offset = scale * c, offset * c
        elif tensor_first and c != 0:
            scale, offset = scale / c, offset / c
        else:
            return None  # c / x is not affine
    if current is None or current.step is not None or result != Tensor(step=len(steps) - 1):
        return None
    return (float(scale), float(offset)), current


def _layer(entry: dict, class_name: str, config: dict, nodes: list) -> dict:
    base = {k: entry["config"][k] for k in ("name", "trainable", "dtype") if k in entry["config"]}
    return {
        "module": "keras.layers",
        "class_name": class_name,
        "config": {**base, **config},
        "registered_name": None,
        "name": entry["config"]["name"],
        "inbound_nodes": nodes,
        **{k: v for k, v in entry.items() if k.startswith("_")},  # bookkeeping (the legacy name...)
    }


def _only_input(step: Step, result) -> Tensor | None:
    """The input tensor a lone step reads, when it is the whole computation."""
    first = step.args[0] if step.args else None
    if result != Tensor(step=0) or not isinstance(first, Tensor) or first.step is not None:
        return None
    return first


def _builtin(steps: list[Step], result) -> tuple[str, dict, str, Tensor] | None:
    """(class, config, description, the input it reads) of the built-in layer that computes
    exactly what the steps do, when there is one."""
    if not steps and isinstance(result, Tensor) and result.step is None:
        return "Activation", {"activation": "linear"}, "Activation('linear')", result
    affine = _affine(steps, result) if steps else None
    if affine is not None:
        (scale, offset), source = affine
        if offset == 0.0 and scale == 1.0:
            return "Activation", {"activation": "linear"}, "Activation('linear')", source
        described = f"Rescaling(scale={scale:.6g}, offset={offset:.6g})"
        return "Rescaling", {"scale": scale, "offset": offset}, described, source
    source = _only_input(steps[0], result) if len(steps) == 1 else None
    if source is None:
        return None
    step = steps[0]
    name = ACTIVATIONS.get((step.module, step.class_name))
    if step.class_name == "Softmax" and step.attributes.get("axis") == -1:
        name = "softmax"
    if name:
        return "Activation", {"activation": name}, f"Activation('{name}')", source
    axes = step.attributes.get("axes")
    if step.class_name == "Transpose" and axes and axes[0] == 0 and sorted(axes) == list(range(len(axes))):
        return "Permute", {"dims": list(axes[1:])}, f"Permute({tuple(axes[1:])})", source
    if step.class_name == "Flatten":
        return "Flatten", {"data_format": "channels_last"}, "Flatten()", source
    if step.module == "keras.layers":  # one built-in layer a form emitted (AREA resize: image_forms.py)
        shown = ", ".join(f"{k}={v!r}" for k, v in step.attributes.items() if k not in ("data_format", "padding"))
        return step.class_name, dict(step.attributes), f"{step.class_name}({shown})", source
    return None


def _call_steps(function: LambdaFunction, node: dict, writer: Writer, input_shape=None) -> tuple[list[Step], object]:
    first = (node.get("args") or [None])[0]
    inputs = [Tensor(source=t) for t in first] if isinstance(first, list) else Tensor(source=first)
    shape = input_shape if isinstance(inputs, Tensor) else None
    emitter = Emitter(function.params[0], inputs, writer, shape)
    result = emitter.value(function.result)
    return emitter.steps, result


def _unique(base: str, taken: set[str]) -> str:
    name, n = base, 0
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def _node_value(value, names: list[str], call: int):
    if isinstance(value, Tensor):
        if value.step is None:
            return value.source
        return {
            "class_name": "__keras_tensor__",
            "config": {"shape": [], "dtype": "float32", "keras_history": [names[value.step], call, 0]},
        }
    if isinstance(value, (list, tuple)):
        return [_node_value(v, names, call) for v in value]
    return value


def _op_entries(entry: dict, calls: list, taken: set[str]) -> list[dict]:
    """One entry per step, each called once per call of the Lambda."""
    lambda_name = entry["config"]["name"]
    steps = calls[0][0]
    for other, _ in calls[1:]:
        if [(s.module, s.class_name, s.attributes) for s in other] != [
            (s.module, s.class_name, s.attributes) for s in steps
        ]:
            raise Untranslatable("its calls compute different operations")
    names = [_unique(f"{lambda_name}_{_snake(s.label)}", taken) for s in steps[:-1]] + [lambda_name]
    entries = []
    for index, step in enumerate(steps):
        nodes = [{"args": _node_value(call[index].args, names, k), "kwargs": {}} for k, (call, _) in enumerate(calls)]
        if step.module == "keras.layers":
            config = {"name": names[index], "trainable": True, **step.attributes}
            if "dtype" in entry["config"]:
                config["dtype"] = entry["config"]["dtype"]
            entries.append(
                {"module": step.module, "class_name": step.class_name, "config": config, "registered_name": None}
            )
        else:
            entries.append(
                {
                    "module": step.module,
                    "class_name": step.class_name,
                    "config": {"name": names[index], **step.attributes},
                    "registered_name": step.class_name,
                }
            )
        entries[-1].update(name=names[index], inbound_nodes=nodes)
    return entries


def _builtin_shape(class_name: str, config: dict, shape: list) -> list | None:
    """The output shape (batch first) of a replacement layer on an input of `shape`."""
    if class_name in ("Rescaling", "Activation"):
        return list(shape)
    if class_name == "Permute":
        return [shape[0]] + [shape[d] for d in config["dims"]] if len(shape) == len(config["dims"]) + 1 else None
    if class_name == "Flatten":
        rest = shape[1:]
        return [shape[0], None if None in rest else math.prod(rest)]
    if class_name == "AveragePooling2D" and len(shape) == 4 and None not in shape[1:3]:
        (ph, pw) = config["pool_size"]
        return [shape[0], shape[1] // ph, shape[2] // pw, shape[3]]
    return None


def check_output_shape(entry: dict, class_name: str, config: dict, input_shape: list | None) -> None:
    """A constant `output_shape` the Lambda stored must be what its replacement layer produces
    (legacy writers store it without the batch dimension, or with it as None)."""
    stored = entry["config"].get("output_shape")
    constant = isinstance(stored, list) and all(isinstance(d, int) or d is None for d in stored)
    if not constant or entry["config"].get("output_shape_type", "raw") != "raw" or input_shape is None:
        return
    produced = _builtin_shape(class_name, config, list(input_shape))
    if produced is not None and stored not in (produced[1:], produced):
        raise Untranslatable(
            f"its stored output_shape {stored} is not what {class_name} produces from its input "
            f"{input_shape[1:]}: {produced[1:]}"
        )


def translate_entry(
    entry: dict, function: LambdaFunction, writer: Writer, taken: set[str], input_shape=None
) -> Translation:
    """The replacement of one Lambda entry (in a Functional's node-dict form); raises
    Untranslatable. `taken` holds the model's layer names; new names are added to it.
    `input_shape` (batch first), when known, checks a replacement layer against the stored
    output_shape."""
    config = entry["config"]
    if config.get("mask") is not None:
        raise Untranslatable("it computes its output mask with a stored function (`mask`)")
    expression = render(function.result)
    nodes = entry.get("inbound_nodes") or []
    if not nodes:
        raise Untranslatable("it is never called")
    if any(node.get("kwargs") for node in nodes):
        raise Untranslatable(f"it is called with keyword arguments {sorted(nodes[0].get('kwargs') or {})}")
    # the recorded shape is that of the first call's input (upgrade/lambda_layers.py `_input_shape`)
    calls = [_call_steps(function, node, writer, input_shape if not k else None) for k, node in enumerate(nodes)]
    builtins = [_builtin(*call) for call in calls]
    if builtins[0] is not None and all(b is not None and b[:3] == builtins[0][:3] for b in builtins):
        class_name, layer_config, became, _ = builtins[0]
        check_output_shape(entry, class_name, layer_config, input_shape)
        layer_nodes = [{"args": [b[3].source], "kwargs": {}} for b in builtins]
        return Translation([_layer(entry, class_name, layer_config, layer_nodes)], expression, became, True)
    for steps, result in calls:
        if not isinstance(result, Tensor):
            raise Untranslatable("it returns something other than one tensor")
        if result.step is None:
            raise Untranslatable("it returns one of its inputs unchanged from a list of inputs")
        if result.step != len(steps) - 1:
            raise Untranslatable("it computes operations its result does not use")
    entries = _op_entries(entry, calls, taken)
    ops = ", ".join(_snake(e["class_name"]) for e in entries)
    return Translation(entries, expression, f"keras.ops nodes ({ops})", False)


Evaluator = Callable[..., LambdaFunction]


def default_evaluator() -> Evaluator:
    """The evaluator convert uses (tests replace it)."""
    return evaluate_lambda


def keras_tensor(name: str) -> dict:
    """A reference to the first output of the first call of layer `name`."""
    return {
        "class_name": "__keras_tensor__",
        "config": {"shape": [], "dtype": "float32", "keras_history": [name, 0, 0]},
    }


def evaluate_entry(entry: dict, evaluator: Evaluator, writer: Writer) -> LambdaFunction:
    """The Lambda's function evaluated; raises Untranslatable with the evaluator's reason."""
    config = entry["config"]
    if config.get("function_type") == "function" and isinstance(config.get("function"), str):
        raise Untranslatable(f"it calls the module function {config['function']!r} by name, whose code is not stored")
    try:
        arguments = config.get("arguments") or None
        return evaluator(config.get("function"), arguments=arguments, keras_version=writer.keras_version)
    except LambdaRefusal as exc:
        raise Untranslatable(f"its bytecode is refused: {exc}") from None
    except ValueError as exc:  # NotBytecode
        raise Untranslatable(f"its function is not readable bytecode ({exc})") from None


def translate_one(entry: dict, evaluator: Evaluator, writer: Writer, taken: set[str], input_shape=None):
    """Evaluate and translate one Lambda entry (node-dict form); raises Untranslatable."""
    function = evaluate_entry(entry, evaluator, writer)
    return translate_entry(entry, function, writer, taken, input_shape)


def preview(entry: dict, writer: Writer, previous: str | None = None, input_shape=None) -> dict:
    """What a Lambda entry (in a Functional's node-dict form, or a Sequential's layer after
    `previous`) would become: {"expression", "became"} or {"expression"?, "refused"}; {} when no
    evaluator is available. `input_shape`: lambdas/shapes.py `input_shapes`, as convert has it."""
    evaluator = default_evaluator()
    if "inbound_nodes" not in entry or previous is not None:
        entry = {**entry, "inbound_nodes": [{"args": [keras_tensor(previous or "input")], "kwargs": {}}]}
    out = {}
    try:
        function = evaluate_entry(entry, evaluator, writer)
        out["expression"] = render_function(function)
        done = translate_entry(entry, function, writer, {entry["config"].get("name")}, input_shape)
    except Untranslatable as exc:
        out["refused"] = str(exc)
        return out
    out["became"] = done.became
    return out


def sequential_predecessors(config: dict) -> dict[int, str]:
    """For each layer of a Sequential in the config (by id), the name of the layer before it."""
    out = {}
    for _, entry in iter_layers(config):
        if entry.get("class_name") == "Sequential":
            layers = model_layers(entry)
            for before, layer in zip(layers, layers[1:]):
                out[id(layer)] = (before.get("config") or {}).get("name", "input")
            if layers:
                out.setdefault(id(layers[0]), "input")
    return out


def previews(config: dict, writer: Writer, is_lambda) -> dict[str, dict]:
    """`preview` of every Lambda entry (`is_lambda(entry)`) of a converted config, by path."""
    before, shapes = sequential_predecessors(config), input_shapes(config)
    return {
        where: preview(entry, writer, before.get(id(entry)), shapes.get(id(entry)))
        for where, entry in iter_layers(config)
        if is_lambda(entry)
    }
