#!/usr/bin/env python
"""Load repaired files in an old stack and compare their outputs with references.

Runs inside an oracle stack of ../shared/oracles (Keras 2.3.1 on Python 3.7,
tf.keras 2.2/2.4 on 3.8), several files per process because a stack takes
seconds to start:

    run.sh keras2.3 scripts/load_repaired.py FILE.h5=REFS.npz [FILE.h5=REFS.npz ...]

Prints one JSON line per file: ok, error, max_abs_diff, and for compiled
files whether the optimizer state was restored (`optimizer_state`: the
optimizer's weights equal the file's optimizer_weights, in order) or the
loader fell back to a fresh optimizer.
"""
from __future__ import absolute_import, division, print_function

import json
import logging
import os
import sys
import traceback
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "oracles"))
sys.dont_write_bytecode = True
real_stdout, sys.stdout = sys.stdout, sys.stderr  # library prints must not reach the JSON lines

from load_check import _load_model, _run_refs  # noqa: E402
from oracle_compat import keras, versions  # noqa: E402


class _Capture(logging.Handler):
    def __init__(self):
        logging.Handler.__init__(self)
        self.messages = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def _optimizer_state(model, path):
    import h5py
    import numpy as np

    with h5py.File(path, "r") as f:
        if "optimizer_weights" not in f or getattr(model, "optimizer", None) is None:
            return None
        group = f["optimizer_weights"]
        names = [n.decode("utf8") if hasattr(n, "decode") else n for n in group.attrs["weight_names"]]
        stored = [np.asarray(group[n]) for n in names]
    try:
        current = model.optimizer.get_weights()
    except Exception:  # noqa: BLE001 - an optimizer without weights yet
        return "not restored (no optimizer weights)"
    if len(current) != len(stored):
        return "not restored (%d weights, file has %d)" % (len(current), len(stored))
    for got, want in zip(current, stored):
        if np.shape(got) != np.shape(want) or not np.array_equal(np.asarray(got), want):
            return "not restored (values differ)"
    return "restored"


def check(path, refs):
    result = {"file": path, "ok": False, "error": None, "max_abs_diff": None}
    capture = _Capture()
    logging.getLogger().addHandler(capture)
    for name in ("tensorflow", "absl"):
        logging.getLogger(name).addHandler(capture)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = _load_model(keras, path, {}, True, None)
        messages = capture.messages + [str(w.message) for w in caught]
        fresh = [m for m in messages if "optimizer" in m and ("Error in loading" in m or "fresh" in m)]
        state = _optimizer_state(model, path)
        if fresh:
            state = "not restored: " + fresh[0].splitlines()[0]
        result["optimizer_state"] = state
        result["max_abs_diff"] = _run_refs(model, refs)
        result["ok"] = True
    except Exception as exc:  # noqa: BLE001 - reported, not raised
        result["error"] = "%s: %s" % (type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
        traceback.print_exc(file=sys.stderr)
    finally:
        logging.getLogger().removeHandler(capture)
        try:
            keras.backend.clear_session()
        except Exception:  # noqa: BLE001
            pass
    return result


def main(argv):
    info = versions()
    for item in argv:
        path, _, refs = item.partition("=")
        result = check(path, refs)
        result.update(keras_version=info["keras_version"], tf_version=info["tf_version"])
        real_stdout.write(json.dumps(result) + "\n")
        real_stdout.flush()
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stderr.flush()
    real_stdout.flush()
    os._exit(code)  # TensorFlow can crash in interpreter teardown; the answers are out
