"""Handlers of calls, nested functions, imports, jumps and returns; the vocabulary's table.

Call conventions (Doc/library/dis.rst of each release): 2.7/3.5 CALL_FUNCTION's argument
counts positional arguments in its low byte and keyword pairs in the next, with
CALL_FUNCTION_VAR/_KW/_VAR_KW popping `*args` and `**kwargs` first; 3.6-3.10 CALL_FUNCTION,
CALL_FUNCTION_KW (a tuple of keyword names on top) and CALL_FUNCTION_EX; 3.7-3.10
LOAD_METHOD/CALL_METHOD; 3.11 PRECALL/CALL with KW_NAMES and a NULL below the callable;
3.12 CALL with KW_NAMES. MAKE_FUNCTION: 2.7/3.5 counts defaults in its argument (MAKE_CLOSURE
with the cells), 3.6+ flags 0x01 defaults, 0x02 keyword defaults, 0x04 annotations, 0x08
closure; its qualified name is on top up to 3.10 (3.5 included).
"""

from __future__ import annotations

from kerasmigrate.lambdas.bytecode import ops_data as d
from kerasmigrate.lambdas.bytecode.decode import Undecodable
from kerasmigrate.lambdas.bytecode.machine import (
    MAX_INLINE_DEPTH,
    NULL,
    RETURN,
    CellRef,
    CodeConst,
    Frame,
    Function,
    run,
)
from kerasmigrate.lambdas.expr import Call, Const, Name

# Called by name, these act on the world or run code: never part of what a Lambda computes.
FORBIDDEN_CALLS = frozenset(
    "print open exec eval __import__ getattr setattr delattr globals locals vars compile input breakpoint "
    "exit quit".split()
)
# Modules a Lambda may import inside its function (their sub-modules too), bound by name only.
ALLOWED_MODULES = ("tensorflow", "keras", "numpy", "math")


# -- calls --------------------------------------------------------------------------------------
def keyword(frame: Frame, key) -> str:
    if isinstance(key, Const) and isinstance(key.value, str):
        return key.value
    frame.refuse("a keyword argument whose name is not a constant string")


def do_call(frame: Frame, func, args: list, kwargs: list) -> None:
    args = [d.expr(frame, a, "an argument") for a in args]
    kwargs = [(k, d.expr(frame, v, "an argument")) for k, v in kwargs]
    if isinstance(func, Function):
        frame.push(inline(frame, func, args, kwargs))
        return
    func = d.expr(frame, func, "the called object")
    if isinstance(func, Name) and func.dotted.removeprefix("builtins.") in FORBIDDEN_CALLS:
        frame.refuse(f"a call of {func.dotted}(), a side effect or dynamic code")
    frame.push(Call(func, tuple(args), tuple(kwargs)))


def call_function_py2(frame: Frame, ins):
    """CALL_FUNCTION / _VAR / _KW / _VAR_KW of 2.7 and 3.5."""
    kw = frame.pop() if ins.name in ("CALL_FUNCTION_KW", "CALL_FUNCTION_VAR_KW") else None
    var = frame.pop() if ins.name in ("CALL_FUNCTION_VAR", "CALL_FUNCTION_VAR_KW") else None
    pairs = frame.pop_n(2 * ((ins.arg >> 8) & 0xFF))
    args = frame.pop_n(ins.arg & 0xFF)
    func = frame.pop()
    kwargs = [(keyword(frame, k), v) for k, v in zip(pairs[0::2], pairs[1::2])]
    if var is not None:
        args += d.items_of(frame, var)
    if kw is not None:
        kwargs += [(keyword(frame, k), v) for k, v in d.dict_items(frame, kw)]
    do_call(frame, func, args, kwargs)


def call_function(frame: Frame, ins):
    if frame.table.numeric < (3, 6):
        return call_function_py2(frame, ins)
    args = frame.pop_n(ins.arg)
    do_call(frame, frame.pop(), args, [])


def call_function_kw(frame: Frame, ins):
    if frame.table.numeric < (3, 6):
        return call_function_py2(frame, ins)
    names = d.pop_expr(frame)
    if not isinstance(names, Const) or not isinstance(names.value, tuple):
        frame.refuse("CALL_FUNCTION_KW without a tuple of names")
    values = frame.pop_n(ins.arg)
    split = len(values) - len(names.value)
    if split < 0:
        raise Undecodable("more keyword names than arguments")
    kwargs = [(keyword(frame, Const(n)), v) for n, v in zip(names.value, values[split:])]
    do_call(frame, frame.pop(), values[:split], kwargs)


def call_function_ex(frame: Frame, ins):
    kw = frame.pop() if ins.arg & 1 else None
    args = d.items_of(frame, frame.pop())
    func = frame.pop()
    if frame.new_layout and frame.stack and frame.stack[-1] is NULL:
        frame.pop()
    kwargs = [(keyword(frame, k), v) for k, v in d.dict_items(frame, kw)] if kw is not None else []
    do_call(frame, func, args, kwargs)


def call_method(frame: Frame, ins):
    """CALL_METHOD (3.7-3.10) and CALL (3.11+): [NULL, callable, args] or [method, self, args]."""
    args = frame.pop_n(ins.arg)
    callable_, below = frame.pop(), frame.pop()
    if below is not NULL:
        callable_, args = below, [callable_, *args]
    names = frame.kw_names or ()
    frame.kw_names = None
    split = len(args) - len(names)
    if split < 0:
        raise Undecodable("more keyword names than arguments")
    kwargs = [(keyword(frame, Const(n)), v) for n, v in zip(names, args[split:])]
    do_call(frame, callable_, args[:split], kwargs)


