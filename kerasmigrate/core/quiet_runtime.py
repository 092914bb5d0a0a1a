"""TensorFlow quiet while it loads: what verify, and a convert that imports the user's Keras module,
set up before Keras (and with it TensorFlow) is imported. Imports nothing itself."""

from __future__ import annotations

import logging
import os
import sys
from contextlib import contextmanager


def quiet_tensorflow() -> None:
    """Set before TensorFlow is imported: no C++ log lines, no Python warnings about retracing
    (verify calls each model a few times on new shapes; that is expected, not a problem).
    oneDNN is left as TensorFlow sets it for the CPU: channels_first models run compiled by XLA
    (`_xla_call`), which needs no oneDNN."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


@contextmanager
def native_stderr_quiet():
    """While TensorFlow loads, its C++ runtime writes info lines straight to file descriptor 2,
    before TF_CPP_MIN_LOG_LEVEL applies ("oneDNN custom operations are on", "Could not find
    cuda drivers"): they go to /dev/null, unless the user asked for TensorFlow's logs
    (TF_CPP_MIN_LOG_LEVEL=0). Python exceptions are unaffected."""
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0") == "0":
        yield
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
