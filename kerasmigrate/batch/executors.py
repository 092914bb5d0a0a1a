"""Run `process_one` over the tasks: local worker processes, or an existing Dask cluster.

Each file is converted in a worker process (`child`), one file at a time, so that a worker
that hangs past `timeout` is killed and one that dies (a crash in a C library, the
out-of-memory killer, kill -9) costs only its file: it is reported failed with the reason
and a new worker takes its place. Workers die with what started them (PR_SET_PDEATHSIG on
Linux): a killed run leaves no worker writing behind it.

Local: `jobs` workers, fed by this process. Dask: each task runs its file in a worker kept
by the Dask worker's thread (`process_in_child`), so a timeout or a crash is handled on the
cluster as it is here, and the Dask worker itself survives both; a Dask worker that dies
anyway is the scheduler's matter (KilledWorker, reported as this file's failure).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from multiprocessing.connection import Connection, wait
from pathlib import Path

from kerasmigrate.batch.child import READY
from kerasmigrate.batch.records import FAILED, FileRecord
from kerasmigrate.batch.task import Task
from kerasmigrate.errors import KerasMigrateError

OnResult = Callable[[Task, dict], None]
DASK_CONNECT_TIMEOUT = "30s"
# A worker that cannot even start (its imports) within this many seconds is reported with the file.
START_TIMEOUT = 120.0
CHILD_MAIN = "import sys; from kerasmigrate.batch.child import main; main(sys.argv)"
MEMORY_POLL = 0.2  # seconds between looks at the workers' memory, with --max-memory
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
# The directory holding the kerasmigrate package: on the worker's path, installed or not.
PACKAGE_PARENT = str(Path(__file__).resolve().parents[2])


def failure(task: Task, reason: str) -> dict:
    """The result of a file whose worker gave no answer."""
    rec = FileRecord(path=task.rel, input=task.input_display, status=FAILED, kind=task.kind, reason=reason)
    return {"key": None, "record": rec.to_dict()}


def death_reason(exitcode: int | None, started: bool = True) -> str:
    when = "while converting this file" if started else "before it could start"
    if exitcode is not None and exitcode < 0:
        name = signal.Signals(-exitcode).name if -exitcode in signal.valid_signals() else f"signal {-exitcode}"
        if -exitcode == signal.SIGKILL:
            return f"the worker was killed (SIGKILL: out of memory, or killed from outside) {when}"
        return f"the worker died of {name} {when}"
    return f"the worker exited (code {exitcode}) {when}"


def timeout_reason(timeout: float) -> str:
    return f"timed out after {timeout:g} s (--timeout); its worker was stopped"


class _Worker:
    """A `kerasmigrate.batch.child` process and our end of its socket."""

    def __init__(self, max_memory_mib: int | None):
        ours, theirs = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, (PACKAGE_PARENT, env.get("PYTHONPATH"))))
        with theirs:
            self.process = subprocess.Popen(
                [sys.executable, "-c", CHILD_MAIN, str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=_stderr_fd(),  # stdout is the batch's (JSON Lines): what a library prints goes to stderr
                env=env,
            )
        self.conn = Connection(ours.detach())
        self.max_memory_mib = max_memory_mib
        self.ready = False
        self.born = time.monotonic()
        self.task: Task | None = None
        self.started = 0.0

    def over_memory(self) -> str | None:
        """Why the worker must stop: its resident memory is past --max-memory (Linux's /proc)."""
        if not self.max_memory_mib:
            return None
        try:
            with open(f"/proc/{self.process.pid}/statm") as f:
                resident = int(f.read().split()[1]) * PAGE_SIZE / 2**20
        except (OSError, ValueError, IndexError):  # gone (its death is seen elsewhere), or no /proc
            return None
        if resident <= self.max_memory_mib:
            return None
        return f"used {resident:.0f} MiB, more than --max-memory {self.max_memory_mib} MiB; its worker was stopped"

    def give(self, task: Task) -> None:
        self.task, self.started = task, time.monotonic()
        try:
            self.conn.send(task)
        except OSError:  # died while idle: its end of the socket reads as closed, and the file fails with why
            pass

    def receive(self):
        """The worker's next message, or None when it died (its exit code is then known)."""
        try:
            return self.conn.recv()
        except (EOFError, OSError):
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            return None

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.process.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.conn.close()


def _stderr_fd() -> int:
    try:
        return sys.__stderr__.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (an embedding, a service)
        return subprocess.DEVNULL


def run_local(
    tasks: Iterable[Task],
    on_result: OnResult,
    *,
    jobs: int,
    timeout: float | None,
    max_memory_mib: int | None = None,
    prepare: Callable[[Task], Task] | None = None,
) -> None:
    """`prepare(task)`, when given, makes each task ready just before a worker takes it (and
    what it returns is what `on_result` gets); what it raises fails that file alone."""
    pool = _LocalPool(deque(tasks), on_result, jobs, timeout, max_memory_mib, prepare)
    try:
        while pool.pending or pool.busy():
            pool.start_workers()
            pool.hand_out()
            ready = wait([w.conn for w in pool.workers], timeout=pool.wait_time())
            for w in list(pool.workers):
                pool.look_at(w, answered=w.conn in ready)
    finally:
        for w in pool.workers:
            w.stop(kill=w.task is not None)


class _LocalPool:
    """The workers of `run_local` and the files still to give them."""

    def __init__(self, pending, on_result, jobs, timeout, max_memory_mib, prepare):
        self.pending: deque[Task] = pending
        self.on_result, self.jobs, self.timeout = on_result, jobs, timeout
        self.max_memory_mib, self.prepare = max_memory_mib, prepare
        self.workers: list[_Worker] = []

    def busy(self) -> int:
        return sum(1 for w in self.workers if w.task)

    def start_workers(self) -> None:
        while len(self.workers) < min(self.jobs, len(self.pending) + self.busy()):
            self.workers.append(_Worker(self.max_memory_mib))

    def hand_out(self) -> None:
        for w in self.workers:
            while w.ready and w.task is None and self.pending:
                task = self.pending.popleft()
                if self.prepare is not None:
                    try:
                        task = self.prepare(task)
                    except Exception as exc:  # noqa: BLE001 - this file's failure; the batch goes on
                        self.on_result(task, failure(task, f"cannot prepare it: {type(exc).__name__}: {exc}"))
                        continue
                w.give(task)

    def wait_time(self) -> float:
        """Until the nearest deadline (a file's timeout, a worker's start), at most a second."""
        now = time.monotonic()
        deadlines = [w.started + self.timeout for w in self.workers if w.task and self.timeout]
        deadlines += [w.born + START_TIMEOUT for w in self.workers if not w.ready]
        wait_for = max(0.0, min(deadlines, default=now + 1.0) - now)
        return min(wait_for, MEMORY_POLL) if self.max_memory_mib else wait_for

    def look_at(self, w: _Worker, answered: bool) -> None:
        """Take a worker's answer, or stop it when it died, hung, grew too big or never started."""
        if answered:
            message = w.receive()
            if message is None:
                self.lose(w, death_reason(w.process.returncode, started=w.task is not None))
            elif message == READY:
                w.ready = True
            else:
                task, w.task = w.task, None
                self.on_result(task, message)
                if w.over_memory():  # still holding that file's memory: the next starts afresh
                    w.stop()
                    self.workers.remove(w)
        elif w.task and self.timeout and time.monotonic() - w.started > self.timeout:
            self.lose(w, timeout_reason(self.timeout))
        elif w.task and (too_much := w.over_memory()):
            self.lose(w, too_much)
        elif not w.ready and time.monotonic() - w.born > START_TIMEOUT:
            self.lose(w, f"the worker did not start within {START_TIMEOUT:g} s")

    def lose(self, w: _Worker, reason: str) -> None:
        """A worker that died or hung: its file (or, before it ever started, the next) fails."""
        w.stop(kill=True)
        self.workers.remove(w)
        task = w.task or (self.pending.popleft() if self.pending else None)
        w.task = None
        if task is not None:
            self.on_result(task, failure(task, reason))


_thread_worker = threading.local()


def process_in_child(task: Task, timeout: float | None = None, max_memory_mib: int | None = None) -> dict:
    """`process_one(task)` in the worker process kept by this thread (a Dask task): started on
    first use, stopped and replaced when it hangs past `timeout` or dies."""
    w: _Worker | None = getattr(_thread_worker, "worker", None)
    if w is not None:
        w.max_memory_mib = max_memory_mib
        if w.process.poll() is not None or w.over_memory():  # dead, or still holding a past file's memory
            w.stop(kill=True)
            w = None
    if w is None:
        w = _thread_worker.worker = _Worker(max_memory_mib)
    if not w.ready:
        message = w.receive() if w.conn.poll(START_TIMEOUT) else None
        if message != READY:
            return _lose(
                w,
                task,
                death_reason(w.process.returncode, started=False)
                if w.process.poll() is not None
                else f"the worker did not start within {START_TIMEOUT:g} s",
            )
        w.ready = True
    w.give(task)
    step = MEMORY_POLL if max_memory_mib else timeout
    while not w.conn.poll(step):
        if timeout and time.monotonic() - w.started > timeout:
            return _lose(w, task, timeout_reason(timeout))
        if too_much := w.over_memory():
            return _lose(w, task, too_much)
    message = w.receive()
    if message is None:
        return _lose(w, task, death_reason(w.process.returncode))
    w.task = None
    return message


def _lose(w: _Worker, task: Task, reason: str) -> dict:
    w.stop(kill=True)
    _thread_worker.worker = None
    return failure(task, reason)


def run_dask(
    tasks: Iterable[Task],
    on_result: OnResult,
    *,
    scheduler: str | None = None,
    client=None,
    timeout: float | None = None,
    max_memory_mib: int | None = None,
) -> None:
    """Run the tasks on the Dask cluster of `client`, or of the scheduler at `scheduler`
    (a client made here is closed here); call `on_result` as each file finishes."""
    own = client is None
    if own:
        client = _connect(scheduler)
    tasks = list(tasks)
    run = uuid.uuid4().hex  # keys of this run's tasks: "kerasmigrate-<run>-<index>", unique on the cluster
    futures: dict = {}
    try:
        if tasks:
            keys = [f"kerasmigrate-{run}-{i}" for i in range(len(tasks))]
            mapped = client.map(
                process_in_child, tasks, key=keys, pure=False, timeout=timeout, max_memory_mib=max_memory_mib
            )
            futures = dict(zip(mapped, tasks))
        while futures:
            _wait_any(futures)
            for future in [f for f in futures if f.done()]:
                task = futures.pop(future)
                on_result(task, _result(future, task))
    finally:
        if futures:  # interrupted (Ctrl-C, an error in on_result): take the rest off the cluster
            try:
                client.cancel(list(futures))
            except Exception:  # noqa: BLE001 - the cluster may be gone too; the interruption matters
                pass
        if own:
            client.close()


def _connect(scheduler: str | None):
    from dask.distributed import Client

    try:
        return Client(scheduler, timeout=DASK_CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise KerasMigrateError(scheduler, f"cannot reach the Dask scheduler: {exc}") from exc


def _wait_any(futures) -> None:
    """Until a future finishes, or a second has passed (Ctrl-C is heard between waits)."""
    from dask.distributed import wait

    try:
        wait(list(futures), timeout=1.0, return_when="FIRST_COMPLETED")
    except Exception:  # noqa: BLE001 - a timeout, or a cancelled future: the caller asks each future
        pass


def _result(future, task: Task) -> dict:
    try:
        return future.result()
    except Exception as exc:  # noqa: BLE001 - each is this file's failure, the batch goes on
        return failure(task, _dask_reason(exc))


def _dask_reason(exc: BaseException) -> str:
    name = type(exc).__name__
    if name == "KilledWorker":
        return (
            "the Dask worker died with this file on it (out of memory, a crash, or killed from outside; "
            f"KilledWorker after {getattr(exc, 'allowed_failures', '?')} retries, "
            f"last on {getattr(getattr(exc, 'last_worker', None), 'address', '?')})"
        )
    if name in ("CancelledError", "FutureCancelledError", "FuturesCancelledError"):
        return f"the Dask task was cancelled (by the cluster: {exc})"
    return f"the Dask task failed: {name}: {exc}"
