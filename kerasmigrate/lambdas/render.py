"""An expression (lambdas/expr.py) as Python-like text, for reports and `map init` comments:
`x / 255.0 - 0.5`, `x[:, -1]`, `K.l2_normalize(x, axis=-1)`. Parentheses follow Python's
operator precedence (the Python Language Reference, "Operator precedence")."""

from __future__ import annotations

from kerasmigrate.lambdas import expr as E

PRECEDENCE = {
    "or": 1,
    "and": 2,
    "not": 3,
    "compare": 4,
    "|": 5,
    "^": 6,
    "&": 7,
    "<<": 8,
    ">>": 8,
    "+": 9,
    "-": 9,
    "*": 10,
    "@": 10,
    "/": 10,
    "//": 10,
    "%": 10,
    "unary": 11,
    "**": 12,
    "atom": 13,
}


def _constant(value) -> str:
    if value is Ellipsis:
        return "..."
    if isinstance(value, tuple):
        inner = ", ".join(_constant(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value)


def _wrapped(node, minimum: int) -> str:
    text, level = _render(node)
    return f"({text})" if level < minimum else text


def _index(node) -> str:
    if isinstance(node, E.Slice):
        parts = ["" if isinstance(p, E.Const) and p.value is None else render(p) for p in (node.start, node.stop)]
        text = ":".join(parts)
        if not (isinstance(node.step, E.Const) and node.step.value is None):
            text += ":" + render(node.step)
        return text
    if isinstance(node, E.Tuple) and node.items:
        return ", ".join(_index(i) for i in node.items)
    if isinstance(node, E.Const) and isinstance(node.value, tuple) and node.value:
        return ", ".join(_constant(v) for v in node.value)
    return render(node)


def _render(node) -> tuple[str, int]:
    atom = PRECEDENCE["atom"]
    if isinstance(node, E.Arg):
        return node.name, atom
    if isinstance(node, E.Const):
        return _constant(node.value), atom if not isinstance(node.value, (int, float)) or node.value >= 0 else 11
    if isinstance(node, E.Name):
        return node.dotted, atom
    if isinstance(node, E.Attribute):
        return f"{_wrapped(node.value, atom)}.{node.attr}", atom
    if isinstance(node, E.Call):
        args = [render(a) for a in node.args] + [f"{k}={render(v)}" for k, v in node.kwargs]
        return f"{_wrapped(node.func, atom)}({', '.join(args)})", atom
    if isinstance(node, E.BinOp):
        level = PRECEDENCE.get(node.op, 9)
        if node.op == "**":  # right-associative
            return f"{_wrapped(node.left, level + 1)} ** {_wrapped(node.right, level)}", level
        return f"{_wrapped(node.left, level)} {node.op} {_wrapped(node.right, level + 1)}", level
    if isinstance(node, E.UnaryOp):
        if node.op == "not":
            return f"not {_wrapped(node.operand, PRECEDENCE['not'])}", PRECEDENCE["not"]
        return f"{node.op}{_wrapped(node.operand, PRECEDENCE['unary'])}", PRECEDENCE["unary"]
    if isinstance(node, E.Compare):
        level = PRECEDENCE["compare"]
        return f"{_wrapped(node.left, level + 1)} {node.op} {_wrapped(node.right, level + 1)}", level
    if isinstance(node, E.Subscript):
        return f"{_wrapped(node.value, atom)}[{_index(node.index)}]", atom
    if isinstance(node, E.Slice):
        return _index(node), atom
    if isinstance(node, E.Tuple):
        inner = ", ".join(render(i) for i in node.items)
        return (f"({inner},)" if len(node.items) == 1 else f"({inner})"), atom
    if isinstance(node, E.List):
        return "[" + ", ".join(render(i) for i in node.items) + "]", atom
    if isinstance(node, E.Dict):
        return "{" + ", ".join(f"{render(k)}: {render(v)}" for k, v in node.items) + "}", atom
    return repr(node), atom


def render(node) -> str:
    """The expression as Python-like text."""
    return _render(node)[0]


def render_callee(node) -> str:
    """What a call calls, its own calls' arguments elided: `io.open(...).close`."""
    if isinstance(node, E.Call):
        return f"{render_callee(node.func)}(...)"
    if isinstance(node, E.Attribute):
        return f"{render_callee(node.value)}.{node.attr}"
    if isinstance(node, E.Subscript):
        return f"{render_callee(node.value)}[...]"
    return _wrapped(node, PRECEDENCE["atom"])


def render_function(function) -> str:
    """`lambda x: x / 255.0 - 0.5` (or `def normalize(x): return ...` for a named function)."""
    params = ", ".join(function.params)
    body = render(function.result)
    if function.name and function.name != "<lambda>":
        return f"def {function.name}({params}): return {body}"
    return f"lambda {params}: {body}"
