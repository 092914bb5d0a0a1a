"""Write tests/data/lambda_bytecode/python-X.Y.json: our own Lambda sources compiled by each pyenv
Python (2.7 and 3.6-3.12), as Keras stores them.

Each source is compiled (never run) by that Python, the code object of the function named
`target` is found among the module's constants (nested ones included), and its
`marshal.dumps` is stored base64-encoded with the defaults and closure values the source
declares: the `[code, defaults, closure]` list Keras 2 `func_dump` writes (keras 2.3.1
keras/utils/generic_utils.py). `line_starts` records Lib/dis.py `findlinestarts` of that
Python, against which kerasmigrate's line-table reader is checked. The sources reference K,
tf and np, which are never resolved: nothing is executed.

Usage: python scripts/make_lambda_bytecode_fixtures.py
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

PYENV = Path(os.path.expanduser("~/.pyenv/versions"))
RELEASES = ("2.7.18", "3.6.15", "3.7.16", "3.8.18", "3.9.18", "3.10.13", "3.11.7", "3.12.1")
OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "lambda_bytecode"

# (id, source, target function name, defaults, closure values, arguments)
CASES = [
    ("scale", "f = lambda x: x / 255.0 - 0.5", "<lambda>", None, None, None),
    ("last_step", "f = lambda x: x[:, -1]", "<lambda>", None, None, None),
    ("ellipsis", "f = lambda x: x[..., :3]", "<lambda>", None, None, None),
    ("product", "f = lambda x: x[0] * x[1]", "<lambda>", None, None, None),
    ("expand_dims", "f = lambda x: K.expand_dims(x, 1)", "<lambda>", None, None, None),
    ("concatenate", "f = lambda x: K.concatenate([x[0], x[1]], axis=-1)", "<lambda>", None, None, None),
    ("mean", "f = lambda x: K.mean(x, axis=1, keepdims=True)", "<lambda>", None, None, None),
    ("l2_normalize", "f = lambda x: K.l2_normalize(x, axis=-1)", "<lambda>", None, None, None),
    ("resize", "f = lambda x: tf.image.resize(x, (8, 8))", "<lambda>", None, None, None),
    (
        "space_to_depth",
        "def space_to_depth_x2(x):\n    return tf.space_to_depth(x, block_size=2)\n",
        "space_to_depth_x2",
        None,
        None,
        None,
    ),
    (
        "resize_area",
        "def Normalize(img):\n"
        "    return K.tf.image.resize_images(img, (66, 200), method=K.tf.image.ResizeMethod.AREA) / 127.5 - 1\n",
        "Normalize",
        None,
        None,
        None,
    ),
    ("closure", "def outer():\n    scale = 2.5\n    return lambda x: x * scale\n", "<lambda>", None, [2.5], None),
    ("arguments", "f = lambda x, factor: x * factor", "<lambda>", None, None, {"factor": 3.0}),
    ("defaults", "f = lambda x, offset=0.5: x - offset", "<lambda>", [0.5], None, None),
    (
        "docstring_local",
        'def scale(x):\n    """Scale to [-1, 1]."""\n    y = x / 127.5\n    return y - 1.0\n',
        "scale",
        None,
        None,
        None,
    ),
    (
        "import_tf",
        "def s2d(x):\n    import tensorflow as tf\n    return tf.space_to_depth(x, block_size=2)\n",
        "s2d",
        None,
        None,
        None,
    ),
    (
        "import_backend",
        "def mean(x):\n    from keras import backend as K\n    return K.mean(x, axis=-1)\n",
        "mean",
        None,
        None,
        None,
    ),
    (
        "import_dotted",
        "def norm(x):\n    import tensorflow.keras.backend as B\n    return B.l2_normalize(x, axis=1)\n",
        "norm",
        None,
        None,
        None,
    ),
    (
        "nested_helper",
        "def f(x):\n    def sq(t, k=1):\n        return t * t + k\n    return sq(x) + sq(x, k=2)\n",
        "f",
        None,
        None,
        None,
    ),
    (
        "nested_closure",
        "def f(x):\n    w = 3\n    def g(t):\n        return t * w\n    return g(x)\n",
        "f",
        None,
        None,
        None,
    ),
    ("constant_conditional", "f = lambda x, flag=True: x * 2 if flag else x", "<lambda>", [True], None, None),
    ("negative", "f = lambda x: -x", "<lambda>", None, None, None),
    ("positive_invert", "f = lambda x: +x - ~x", "<lambda>", None, None, None),
    ("power", "f = lambda x: x ** 2", "<lambda>", None, None, None),
    ("compare", "f = lambda x: K.cast(x > 0.5, 'float32')", "<lambda>", None, None, None),
    (
        "euclidean",
        "def euclidean_distance(vects):\n    x, y = vects\n"
        "    return K.sqrt(K.maximum(K.sum(K.square(x - y), axis=1, keepdims=True), K.epsilon()))\n",
        "euclidean_distance",
        None,
        None,
        None,
    ),
    ("method", "f = lambda x: x.mean(1)", "<lambda>", None, None, None),
    ("list_const", "f = lambda x: tf.transpose(x, perm=[0, 2, 1])", "<lambda>", None, None, None),
    ("star_kwargs", "f = lambda x: K.mean(x, **{'axis': 1})", "<lambda>", None, None, None),
    ("star_args", "f = lambda x: K.concatenate(*([x, x],), axis=1)", "<lambda>", None, None, None),
    ("is_none", "f = lambda x: x is None", "<lambda>", None, None, None),
    ("inplace", "def f(x):\n    y = x\n    y += 1\n    y *= 2\n    return y\n", "f", None, None, None),
    ("chained_and", "f = lambda x, a=1: a and x", "<lambda>", [1], None, None),
    # refused
    ("for_loop", "def f(x):\n    for i in range(3):\n        x = x * 2\n    return x\n", "f", None, None, None),
    ("while_loop", "def f(x):\n    while True:\n        x = x * 2\n", "f", None, None, None),
    ("print", "from __future__ import print_function\ndef f(x):\n    print(x)\n    return x\n", "f", None, None, None),
    ("open", "f = lambda x: open('f', 'w')", "<lambda>", None, None, None),
    ("import_os", "def f(x):\n    import os\n    return x\n", "f", None, None, None),
    ("store_attr", "def f(x):\n    x.foo = 1\n    return x\n", "f", None, None, None),
    (
        "try",
        "def f(x):\n    try:\n        return x * 2\n    except Exception:\n        return x\n",
        "f",
        None,
        None,
        None,
    ),
    ("data_conditional", "f = lambda x: x if x is not None else 0", "<lambda>", None, None, None),
    ("generator", "def f(x):\n    yield x\n", "f", None, None, None),
    ("unbound", "f = lambda x, y: x + y", "<lambda>", None, None, None),
    ("getattr", "f = lambda x: getattr(x, 'shape')", "<lambda>", None, None, None),
    # lines going back (3.8+ line tables record the call's line after its arguments')
    (
        "multiline",
        "def f(x):\n    return K.concatenate([\n        x,\n        x * 2],\n        axis=-1)\n",
        "f",
        None,
        None,
        None,
    ),
]

# Runs under each pyenv Python, 2.7 included: compile only.
COMPILER = r"""
import base64, dis, json, marshal, sys, types
cases = json.loads(sys.stdin.read())
def find(code, name):
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            if c.co_name == name:
                return c
            inner = find(c, name)
            if inner is not None:
                return inner
    return None
out = []
for case in cases:
    module = compile(case["source"], "<fixture %s>" % case["id"], "exec")
    code = find(module, case["target"])
    b64 = base64.b64encode(marshal.dumps(code)).decode("ascii")
    out.append(dict(case, function=[b64, case["defaults"], case["closure"]],
                    line_starts=[list(p) for p in dis.findlinestarts(code)]))
print(json.dumps({"python": "%d.%d.%d" % sys.version_info[:3], "cases": out}))
"""


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    cases = [
        {"id": i, "source": s, "target": t, "defaults": d, "closure": c, "arguments": a} for i, s, t, d, c, a in CASES
    ]
    for release in RELEASES:
        python = PYENV / release / "bin" / "python"
        result = subprocess.run(
            [str(python), "-c", COMPILER], input=json.dumps(cases), capture_output=True, text=True, check=True
        )
        data = json.loads(result.stdout)
        minor = ".".join(release.split(".")[:2])
        path = OUT / f"python-{minor}.json"
        path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
        print(f"wrote {path} ({len(data['cases'])} cases)")


if __name__ == "__main__":
    main()
