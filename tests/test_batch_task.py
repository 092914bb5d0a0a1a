"""A batch task crosses process boundaries (a worker's socket, a Dask cluster) whole."""

import pickle

from kerasmigrate.batch.executors import failure
from kerasmigrate.batch.task import Task

TASK = Task(
    mode="convert",
    rel="a/x.h5",
    record_rel="models/a/x.h5",
    kind="keras-h5",
    size=123,
    input_url="memory://in",
    input_display="memory://in/a/x.h5",
    output_url="/out",
    output_rel="models/a/x.keras",
    storage_options={"endpoint_url": "http://minio:9000"},
    options={"target": "keras-3.9", "mapping": None},
    options_digest="d" * 64,
    previous_key="k" * 64,
    overwrite=True,
)


def test_task_pickles():
    assert pickle.loads(pickle.dumps(TASK)) == TASK


def test_worker_reads_every_field_as_a_key():
    data = TASK.to_dict()
    assert data["rel"] == "a/x.h5" and data["record_rel"] == "models/a/x.h5"
    assert data["storage_options"] == {"endpoint_url": "http://minio:9000"}
    assert data["options"]["target"] == "keras-3.9" and data["overwrite"] is True
    assert set(data) == {f for f in Task.__dataclass_fields__}


def test_failure_names_the_file_and_why():
    result = failure(TASK, "the worker died")
    assert result["key"] is None
    record = result["record"]
    assert (record["path"], record["input"], record["kind"]) == ("a/x.h5", "memory://in/a/x.h5", "keras-h5")
    assert (record["status"], record["reason"]) == ("failed", "the worker died")
