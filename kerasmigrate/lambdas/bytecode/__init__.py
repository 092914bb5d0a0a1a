"""A Lambda layer's stored function read as data and evaluated symbolically, never run.

Keras 1/2, tf.keras and tf_keras store the function as `marshal.dumps(func.__code__)`
(base64; from Keras 2.1 / tf.keras as the `[code, defaults, closure]` list `func_dump`
returns: keras 2.3.1 keras/utils/generic_utils.py, tf_keras
tf_keras/src/utils/generic_utils.py). stream.py reads the marshal stream, whose layout names
a group of Python versions; every opcode table of the group is tried (decode.py), and the
code is evaluated under each table it decodes under (machine.py with vocabulary.py). The
readings must agree: bytecode that means different things to two Pythons is refused.

Nothing here calls `marshal.loads`, `eval` or `exec`, creates a code object, or imports what
the bytecode names: names stay names (kerasmigrate/lambdas/expr.py `Name`).
"""

from __future__ import annotations

from kerasmigrate.lambdas.bytecode.decode import Undecodable, decode
from kerasmigrate.lambdas.bytecode.describe import CodeInfo, describe, read_layout, stored_bytes
from kerasmigrate.lambdas.bytecode.machine import Context, Frame, plain_value, run
from kerasmigrate.lambdas.bytecode.opcodes import GROUPS, ORDER, label, table
from kerasmigrate.lambdas.bytecode.ops_flow import bind
from kerasmigrate.lambdas.bytecode.stream import CodeObject, NotBytecode
from kerasmigrate.lambdas.bytecode.vocabulary import HANDLERS
from kerasmigrate.lambdas.expr import Arg, Const, Dict, LambdaFunction, LambdaRefusal, List

__all__ = ["CodeInfo", "NotBytecode", "describe", "evaluate_lambda", "evaluate_output_shape"]

MAX_NODES = 5000
MAX_STORED_DEPTH = 20
# Pythons the Keras releases ran on, to try their tables first (a hint only: every table of
# the group is tried). Keras 2.1-2.3: Python 2.7 and 3.5-3.7; TF 2.1-2.3: 3.5-3.8.
KERAS_PYTHONS = {"1": ("2.7", "3.4", "3.5"), "2.0": ("2.7", "3.5"), "2.1": ("3.5", "3.6"), "2.2": ("3.6", "3.7")}


def evaluate_lambda(function, *, arguments: dict | None = None, keras_version: str | None = None) -> LambdaFunction:
    """What a Lambda's stored `function` (the config value: a string or the [code, defaults,
    closure] list) returns, as an Expr of its first parameter `Arg(name)`. The other
    parameters are bound from `arguments` (the layer config's), then the stored defaults.

    Raises NotBytecode when the value is not a code object this reader knows, LambdaRefusal
    when the code does something outside the vocabulary or reads differently as two Pythons.
    """
    code = read_layout(stored_bytes(function))
    defaults, closure = _stored_extras(function)
    if arguments is not None and not isinstance(arguments, dict):
        raise LambdaRefusal(f"the layer's `arguments` are a {type(arguments).__name__}, not a mapping")
    outcomes = {}
    for version in _candidates(code.layout, keras_version):
        try:
            outcomes[version] = _evaluate(code, version, arguments or {}, defaults, closure)
        except (Undecodable, LambdaRefusal) as exc:
            outcomes[version] = exc
    return _agreed(code, outcomes)


def evaluate_output_shape(function, *, arguments: dict | None = None, keras_version: str | None = None):
    """The same for a Lambda's stored `output_shape` function: its first parameter is the
    input shape (Keras 2.3.1 keras/layers/core.py `Lambda.compute_output_shape` calls it
    with the shape alone; `arguments` are not passed to it)."""
    return evaluate_lambda(function, arguments={}, keras_version=keras_version)


def _candidates(layout: str, keras_version: str | None) -> list[str]:
    versions = list(GROUPS[layout])
    if keras_version:
        major, _, rest = keras_version.partition(".")
        likely = KERAS_PYTHONS.get(major if major == "1" else f"{major}.{rest.partition('.')[0]}", ())
        versions.sort(key=lambda v: v not in likely)
    return versions