def kw_names(frame: Frame, ins):
    names = frame.const(ins.arg)
    if not isinstance(names, Const) or not isinstance(names.value, tuple):
        raise Undecodable("KW_NAMES without a tuple")
    frame.kw_names = names.value


# -- nested functions ---------------------------------------------------------------------------
def make_function(frame: Frame, ins):
    v = frame.table.numeric
    if v < (3, 11) and v >= (3,):
        frame.pop()  # the qualified name
    code = frame.pop()
    if v >= (3, 6):
        flags = ins.arg
        cells = frame.pop() if flags & 0x08 else ()
        if flags & 0x04:
            frame.pop()  # annotations: they do not change what the function computes
        kwdefaults = d.dict_items(frame, frame.pop()) if flags & 0x02 else []
        defaults = d.items_of(frame, frame.pop()) if flags & 0x01 else []
    else:
        cells = frame.pop() if ins.name == "MAKE_CLOSURE" else ()
        if (ins.arg >> 16) & 0x7FFF:
            frame.refuse("a nested function with annotations")
        pairs = frame.pop_n(2 * ((ins.arg >> 8) & 0xFF))
        kwdefaults = list(zip(pairs[0::2], pairs[1::2]))
        defaults = frame.pop_n(ins.arg & 0xFF)
    if not isinstance(code, CodeConst):
        raise Undecodable("MAKE_FUNCTION without a code object")
    if not isinstance(cells, tuple) or not all(isinstance(c, CellRef) for c in cells):
        raise Undecodable("MAKE_FUNCTION with a closure that is not a tuple of cells")
    frame.push(
        Function(
            code=code.code,
            defaults=tuple(defaults),
            kwdefaults={keyword(frame, k): val for k, val in kwdefaults},
            closure=tuple(c.name for c in cells),
            env=frame.env,
        )
    )


def bind(frame: Frame, code, args: list, kwargs: list, defaults: tuple, kwdefaults: dict) -> dict:
    """The parameters of `code` bound as a call binds them; refused when one stays unbound."""
    params, npos = code.params, code.argcount
    if len(args) > npos:
        frame.refuse(f"{len(args)} positional arguments for {npos} parameters")
    env = dict(zip(params, args))
    for name, value in kwargs:
        if name not in params or name in env or params.index(name) < code.posonlyargcount:
            frame.refuse(f"the keyword argument {name!r} matches no parameter")
        env[name] = value
    first_default = npos - len(defaults)
    for i, name in enumerate(params):
        if name in env:
            continue
        if first_default <= i < npos:
            env[name] = defaults[i - first_default]
        elif i >= npos and name in kwdefaults:
            env[name] = kwdefaults[name]
        else:
            frame.refuse(f"the parameter {name!r} is not bound")
    return env


def inline(frame: Frame, fn: Function, args: list, kwargs: list):
    if frame.depth >= MAX_INLINE_DEPTH:
        frame.refuse("nested functions called too deeply")
    code = fn.code
    if len(fn.closure) != len(code.freevars):
        raise Undecodable("a closure that does not match the function's free variables")
    env = bind(frame, code, args, kwargs, fn.defaults, fn.kwdefaults)
    for name, cell in zip(code.freevars, fn.closure):
        if cell in fn.env:
            env[name] = fn.env[cell]
    return run(Frame(code, frame.table, env, frame.context, depth=frame.depth + 1))


# -- imports ------------------------------------------------------------------------------------
def import_name(frame: Frame, ins):
    module = frame.code.names[ins.arg]
    fromlist, level = frame.pop(), frame.pop()
    if not isinstance(level, Const) or level.value not in (0, -1):
        frame.refuse(f"a relative import of {module}")
    if module.split(".")[0] not in ALLOWED_MODULES:
        frame.refuse(f"an import of {module}")
    empty = isinstance(fromlist, Const) and fromlist.value is None
    frame.push(Name(module.split(".")[0] if empty else module))


def import_from(frame: Frame, ins):
    module = frame.peek()
    if not isinstance(module, Name):
        raise Undecodable("IMPORT_FROM without a module")
    frame.push(Name(f"{module.dotted}.{frame.code.names[ins.arg]}"))


# -- jumps and returns --------------------------------------------------------------------------
def jump(frame: Frame, ins):
    return ins.target


def constant_condition(frame: Frame, value):
    if not isinstance(value, Const):
        frame.refuse("a conditional on a computed value (it depends on the data)")
    return value.value


def pop_jump(kind: str):
    def handler(frame: Frame, ins):
        v = constant_condition(frame, frame.pop())
        taken = {"FALSE": not v, "TRUE": bool(v), "NONE": v is None, "NOT_NONE": v is not None}[kind]
        return ins.target if taken else None

    return handler


def jump_or_pop(when: bool):
    def handler(frame: Frame, ins):
        if bool(constant_condition(frame, frame.peek())) == when:
            return ins.target
        frame.pop()
        return None

    return handler


def return_value(frame: Frame, ins):
    frame.returned = d.pop_expr(frame, "the returned value")
    if frame.stack:
        raise Undecodable("values left on the stack at RETURN_VALUE")
    return RETURN


def return_const(frame: Frame, ins):
    d.load_const(frame, ins)
    return return_value(frame, ins)
