"""Write kerasmigrate/lambdas/bytecode/tables.py: the opcode tables of CPython 2.7 and 3.4-3.12.

Each table is read from that release's own `Lib/opcode.py` by running the pyenv Python of the
release (`~/.pyenv/versions/X/bin/python -c "import opcode"`: the interpreter's standard library,
never model data): opmap, HAVE_ARGUMENT, hasjrel/hasjabs/hasconst/hasname/haslocal/hasfree,
cmp_op and, from 3.11, `_inline_cache_entries` and `_nb_ops` (BINARY_OP's operand).

No Python 3.4 or 3.5 is installed, so 3.5's table is the 3.6 one with the changes CPython 3.6 made to
Lib/opcode.py undone (python/cpython issue #26647 wordcode; #27095 "Simplified MAKE_FUNCTION and
removed MAKE_CLOSURE opcodes"; #27213 "Rework CALL_FUNCTION* opcodes": CALL_FUNCTION_VAR 140,
CALL_FUNCTION_VAR_KW 142 replaced by CALL_FUNCTION_EX 142; #27985 SETUP_ANNOTATIONS 85 and
STORE_ANNOTATION 127; #25483 FORMAT_VALUE 155; #27140 BUILD_CONST_KEY_MAP 156; #27078
BUILD_STRING 157; #28257 BUILD_TUPLE_UNPACK_WITH_CALL 158).

Python 3.4's table is 3.5's with the changes of CPython 3.5 undone (Doc/whatsnew/3.5.rst and
Doc/library/dis.rst "New in version 3.5"): PEP 465 BINARY_MATRIX_MULTIPLY 16 and
INPLACE_MATRIX_MULTIPLY 17 (issue #21176); PEP 492 GET_AITER 50, GET_ANEXT 51,
BEFORE_ASYNC_WITH 52, GET_AWAITABLE 73, SETUP_ASYNC_WITH 154, and WITH_CLEANUP 81 split into
WITH_CLEANUP_START 81 / WITH_CLEANUP_FINISH 82 (issue #24017); GET_YIELD_FROM_ITER 69 (issue
#24400); PEP 448 BUILD_LIST_UNPACK 149 .. BUILD_SET_UNPACK 153, with BUILD_MAP popping its
pairs instead of STORE_MAP 54 filling a presized dict (issue #2292).

Usage: python scripts/make_opcode_tables.py [OUT]
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

PYENV = Path(os.path.expanduser("~/.pyenv/versions"))
RELEASES = {
    "2.7": "2.7.18",
    "3.6": "3.6.15",
    "3.7": "3.7.16",
    "3.8": "3.8.18",
    "3.9": "3.9.18",
    "3.10": "3.10.13",
    "3.11": "3.11.7",
    "3.12": "3.12.1",
}
# Runs under each pyenv Python, 2.7 included.
PROBE = """
import json, opcode
out = {
    "ops": dict((k, v) for k, v in opcode.opmap.items() if v < 256),
    "have_argument": opcode.HAVE_ARGUMENT,
    "cmp_op": list(opcode.cmp_op),
}
for key in ("hasjrel", "hasjabs", "hasconst", "hasname", "haslocal", "hasfree"):
    out[key[3:]] = sorted(opcode.opname[op] for op in getattr(opcode, key) if op < 256)
entries = getattr(opcode, "_inline_cache_entries", None)
if entries is not None:
    out["cache"] = dict((opcode.opname[op], n) for op, n in enumerate(entries) if n and op < 256)
nb_ops = getattr(opcode, "_nb_ops", None)
if nb_ops is not None:
    out["nb_ops"] = [symbol for _, symbol in nb_ops]