def _evaluate(code: CodeObject, version: str, arguments: dict, defaults, closure) -> tuple:
    decode(code, table(version))  # a table the code does not decode under is no candidate
    frame = Frame(code, table(version), {}, Context(HANDLERS))
    params = code.params
    if not params:
        frame.refuse("a function without a parameter for the layer's input")
    if len(closure) != len(code.freevars):
        frame.refuse(f"the function reads {len(code.freevars)} closure variables; {len(closure)} are stored")
    kwargs = [(k, to_expr(frame, v)) for k, v in arguments.items() if k != params[0]]
    frame.env = bind(frame, code, [Arg(params[0])], kwargs, tuple(to_expr(frame, v) for v in defaults), {})
    frame.env.update(zip(code.freevars, (to_expr(frame, v) for v in closure)))
    result = run(frame)
    _check_size(frame, result)
    return params, result


def _agreed(code: CodeObject, outcomes: dict) -> LambdaFunction:
    fits = {v: o for v, o in outcomes.items() if isinstance(o, tuple)}
    if not fits:
        refusals = {}
        for version, o in outcomes.items():
            if isinstance(o, LambdaRefusal):
                refusals.setdefault((o.reason, o.instruction, o.line), []).append(version)
        if refusals:
            # The refusal most tables agree on; on a tie, the newest Python's.
            (reason, instruction, line), versions = max(
                refusals.items(), key=lambda kv: (len(kv[1]), max(ORDER.index(v) for v in kv[1]))
            )
            raise LambdaRefusal(f"{reason} (read as Python {label(versions)})", instruction, line)
        reasons = "; ".join(f"{v}: {o}" for v, o in outcomes.items())
        instructions = {o.instruction for o in outcomes.values() if o.instruction}
        raise LambdaRefusal(
            f"the bytecode decodes as none of Python {label(outcomes)} ({reasons})",
            instructions.pop() if len(instructions) == 1 else None,
        )
    readings = {}
    for version, (_, result) in fits.items():
        readings.setdefault(result, []).append(version)
    if len(readings) > 1:
        groups = " and ".join(f"Python {label(vs)}" for vs in readings.values())
        raise LambdaRefusal(f"the bytecode reads differently as {groups}; which Python wrote it is unknown")
    (result, versions), params = next(iter(readings.items())), next(iter(fits.values()))[0]
    return LambdaFunction(
        params=params, result=result, python=label(versions), name=code.name, first_line=code.firstlineno
    )


def _stored_extras(function) -> tuple[tuple, tuple]:
    """The defaults and closure values of the [code, defaults, closure] list (Keras 2.1+)."""
    if not isinstance(function, (list, tuple)):
        return (), ()
    defaults = function[1] if len(function) > 1 and function[1] is not None else ()
    closure = function[2] if len(function) > 2 and function[2] is not None else ()
    if not isinstance(defaults, (list, tuple)) or not isinstance(closure, (list, tuple)):
        raise NotBytecode("the stored defaults or closure are not lists")
    return tuple(defaults), tuple(closure)


def to_expr(frame: Frame, value, depth: int = 0):
    """A value from the layer config (JSON): a constant, a list of them, or a dict display.

    JSON has no tuples: a list of constants (Keras stored the function's defaults tuple
    that way) becomes the tuple constant, as the code's own tuple constants are."""
    if depth > MAX_STORED_DEPTH:
        frame.refuse("a stored value nested too deeply")
    if isinstance(value, (list, tuple)):
        items = [to_expr(frame, v, depth + 1) for v in value]
        if all(isinstance(i, Const) for i in items):
            return Const(tuple(i.value for i in items))
        return List(tuple(items))
    if isinstance(value, dict):
        return Dict(tuple((Const(str(k)), to_expr(frame, v, depth + 1)) for k, v in value.items()))
    plain = plain_value(value)
    if not isinstance(plain, (type(None), bool, int, float, str)):
        frame.refuse(f"a stored value of type {type(value).__name__}")
    return Const(plain)


def _check_size(frame: Frame, result) -> None:
    """Refuse expressions that grew too large (DUP_TOP can double a value at every step)."""
    seen, todo = 0, [result]
    while todo:
        node = todo.pop()
        seen += 1
        if seen > MAX_NODES:
            frame.refuse(f"an expression of more than {MAX_NODES} nodes")
        for value in getattr(node, "__dict__", {}).values():
            todo.extend(_children(value))


def _children(value) -> list:
    if isinstance(value, tuple):
        return [c for item in value for c in _children(item)]
    return [value] if hasattr(value, "__dataclass_fields__") else []
