"""A worker process: takes one file at a time over a socket, answers with its record.

    python -c "import sys; from kerasmigrate.batch.child import main; main(sys.argv)" FD

(not `-m`: the package imports this module before runpy would run it). Started by `executors` (a plain subprocess, not multiprocessing: a Dask worker is a daemonic
process, which multiprocessing forbids to have children). FD is its end of a socketpair,
spoken through multiprocessing.connection (the tasks and records of our own processes):
`task.Task` in, the worker's result dict out.
Its memory is watched from outside (`executors`, --max-memory). It dies with the thread that started it (PR_SET_PDEATHSIG),
so a batch or Dask worker that is killed leaves no worker writing behind it.
"""

from __future__ import annotations

import os
import signal
import sys
from multiprocessing.connection import Connection

READY = "ready"


def die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        if os.getppid() == 1:  # the parent died before the call
            os._exit(1)


def serve(conn: Connection) -> None:
    die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the batch's: it stops the workers
    from kerasmigrate.batch.worker import process_one

    conn.send(READY)  # imports done: the file's --timeout starts when it is handed over
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        conn.send(process_one(task.to_dict()))


def main(argv: list[str]) -> None:
    serve(Connection(int(argv[1])))
