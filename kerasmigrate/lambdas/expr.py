"""What a Lambda computes, as data: the expression its bytecode evaluates to.

The symbolic evaluator (lambdas/bytecode) builds these from the code object;
the translator (lambdas/translate.py) resolves names against its vocabulary and
emits Keras 3. Names stay as the code spelled them (`K.mean`, `tf.image.resize`,
`keras.backend.tf.space_to_depth`): resolving them is the translator's job, so
the evaluator needs no table of functions.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Arg:
    """A parameter of the Lambda's function bound to the layer's input (the tensor, or the list of
    tensors when the layer takes several): `name` as the code spelled it."""

    name: str


@dataclass(frozen=True)
class Const:
    """A Python constant: None, bool, int, float, complex, str, bytes, Ellipsis, or a tuple of them."""

    value: object


@dataclass(frozen=True)
class Name:
    """A global, or an attribute chain starting at one, by its dotted spelling ("K.mean",
    "tf.image.ResizeMethod.AREA", "np.pi")."""

    dotted: str


@dataclass(frozen=True)
class Attribute:
    """An attribute of a computed value (`x.shape`, `K.int_shape(x)`'s item is a Subscript)."""

    value: Expr
    attr: str


@dataclass(frozen=True)
class Call:
    """`func(*args, **kwargs)`; keyword arguments in the order the code passed them."""

    func: Expr
    args: tuple[Expr, ...] = ()
    kwargs: tuple[tuple[str, Expr], ...] = ()


# Operator spellings: "+", "-", "*", "/", "//", "%", "**", "@", "&", "|", "^", "<<", ">>".
@dataclass(frozen=True)
class BinOp:
    op: str
    left: Expr
    right: Expr


# "-", "+", "~", "not"
@dataclass(frozen=True)
class UnaryOp:
    op: str
    operand: Expr


# "<", "<=", "==", "!=", ">", ">=", "is", "is not", "in", "not in"
@dataclass(frozen=True)
class Compare:
    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Subscript:
    """`value[index]`; a tuple index (`x[:, -1]`) is a Tuple of Slice / Const / Expr."""

    value: Expr
    index: Expr


@dataclass(frozen=True)
class Slice:
    start: Expr
    stop: Expr
    step: Expr


@dataclass(frozen=True)
class Tuple:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class List:
    items: tuple[Expr, ...]


@dataclass(frozen=True)
class Dict:
    """A dict display with constant keys (`{"axis": 1}` passed as `**kwargs`)."""

    items: tuple[tuple[Expr, Expr], ...]


Expr = Arg | Const | Name | Attribute | Call | BinOp | UnaryOp | Compare | Subscript | Slice | Tuple | List | Dict


@dataclass(frozen=True)
class LambdaFunction:
    """A Lambda's function evaluated: its parameters in order (the first is the layer's input; the
    others are bound from the layer's `arguments`, the function's defaults or its closure) and the
    expression it returns, with what the code said about itself."""

    params: tuple[str, ...]
    result: Expr
    python: str  # the Python versions whose bytecode this is ("3.8", "3.6-3.7", ...)
    name: str | None = None  # "<lambda>" or the def's name
    first_line: int | None = None


class LambdaRefusal(Exception):
    """The bytecode does something outside the vocabulary: `reason` names it, with the instruction
    and the source line (from the code's line table) where known."""

    def __init__(self, reason: str, instruction: str | None = None, line: int | None = None):
        self.reason = reason
        self.instruction = instruction
        self.line = line
        where = []
        if instruction:
            where.append(f"instruction {instruction}")
        if line is not None:
            where.append(f"line {line}")
        super().__init__(f"{reason} ({', '.join(where)})" if where else reason)
