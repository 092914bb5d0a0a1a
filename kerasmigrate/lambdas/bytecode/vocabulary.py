"""The opcodes the evaluator understands, by name, across Python 2.7 and 3.5-3.12.

An opcode missing here is refused (machine.REFUSED names the reason for the common ones).
"""

from __future__ import annotations

from kerasmigrate.lambdas.bytecode import ops_data as d
from kerasmigrate.lambdas.bytecode import ops_flow as f

NO_OPS = "NOP RESUME PRECALL MAKE_CELL COPY_FREE_VARS".split()
# MAKE_CELL / COPY_FREE_VARS (3.11+): cells and free variables are bound by name before the code runs.


def _handlers() -> dict:
    h = dict.fromkeys(NO_OPS, d.nop)
    h.update(
        LOAD_CONST=d.load_const,
        LOAD_GLOBAL=d.load_global,
        LOAD_NAME=d.load_global,
        LOAD_ATTR=d.load_attr,
        LOAD_METHOD=d.load_attr,
        LOAD_FAST=d.load_fast,
        LOAD_FAST_CHECK=d.load_fast,
        STORE_FAST=d.store_fast,
        LOAD_DEREF=d.load_deref,
        LOAD_CLASSDEREF=d.load_deref,
        STORE_DEREF=d.store_deref,
        LOAD_CLOSURE=d.load_closure,
        POP_TOP=d.pop_top,
        ROT_TWO=d.rotate(2),
        ROT_THREE=d.rotate(3),
        ROT_FOUR=d.rotate(4),
        DUP_TOP=d.dup_top,
        DUP_TOP_TWO=d.dup_top_two,
        COPY=d.copy,
        SWAP=d.swap,
        PUSH_NULL=d.push_null,
        BINARY_OP=d.binary_op,
        BINARY_DIVIDE=d.classic_divide,
        INPLACE_DIVIDE=d.classic_divide,
        COMPARE_OP=d.compare_op,
        IS_OP=d.is_op,
        CONTAINS_OP=d.contains_op,
        CALL_INTRINSIC_1=d.call_intrinsic_1,
        BINARY_SUBSCR=d.binary_subscr,
        BUILD_SLICE=d.build_slice,
        BINARY_SLICE=d.binary_slice,
        UNPACK_SEQUENCE=d.unpack_sequence,
        BUILD_TUPLE=d.build_tuple,
        BUILD_LIST=d.build_list,
        BUILD_MAP=d.build_map,
        STORE_MAP=d.store_map,
        BUILD_CONST_KEY_MAP=d.build_const_key_map,
        LIST_EXTEND=d.list_extend,
        LIST_TO_TUPLE=d.list_to_tuple,
        DICT_UPDATE=d.dict_update,
        DICT_MERGE=d.dict_update,
        BUILD_TUPLE_UNPACK=d.build_unpack("tuple"),
        BUILD_TUPLE_UNPACK_WITH_CALL=d.build_unpack("tuple"),
        BUILD_LIST_UNPACK=d.build_unpack("list"),
        BUILD_MAP_UNPACK=d.build_unpack("map"),
        BUILD_MAP_UNPACK_WITH_CALL=d.build_unpack("map"),
        CALL_FUNCTION=f.call_function,
        CALL_FUNCTION_KW=f.call_function_kw,
        CALL_FUNCTION_VAR=f.call_function_py2,
        CALL_FUNCTION_VAR_KW=f.call_function_py2,
        CALL_FUNCTION_EX=f.call_function_ex,
        CALL_METHOD=f.call_method,
        CALL=f.call_method,
        KW_NAMES=f.kw_names,
        MAKE_FUNCTION=f.make_function,
        MAKE_CLOSURE=f.make_function,
        IMPORT_NAME=f.import_name,
        IMPORT_FROM=f.import_from,
        JUMP_FORWARD=f.jump,
        JUMP_ABSOLUTE=f.jump,
        JUMP_IF_FALSE_OR_POP=f.jump_or_pop(False),
        JUMP_IF_TRUE_OR_POP=f.jump_or_pop(True),
        RETURN_VALUE=f.return_value,
        RETURN_CONST=f.return_const,
    )
    for stem, op in d.BINARY.items():
        h[f"BINARY_{stem}"] = h[f"INPLACE_{stem}"] = d.binary(op)
    h.update((name, d.unary(op)) for name, op in d.UNARY.items())
    h.update((f"SLICE+{k}", d.py2_slice(k)) for k in range(4))
    for direction in ("", "FORWARD_", "BACKWARD_"):
        for kind in ("FALSE", "TRUE", "NONE", "NOT_NONE"):
            h[f"POP_JUMP_{direction}IF_{kind}"] = f.pop_jump(kind)
    return h


HANDLERS = _handlers()
