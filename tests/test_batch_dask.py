"""The Dask executor against the local one: the same tree (>= 300 entries) on a real
LocalCluster of two worker processes must give the same report and the same bytes."""

from __future__ import annotations

import os
import signal
import time
from contextlib import contextmanager
from pathlib import Path

import orjson
import pytest

from kerasmigrate.batch import convert_tree, executors
from kerasmigrate.batch.records import FAILED, SKIPPED
from kerasmigrate.errors import KerasMigrateError
from tests.batch_tree import build_small_tree, build_tree, sabotage_workers

pytestmark = pytest.mark.full

distributed = pytest.importorskip("distributed")

# What differs between two runs of the same tree: timing, memory, and where the run wrote.
RUN_FIELDS = {"seconds", "peak_worker_mib", "started", "finished", "output_dir", "inputs"}
FILE_FIELDS = {"seconds", "worker_peak_mib"}


@pytest.fixture(scope="module")
def cluster():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=40
    ) as local_cluster:
        yield local_cluster


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    return build_tree(tmp_path_factory.mktemp("dask"))


@contextmanager
def _own_cluster():
    """A client of a LocalCluster of two worker processes of its own (a test may break them)."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
    ) as cluster:
        with distributed.Client(cluster, set_as_default=False) as client:
            yield client


def _report(out: Path) -> dict:
    """report.json without what differs between two runs of the same tree."""
    document = orjson.loads((out / "report.json").read_bytes())
    for name in RUN_FIELDS:
        document["summary"].pop(name, None)
    for record in document["files"]:
        for name in FILE_FIELDS:
            record.pop(name, None)
    return document


def _outputs(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*.keras"))}


def test_dask_matches_local(cluster, tree, tmp_path):
    entries = sum(1 for _ in tree.rglob("*"))
    out_dask, out_local = tmp_path / "dask", tmp_path / "local"

    dask = convert_tree([str(tree)], str(out_dask), executor="dask", scheduler=cluster.scheduler_address)
    local = convert_tree([str(tree)], str(out_local), jobs=2)

    assert entries >= 300 and dask.summary.files >= 300
    models = [r for r in local.records if r.status != SKIPPED]
    assert len(models) >= 300
    assert local.summary.counts.get("converted", 0) >= 250, local.summary.counts
    assert _report(out_dask) == _report(out_local)
    assert dask.summary.to_dict()["counts"] == local.summary.counts
    outputs = _outputs(out_dask)
    assert len(outputs) == local.summary.counts["converted"]
    assert outputs == _outputs(out_local)
    assert not any(out_dask.rglob("*.part"))

    # the variants are what build_tree says they are
    status = {r.path: r for r in dask.records}
    assert all(status[f"variants/truncated/{n}.h5"].status == "refused" for n in ("conv_bn", "dense_family"))
    assert status["variants/renamed/rnn_lstm_gru.hdf5"].output == "variants/renamed/rnn_lstm_gru.hdf5.keras"
    assert status["variants/renamed/conv_bn"].output == "variants/renamed/conv_bn.keras"
    assert status["variants/a/b/c/d/e/f/saved.v2"].output == "variants/a/b/c/d/e/f/saved.v2.keras"
    assert status["variants/not_models/empty.h5"].status == SKIPPED

    again = convert_tree([str(tree)], str(out_dask), executor="dask", scheduler=cluster.scheduler_address)
    done = [r for r in again.records if r.status not in (SKIPPED, FAILED)]
    assert again.summary.reused == len(done) == len([r for r in dask.records if r.status not in (SKIPPED, FAILED)])
    assert _outputs(out_dask) == outputs


@pytest.mark.timeout(600)
def test_dask_with_a_client_of_the_caller(cluster, tmp_path):
    """A client passed in is used and left open; a new run's keys never collide with the last's."""
    tree = build_small_tree(tmp_path)
    with distributed.Client(cluster.scheduler_address, set_as_default=False) as client:
        first = convert_tree([str(tree)], str(tmp_path / "a"), executor="dask", dask_client=client)
        second = convert_tree([str(tree)], str(tmp_path / "b"), executor="dask", dask_client=client)
        assert client.status == "running"
        assert [r.status for r in first.records] == [r.status for r in second.records]
        assert second.summary.reused == 0
        # Releasing is asynchronous: tasks still held on the cluster make this wait fail through the
        # test's timeout.
        while client.who_has():
            time.sleep(0.1)  # a polling interval, not a bound


def test_unreachable_scheduler_is_refused(monkeypatch, tmp_path):
    monkeypatch.setattr(executors, "DASK_CONNECT_TIMEOUT", "2s")
    tree = build_small_tree(tmp_path)
    with pytest.raises(KerasMigrateError, match="cannot reach the Dask scheduler"):
        convert_tree([str(tree)], str(tmp_path / "out"), executor="dask", scheduler="tcp://127.0.0.1:9")


class KillOnce(distributed.WorkerPlugin):
    """SIGKILLs its worker process when it starts the first kerasmigrate task, once per cluster."""

    def __init__(self, marker: str):
        self.marker = marker

    def transition(self, key, start, finish, **kwargs):
        if finish != "executing" or not str(key).startswith("kerasmigrate-"):
            return
        try:
            os.close(os.open(self.marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return
        os.kill(os.getpid(), signal.SIGKILL)


def test_a_killed_worker_fails_its_file_and_the_batch_goes_on(tmp_path):
    """No retry (allowed-failures 0): the file whose worker was killed is reported failed with
    the reason; every other file is done; the next run redoes only the failed."""
    import dask

    tree = build_small_tree(tmp_path)
    marker = tmp_path / "killed"
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with _own_cluster() as client:
            client.register_plugin(KillOnce(str(marker)), name="kill-once")
            result = convert_tree([str(tree)], str(tmp_path / "out"), executor="dask", dask_client=client)
            assert marker.exists()
            failed = [r for r in result.records if r.status == FAILED]
            assert 1 <= len(failed) <= 2, [(r.path, r.reason) for r in failed]
            assert all(r.reason.startswith("the Dask worker died with this file on it") for r in failed)
            assert len(result.records) == 12
            assert sum(r.status == "converted" for r in result.records) == 7 - len(
                [r for r in failed if r.path != "h5/weights_only.h5"]
            )

            again = convert_tree([str(tree)], str(tmp_path / "out"), executor="dask", dask_client=client)
            redone = sorted(r.path for r in again.records if r.kind and not r.reused)
            assert redone == sorted(r.path for r in failed)
            assert not any(r.status == FAILED for r in again.records)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.timeout(600)  # the hung file's worker sleeps for an hour: stopping it is what ends the run
def test_a_file_past_the_timeout_fails_its_worker_is_stopped_and_the_batch_goes_on(tmp_path, monkeypatch):
    """The hung file's worker process is killed on the Dask worker (which lives on), so the
    cluster is not left busy with it; only that file fails."""
    tree = build_small_tree(tmp_path)
    hung = tmp_path / "hung.pid"
    monkeypatch.setenv("PYTHONPATH", sabotage_workers(tmp_path / "site", "h5/conv_bn.h5", "hang", hung))
    with _own_cluster() as client:
        workers = set(client.scheduler_info()["workers"])
        result = convert_tree([str(tree)], str(tmp_path / "out"), executor="dask", dask_client=client, timeout=3)
        assert set(client.scheduler_info()["workers"]) == workers  # no Dask worker lost
        assert not _alive(int(hung.read_text()))  # stopped, not left running beside the cluster
    status = {r.path: r for r in result.records}
    assert status["h5/conv_bn.h5"].status == FAILED
    assert status["h5/conv_bn.h5"].reason == "timed out after 3 s (--timeout); its worker was stopped"
    assert [r.path for r in result.records if r.status == FAILED] == ["h5/conv_bn.h5"]
    assert sum(r.status == "converted" for r in result.records) == 6


def test_a_worker_process_that_dies_fails_its_file_not_the_dask_worker(tmp_path, monkeypatch):
    """A crash in a conversion (here SIGKILL, as the out-of-memory killer sends) costs its file
    alone: no KilledWorker, no retry of the crashing file on the other Dask workers."""
    tree = build_small_tree(tmp_path)
    monkeypatch.setenv("PYTHONPATH", sabotage_workers(tmp_path / "site", "h5/dense_family.h5", "kill"))
    with _own_cluster() as client:
        workers = set(client.scheduler_info()["workers"])
        result = convert_tree([str(tree)], str(tmp_path / "out"), executor="dask", dask_client=client)
        assert set(client.scheduler_info()["workers"]) == workers
    status = {r.path: r for r in result.records}
    assert [r.path for r in result.records if r.status == FAILED] == ["h5/dense_family.h5"]
    assert status["h5/dense_family.h5"].reason == (
        "the worker was killed (SIGKILL: out of memory, or killed from outside) while converting this file"
    )
    assert sum(r.status == "converted" for r in result.records) == 6


def test_max_memory_is_watched_on_the_cluster_too(tmp_path, monkeypatch):
    tree = build_small_tree(tmp_path)
    monkeypatch.setenv("PYTHONPATH", sabotage_workers(tmp_path / "site", "h5/mlp_sequential.h5", "bloat"))
    with _own_cluster() as client:
        result = convert_tree(
            [str(tree)], str(tmp_path / "out"), executor="dask", dask_client=client, max_memory_mib=256, timeout=120
        )
    status = {r.path: r for r in result.records}
    assert [r.path for r in result.records if r.status == FAILED] == ["h5/mlp_sequential.h5"]
    assert status["h5/mlp_sequential.h5"].reason.endswith("more than --max-memory 256 MiB; its worker was stopped")
    assert sum(r.status == "converted" for r in result.records) == 6