print(json.dumps(out))
"""

PY36_ADDED = {
    "SETUP_ANNOTATIONS": 85,
    "STORE_ANNOTATION": 127,
    "CALL_FUNCTION_EX": 142,
    "FORMAT_VALUE": 155,
    "BUILD_CONST_KEY_MAP": 156,
    "BUILD_STRING": 157,
    "BUILD_TUPLE_UNPACK_WITH_CALL": 158,
}
PY35_ONLY = {"MAKE_CLOSURE": 134, "CALL_FUNCTION_VAR": 140, "CALL_FUNCTION_VAR_KW": 142}
PY35_ADDED = (
    "BINARY_MATRIX_MULTIPLY INPLACE_MATRIX_MULTIPLY GET_AITER GET_ANEXT BEFORE_ASYNC_WITH GET_AWAITABLE "
    "SETUP_ASYNC_WITH WITH_CLEANUP_START WITH_CLEANUP_FINISH GET_YIELD_FROM_ITER BUILD_LIST_UNPACK "
    "BUILD_MAP_UNPACK BUILD_MAP_UNPACK_WITH_CALL BUILD_TUPLE_UNPACK BUILD_SET_UNPACK"
).split()
PY34_ONLY = {"STORE_MAP": 54, "WITH_CLEANUP": 81}


def probe(release: str) -> dict:
    python = PYENV / release / "bin" / "python"
    return json.loads(subprocess.check_output([str(python), "-c", PROBE]))


def undone(newer: dict, added, restored: dict) -> dict:
    """`newer`'s table without the opcodes its release `added`, with `restored` back."""
    ops = {k: v for k, v in newer["ops"].items() if k not in added}
    ops.update(restored)
    table = dict(newer, ops=ops)
    for key in ("jrel", "jabs", "const", "name", "local", "free"):
        table[key] = sorted(n for n in newer[key] if n in ops)
    return table


FLAGS = {"jrel": "r", "jabs": "a", "const": "c", "name": "n", "local": "l", "free": "f"}


def encoded_ops(table: dict) -> str:
    """NAME=number, then a letter per class (FLAGS) and ":n" for n inline cache entries."""
    items = []
    for name, number in sorted(table["ops"].items(), key=lambda kv: kv[1]):
        flags = "".join(letter for key, letter in FLAGS.items() if name in table[key])
        cache = table.get("cache", {}).get(name)
        items.append(f"{name}={number}{flags}" + (f":{cache}" if cache else ""))
    return " ".join(items)


def string_field(key: str, text: str) -> list[str]:
    one_line = f'        "{key}": "{text}",'
    if len(one_line) <= 120:
        return [one_line]
    lines = textwrap.wrap(text, 104, break_on_hyphens=False)
    body = [f'            "{line} "' for line in lines[:-1]] + [f'            "{lines[-1]}"']
    return [f'        "{key}": (', *body, "        ),"]


def render(tables: dict) -> str:
    out = [
        '"""CPython opcode tables, as data: written by scripts/make_opcode_tables.py from each release\'s',
        "Lib/opcode.py (see that script for the sources); do not edit by hand.",
        "",
        '"ops": NAME=number, then one letter per class the opcode is in (r: hasjrel, a: hasjabs, c: hasconst,',
        'n: hasname, l: haslocal, f: hasfree) and ":n" for its n inline CACHE entries (3.11+); "cmp_op":',
        'COMPARE_OP\'s operators, "|"-separated; "nb_ops": BINARY_OP\'s operators by oparg,',
        'space-separated (3.11+)."""',
        "",
        "TABLES = {",
    ]
    for version, t in tables.items():
        out.append(f'    "{version}": {{')
        out.append(f'        "have_argument": {t["have_argument"]},')
        out += string_field("ops", encoded_ops(t))
        out += string_field("cmp_op", "|".join(t["cmp_op"]))
        if "nb_ops" in t:
            out += string_field("nb_ops", " ".join(t["nb_ops"]))
        out.append("    },")
    out.append("}")
    return "\n".join(out) + "\n"


def main() -> None:
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "kerasmigrate/lambdas/bytecode/tables.py")
    probed = {version: probe(release) for version, release in RELEASES.items()}
    py35 = undone(probed["3.6"], PY36_ADDED, PY35_ONLY)
    tables = {"2.7": probed["2.7"], "3.4": undone(py35, PY35_ADDED, PY34_ONLY), "3.5": py35}
    tables.update((v, probed[v]) for v in RELEASES if v != "2.7")
    out.write_text(render(tables))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
