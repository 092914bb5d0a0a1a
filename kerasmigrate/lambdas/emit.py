"""A Lambda's expression as a list of Keras 3 steps (keras.ops calls, or built-in layers).

`Emitter.value(expr)` walks the expression with Python's semantics: constants fold (`1 / 255.0`,
`math.sqrt(2)`), operators on tensors become the keras.ops call TensorFlow's operator overloads
are (`x / c` TrueDivide, `x // c` FloorDivide, `x % c` Mod (floormod, Python's sign rule),
`-x` Negative, `2 ** x` Power(2, x): TF 2.21 tensorflow/python/ops/
tensor_math_operator_overrides.py, `override_binary_operator_helper` for "truediv", "floordiv",
"mod", "pow", with the reflected forms; TF 1.x math_ops.py `_OverrideBinaryOperatorHelper`,
the same), comparisons `<`, `<=`, `>`, `>=` Less… (`==` is refused: elementwise only since
TF 2's `Tensor.__eq__`, identity before), subscripts become GetItem
(Ellipsis and newaxis as Keras 3 serializes them: keras/src/saving/serialization_lib.py), and
calls resolve through lambdas/vocabulary.py. Anything else raises Untranslatable naming it.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field

from kerasmigrate.core.tf_ops import IGNORED_ARGUMENTS, NUMPY, TF_OPS, UNSUPPORTED_IF_SET
from kerasmigrate.lambdas import expr as E
from kerasmigrate.lambdas import forms, vocabulary
from kerasmigrate.lambdas.render import render_callee
from kerasmigrate.lambdas.values import Step, Tensor, Untranslatable, Writer, is_tensor_structure

BINARY_OPS = {
    "+": ("Add", operator.add),
    "-": ("Subtract", operator.sub),
    "*": ("Multiply", operator.mul),
    "/": ("TrueDivide", operator.truediv),
    "//": ("FloorDivide", operator.floordiv),
    "%": ("Mod", operator.mod),
    "**": ("Power", operator.pow),
    "@": ("Matmul", None),
}
COMPARISONS = {
    "<": ("Less", operator.lt),
    "<=": ("LessEqual", operator.le),
    ">": ("Greater", operator.gt),
    ">=": ("GreaterEqual", operator.ge),
}


@dataclass
class Emitter:
    """Evaluates one call of a Lambda: `inputs` is what its parameter is bound to."""

    param: str
    inputs: object  # a Tensor, or a list of them
    writer: Writer = Writer()
    input_shape: list | None = None  # of `inputs` when it is one tensor of recorded shape (batch first)
    steps: list[Step] = field(default_factory=list)

    def emit(self, module: str, class_name: str, args: list, attributes=None, label=None) -> Tensor:
        self.steps.append(Step(module, class_name, dict(attributes or {}), list(args), label or class_name))
        return Tensor(step=len(self.steps) - 1)

    def value(self, node):
        method = getattr(self, "_" + type(node).__name__.lower(), None)
        if method is None:
            raise Untranslatable(f"a {type(node).__name__} expression")
        return method(node)

    def _arg(self, node: E.Arg):
        if node.name != self.param:
            raise Untranslatable(f"the unbound parameter {node.name!r}")
        return self.inputs

    def _const(self, node: E.Const):
        return node.value

    def _name(self, node: E.Name):
        found, value = vocabulary.constant(node.dotted)
        if found:
            return value
        raise Untranslatable(f"the name {node.dotted} used as a value")

    def _attribute(self, node: E.Attribute):
        raise Untranslatable(f"the attribute .{node.attr} of a computed value")

    def _tuple(self, node: E.Tuple):
        return tuple(self.value(v) for v in node.items)

    def _list(self, node: E.List):
        return [self.value(v) for v in node.items]

    def _slice(self, node: E.Slice):
        parts = [self.value(p) for p in (node.start, node.stop, node.step)]
        if any(is_tensor_structure(p) for p in parts):
            raise Untranslatable("a slice bound computed from a tensor")
        return slice(*parts)

    def _unaryop(self, node: E.UnaryOp):
        operand = self.value(node.operand)
        if node.op == "+":
            return operand
        if node.op == "-":
            if isinstance(operand, Tensor):
                return self.emit(NUMPY, "Negative", [operand])
            return -operand
        raise Untranslatable(f"the operator {node.op!r}")

    def _binop(self, node: E.BinOp):
        left, right = self.value(node.left), self.value(node.right)
        if node.op not in BINARY_OPS:
            raise Untranslatable(f"the operator {node.op!r}")
        class_name, fold = BINARY_OPS[node.op]
        if not isinstance(left, Tensor) and not isinstance(right, Tensor):
            if is_tensor_structure(left) or is_tensor_structure(right) or fold is None:
                raise Untranslatable(f"the operator {node.op!r} on a list of tensors")
            return _folded(fold, left, right, node.op)
        _scalar_operand(left, right, node.op)
        return self.emit(NUMPY, class_name, [left, right])

    def _compare(self, node: E.Compare):
        left, right = self.value(node.left), self.value(node.right)
        if node.op not in COMPARISONS:
            # `==` on tensors is identity in TF 1.x and elementwise in TF 2: not one meaning
            raise Untranslatable(f"the comparison {node.op!r}")
        class_name, fold = COMPARISONS[node.op]
        if not isinstance(left, Tensor) and not isinstance(right, Tensor):
            return fold(left, right)
        _scalar_operand(left, right, node.op)
        return self.emit(NUMPY, class_name, [left, right])

    def _subscript(self, node: E.Subscript):
        value, index = self.value(node.value), self.value(node.index)
        if is_tensor_structure(index):
            raise Untranslatable("an index computed from a tensor")
        if isinstance(value, (list, tuple)):
            if not isinstance(index, (int, slice)):
                raise Untranslatable(f"the index {index!r} of the list of inputs")
            try:
                return value[index]
            except IndexError:
                raise Untranslatable(f"the index {index} of a list of {len(value)} inputs") from None
        if not isinstance(value, Tensor):
            raise Untranslatable("a subscript of a constant")
        return self.emit(NUMPY, "GetItem", [value, serialized_key(index)], label="getitem")

    def _call(self, node: E.Call):
        if not isinstance(node.func, E.Name):
            raise Untranslatable(f"a call of {render_callee(node.func)}, a function computed in the Lambda")
        args = [self.value(a) for a in node.args]
        kwargs = {k: self.value(v) for k, v in node.kwargs}
        dotted = node.func.dotted
        folded = vocabulary.FOLDED.get(vocabulary.canonical(dotted))
        if folded is not None and not any(is_tensor_structure(v) for v in [*args, *kwargs.values()]):
            return folded(*args, **kwargs)
        entry = vocabulary.lookup(dotted)
        if entry is None:
            raise Untranslatable(f"the function {dotted}, which kerasmigrate's Lambda vocabulary does not know")
        bound = bind(entry, dotted, args, kwargs)
        if entry.form.startswith("tf_op:"):
            return self.tf_op(entry.form[len("tf_op:") :], dotted, bound)
        return forms.emit_form(self, entry, dotted, bound)

    def tf_op(self, symbol: str, dotted: str, bound: dict):
        """A function of the TFOpLambda table, called as its TFOpLambda node would be."""
        spec = TF_OPS[symbol]
        first = bound.pop(vocabulary.TF_POSITIONAL[symbol][0])
        if any(bound.get(k) for k in UNSUPPORTED_IF_SET):
            raise Untranslatable(f"{dotted} with {[k for k in UNSUPPORTED_IF_SET if bound.get(k)]}")
        args = [first]
        for operand in spec.operands:
            if operand not in bound:
                raise Untranslatable(f"{dotted} without its argument {operand!r}")
            args.append(bound.pop(operand))
        attributes = {op_arg: bound.pop(tf_name, default) for tf_name, (op_arg, default) in spec.attributes.items()}
        left = sorted(k for k in bound if k not in IGNORED_ARGUMENTS | UNSUPPORTED_IF_SET)
        if left:
            raise Untranslatable(f"{dotted} with the arguments {left}")
        if spec.class_name == "Softmax" and attributes.get("axis") is None:
            attributes["axis"] = -1  # tf.nn.softmax: axis=None is the last axis
        return self.emit(spec.module, spec.class_name, args, attributes)


def _folded(fold, left, right, op: str):
    try:
        return fold(left, right)
    except (ArithmeticError, TypeError, ValueError) as exc:
        raise Untranslatable(f"the constant expression {left!r} {op} {right!r} ({exc})") from None


def _scalar_operand(left, right, op: str) -> None:
    for side in (left, right):
        if not isinstance(side, Tensor) and not isinstance(side, (int, float)) or isinstance(side, bool):
            raise Untranslatable(f"the operator {op!r} on {side!r}")


def bind(entry: vocabulary.Entry, dotted: str, args: list, kwargs: dict) -> dict:
    """The call's arguments by parameter name, defaults filled in; refuses unknown ones."""
    if len(args) > len(entry.params):
        raise Untranslatable(f"{dotted} called with {len(args)} positional arguments")
    bound = dict(zip(entry.params, args))
    for key, value in kwargs.items():
        key = entry.aliases.get(key, key)
        if key in entry.ignored:
            continue
        if key not in entry.params and key not in entry.defaults:
            raise Untranslatable(f"{dotted} with the argument {key!r}")
        if key in bound:
            raise Untranslatable(f"{dotted} given {key!r} twice")
        bound[key] = value
    for key in entry.params:
        if key not in bound:
            if key not in entry.defaults:
                raise Untranslatable(f"{dotted} without its argument {key!r}")
            bound[key] = entry.defaults[key]
    return bound


def serialized_key(index):
    """A subscript key as Keras 3 serializes GetItem's key (serialization_lib.py)."""
    if isinstance(index, tuple):
        return [serialized_key(i) for i in index]
    if isinstance(index, slice):
        return {"class_name": "__slice__", "config": {"start": index.start, "stop": index.stop, "step": index.step}}
    if index is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if index is None or (isinstance(index, int) and not isinstance(index, bool)):
        return index
    raise Untranslatable(f"the index {index!r}")
