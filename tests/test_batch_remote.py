"""Trees on an object store: a real S3-compatible server (moto's, in a subprocess) read and
written through fsspec/s3fs by the batch and by its spawned worker processes.

Each test has its own bucket. Every output is checked in the bucket itself (listed and read
with boto3, not through kerasmigrate): a broken upload fails the tests (see
test_a_missing_output_is_seen_and_redone).
"""

from __future__ import annotations

import io
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
import zipfile
from pathlib import Path

import orjson
import pytest

from kerasmigrate.batch import check_tree, convert_tree, storage
from kerasmigrate.batch.records import CONVERTED, FAILED, SKIPPED
from kerasmigrate.batch.storage import Store
from kerasmigrate.errors import KerasMigrateError
from tests.batch_tree import SAMPLES, build_small_tree

pytestmark = pytest.mark.full

boto3 = pytest.importorskip("boto3")
pytest.importorskip("s3fs")

KEY, SECRET = "kerasmigrate-test", "kerasmigrate-test-secret"
MODELS = 8  # models in build_small_tree: 7 convert, 1 is refused (weights only)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory):
    """http://127.0.0.1:PORT of a moto S3 server, stopped after the module."""
    port = _free_port()
    log = tmp_path_factory.mktemp("moto") / "server.log"
    with open(log, "wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        while True:  # a server that never answers fails through the test's timeout (pytest-timeout)
            try:
                urllib.request.urlopen(url + "/moto-api/", timeout=2).close()
                break
            except (urllib.error.URLError, OSError):
                if server.poll() is not None:
                    raise RuntimeError(f"the moto server did not start: {log.read_text()[-2000:]}") from None
                time.sleep(0.2)  # a polling interval, not a bound
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture
def s3(endpoint, tmp_path, monkeypatch):
    """(boto3 client, bucket name, storage_options). Fake credentials in the environment too
    (the spawned workers inherit it) and a private cache for the remote ledgers."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    client = boto3.client("s3", endpoint_url=endpoint)
    bucket = f"km-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=bucket)
    # the endpoint is only here: a worker without the task's storage_options would go to AWS and fail
    options = {"endpoint_url": endpoint, "key": KEY, "secret": SECRET}
    return client, bucket, options


def _upload(client, bucket: str, root: Path, prefix: str) -> int:
    count = 0
    for path in sorted(root.rglob("*")):
        if path.is_file():
            client.upload_file(str(path), bucket, f"{prefix}/{path.relative_to(root).as_posix()}")
            count += 1
    return count


def _objects(client, bucket: str, prefix: str) -> dict[str, int]:
    """key (relative to `prefix`) -> size, of every object under `prefix/`."""
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
        for item in page.get("Contents", []):
            found[item["Key"][len(prefix) + 1 :]] = item["Size"]
    return found


def _get(client, bucket: str, key: str) -> bytes:
    return client.get_object(Bucket=bucket, Key=key)["Body"].read()


def _keras_parts(data: bytes) -> dict[str, bytes]:
    """config.json and the weights of a .keras archive: what the deterministic writer fixes."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        names = z.namelist()
        assert "config.json" in names, names
        orjson.loads(z.read("config.json"))
        return {n: z.read(n) for n in ("config.json", "model.weights.h5") if n in names}


def _check_outputs(client, bucket: str, out_prefix: str, result, local_out: Path) -> None:
    """Every converted file's output is in the bucket at its mirrored path, a .keras archive with
    the same config.json and weights as the local run's; the reports and the ledger are there."""
    objects = _objects(client, bucket, out_prefix)
    converted = [r for r in result.records if r.status == CONVERTED]
    assert converted
    for rec in converted:
        assert rec.output in objects, f"{rec.output} is not in the bucket: {sorted(objects)}"
        remote = _keras_parts(_get(client, bucket, f"{out_prefix}/{rec.output}"))
        assert remote == _keras_parts((local_out / rec.output).read_bytes()), rec.output
    assert {"report.json", "report.html", ".kerasmigrate/ledger.sqlite"} <= set(objects)
    document = orjson.loads(_get(client, bucket, f"{out_prefix}/report.json"))
    assert [f["path"] for f in document["files"]] == [r.path for r in result.records]
    assert b"<html" in _get(client, bucket, f"{out_prefix}/report.html")[:2000].lower()
    outputs = {r.output for r in result.records if r.output}
    strays = {k for k in objects if k.endswith(".keras")} - outputs
    assert not strays, f"outputs no record names: {strays}"


def _ledger_rows(client, bucket: str, out_prefix: str, tmp_path: Path) -> dict[str, str]:
    local = tmp_path / f"ledger-{uuid.uuid4().hex[:6]}.sqlite"
    local.write_bytes(_get(client, bucket, f"{out_prefix}/.kerasmigrate/ledger.sqlite"))
    with sqlite3.connect(local) as db:
        return dict(db.execute("SELECT path, status FROM files WHERE mode = 'convert'"))


def _expected(tree: Path) -> dict[str, tuple[str, str | None]]:
    """What the small tree gives: path -> (status, output)."""
    return {
        "README.txt": (SKIPPED, None),
        "archives/functional_nested.keras": (CONVERTED, "archives/functional_nested.keras"),
        "h5/conv_bn.h5": (CONVERTED, "h5/conv_bn.keras"),
        "h5/conv_bn.refs.npz": (SKIPPED, None),
        "h5/dense_family.h5": (CONVERTED, "h5/dense_family.keras"),
        "h5/mlp_sequential.h5": (CONVERTED, "h5/mlp_sequential.keras"),
        "h5/nested/deeper/model.h5": (CONVERTED, "h5/nested/deeper/model.keras"),
        "h5/nested/empty.h5": (SKIPPED, None),
        "h5/rnn_lstm_gru.h5": (CONVERTED, "h5/rnn_lstm_gru.keras"),
        "h5/weights_only.h5": ("refused", None),
        "savedmodel/sequential": (CONVERTED, "savedmodel/sequential.keras"),
        "savedmodel/sequential2/notes.txt": (SKIPPED, None),
    }


@pytest.fixture
def small_tree(tmp_path) -> Path:
    return build_small_tree(tmp_path)


@pytest.fixture
def local_result(small_tree, tmp_path):
    """The same tree converted locally: what every remote run must match."""
    out = tmp_path / "local-out"
    result = convert_tree([str(small_tree)], str(out), jobs=2)
    assert {r.path: (r.status, r.output) for r in result.records} == _expected(small_tree)
    return result, out


def test_s3_to_s3_converts_mirrors_and_reuses(s3, small_tree, local_result, tmp_path, monkeypatch):
    client, bucket, options = s3
    assert _upload(client, bucket, small_tree, "models") == sum(1 for p in small_tree.rglob("*") if p.is_file())
    inputs, out = f"s3://{bucket}/models", f"s3://{bucket}/out"

    result = convert_tree([inputs], out, storage_options=options, jobs=2)

    assert {r.path: (r.status, r.output) for r in result.records} == _expected(small_tree)
    assert {r.path: r.input for r in result.records}["h5/conv_bn.h5"] == f"{inputs}/h5/conv_bn.h5"
    assert result.report_files == [f"{out}/report.json", f"{out}/report.html"]
    _check_outputs(client, bucket, "out", result, local_result[1])
    models = [r for r in result.records if r.kind]
    assert _ledger_rows(client, bucket, "out", tmp_path) == {r.path: r.status for r in models}
    assert set(_objects(client, bucket, "models")) == {
        p.relative_to(small_tree).as_posix() for p in small_tree.rglob("*") if p.is_file()
    }, "the input tree was changed"

    again = convert_tree([inputs], out, storage_options=options, jobs=2)
    assert again.summary.reused == len(models) == MODELS
    assert [(r.path, r.status, r.output) for r in again.records] == [
        (r.path, r.status, r.output) for r in result.records
    ]

    # another machine: no cached ledger, the copy in the bucket is fetched
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "other-cache"))
    elsewhere = convert_tree([inputs], out, storage_options=options, jobs=2)
    assert elsewhere.summary.reused == len(models)


def test_a_missing_output_is_seen_and_redone(s3, small_tree, local_result, tmp_path):
    """What a broken upload would leave (an output missing) fails the checks above; a rerun redoes it."""
    client, bucket, options = s3
    _upload(client, bucket, small_tree, "models")
    inputs, out = f"s3://{bucket}/models", f"s3://{bucket}/out"
    result = convert_tree([inputs], out, storage_options=options, jobs=2)
    _check_outputs(client, bucket, "out", result, local_result[1])

    client.put_object(Bucket=bucket, Key="out/h5/dense_family.keras", Body=b"PK\x05\x06" + bytes(18))
    with pytest.raises(AssertionError, match="config.json"):
        _check_outputs(client, bucket, "out", result, local_result[1])
    client.delete_object(Bucket=bucket, Key="out/h5/conv_bn.keras")
    with pytest.raises(AssertionError, match="conv_bn.keras is not in the bucket"):
        _check_outputs(client, bucket, "out", result, local_result[1])

    client.delete_object(Bucket=bucket, Key="out/h5/dense_family.keras")
    again = convert_tree([inputs], out, storage_options=options, jobs=2)
    redone = sorted(r.path for r in again.records if r.kind and not r.reused)
    assert redone == ["h5/conv_bn.h5", "h5/dense_family.h5"]
    _check_outputs(client, bucket, "out", again, local_result[1])


def test_local_to_s3(s3, small_tree, local_result):
    client, bucket, options = s3
    out = f"s3://{bucket}/converted/run1"
    result = convert_tree([str(small_tree)], out, storage_options=options, jobs=2)
    assert {r.path: (r.status, r.output) for r in result.records} == _expected(small_tree)
    _check_outputs(client, bucket, "converted/run1", result, local_result[1])
    assert not (small_tree / ".kerasmigrate").exists()
    again = convert_tree([str(small_tree)], out, storage_options=options, jobs=2)
    assert again.summary.reused == MODELS


def test_s3_to_local(s3, small_tree, local_result, tmp_path):
    client, bucket, options = s3
    _upload(client, bucket, small_tree, "in/models")
    out = tmp_path / "from-s3"
    result = convert_tree([f"s3://{bucket}/in/models"], str(out), storage_options=options, jobs=2)
    assert {r.path: (r.status, r.output) for r in result.records} == _expected(small_tree)
    for rec in result.records:
        if rec.status == CONVERTED:
            assert (out / rec.output).read_bytes() == (local_result[1] / rec.output).read_bytes(), rec.output
    assert (out / "report.json").is_file() and (out / ".kerasmigrate" / "ledger.sqlite").is_file()
    assert sorted(p.name for p in out.rglob("*.part")) == []
    again = convert_tree([f"s3://{bucket}/in/models"], str(out), storage_options=options, jobs=2)
    assert again.summary.reused == MODELS


def test_output_inside_the_input_prefix_is_not_walked(s3, small_tree):
    client, bucket, options = s3
    _upload(client, bucket, small_tree, "tree")
    first = convert_tree([f"s3://{bucket}/tree"], f"s3://{bucket}/tree/converted", storage_options=options, jobs=2)
    again = convert_tree([f"s3://{bucket}/tree"], f"s3://{bucket}/tree/converted", storage_options=options, jobs=2)
    assert [r.path for r in again.records] == [r.path for r in first.records]
    assert not any(r.path.startswith("converted/") for r in again.records)
    assert again.summary.reused == MODELS


def test_check_tree_on_s3(s3, small_tree):
    client, bucket, options = s3
    _upload(client, bucket, small_tree, "models")
    before = _objects(client, bucket, "models")
    result = check_tree([f"s3://{bucket}/models"], storage_options=options, jobs=2)
    statuses = {r.path: r.status for r in result.records}
    assert statuses["h5/conv_bn.h5"] == "needs-convert"
    assert statuses["savedmodel/sequential"] == "needs-convert"
    assert statuses["README.txt"] == SKIPPED
    assert FAILED not in statuses.values()
    assert _objects(client, bucket, "models") == before, "check wrote into the tree"


@pytest.mark.timeout(300)  # a hang fails here; the moto server's start is in the budget
def test_unreachable_endpoint_is_an_error_not_a_hang(s3):
    _, bucket, options = s3
    dead = {
        **options,
        "endpoint_url": f"http://127.0.0.1:{_free_port()}",
        "config_kwargs": {"retries": {"max_attempts": 1}},
    }
    with pytest.raises(KerasMigrateError, match="cannot read the store"):
        convert_tree([f"s3://{bucket}/models"], f"s3://{bucket}/out", storage_options=dead, jobs=1)


def test_local_copy_streams_only_its_file(s3, small_tree, monkeypatch):
    """A worker downloads its one file, or its one SavedModel directory, into a private temporary
    directory removed afterwards; never a sibling, never the tree."""
    client, bucket, options = s3
    _upload(client, bucket, small_tree, "models")
    store = Store(f"s3://{bucket}/models", options)
    fs, _ = store.filesystem()
    fetched: list[str] = []
    real_get_file = fs.get_file
    monkeypatch.setattr(
        fs, "get_file", lambda remote, local, **kw: (fetched.append(remote), real_get_file(remote, local, **kw))
    )
    monkeypatch.setattr(fs, "get", lambda *a, **kw: pytest.fail("a bulk download"))

    with storage.local_copy(store, "h5/conv_bn.h5", is_dir=False) as path:
        assert path.read_bytes() == (small_tree / "h5" / "conv_bn.h5").read_bytes()
        assert [p.name for p in path.parent.iterdir()] == ["conv_bn.h5"]
    assert fetched == [f"{bucket}/models/h5/conv_bn.h5"]
    assert not path.exists() and not path.parent.exists()

    fetched.clear()
    with storage.local_copy(store, "savedmodel/sequential", is_dir=True) as path:
        local = {p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()}
        original = small_tree / "savedmodel" / "sequential"
        assert local == {p.relative_to(original).as_posix() for p in original.rglob("*") if p.is_file()}
        assert storage.content_hash(path) == storage.content_hash(original)
    assert sorted(fetched) == sorted(f"{bucket}/models/savedmodel/sequential/{rel}" for rel in local)
    assert not path.exists()


@pytest.fixture
def memory_fs():
    import fsspec

    fs = fsspec.filesystem("memory")
    yield fs
    if fs.exists("/km-test"):
        fs.rm("/km-test", recursive=True)


def _memory_upload(fs, root: Path, prefix: str) -> None:
    for path in sorted(root.rglob("*")):
        if path.is_file():
            fs.pipe_file(f"/km-test/{prefix}/{path.relative_to(root).as_posix()}", path.read_bytes())


def test_memory_urls_with_local_workers(memory_fs, small_tree, local_result, tmp_path):
    """memory:// is this process's memory: each file is copied to its worker and the output back;
    the same results and the same bytes as a local run, reruns reuse, the tree is untouched."""
    fs = memory_fs
    _memory_upload(fs, small_tree, "models")
    shutil.copyfile(SAMPLES / "keras2.3/weights_only.arch.json", small_tree / "h5/weights_only.arch.json")
    fs.pipe_file("/km-test/models/h5/weights_only.arch.json", (small_tree / "h5/weights_only.arch.json").read_bytes())
    before = {path: fs.cat_file(path) for path in fs.find("/km-test/models")}
    expected = dict(_expected(small_tree))
    expected["h5/weights_only.h5"] = (CONVERTED, "h5/weights_only.keras")  # joined with the JSON beside it
    expected["h5/weights_only.arch.json"] = (SKIPPED, None)
    _, local_out = local_result

    result = convert_tree(["memory://km-test/models"], "memory://km-test/out", jobs=2)
    assert {r.path: (r.status, r.output) for r in result.records} == expected
    assert {r.path: r.input for r in result.records}["h5/conv_bn.h5"] == "memory://km-test/models/h5/conv_bn.h5"
    joined = next(r for r in result.records if r.path == "h5/weights_only.h5")
    assert joined.joined_with == "weights_only.arch.json"
    for rec in result.records:
        if rec.output and rec.path != "h5/weights_only.h5":
            assert fs.cat_file(f"/km-test/out/{rec.output}") == (local_out / rec.output).read_bytes(), rec.output
    assert fs.isfile("/km-test/out/report.json") and fs.isfile("/km-test/out/report.html")
    assert fs.isfile("/km-test/out/.kerasmigrate/ledger.sqlite")
    assert {path: fs.cat_file(path) for path in fs.find("/km-test/models")} == before  # inputs untouched

    again = convert_tree(["memory://km-test/models"], "memory://km-test/out", jobs=2)
    assert again.summary.reused == MODELS

    # memory in, local out; local in, memory out; check
    local = convert_tree(["memory://km-test/models"], str(tmp_path / "from-memory"), jobs=1)
    assert {r.path: (r.status, r.output) for r in local.records} == expected
    assert (tmp_path / "from-memory/h5/conv_bn.keras").read_bytes() == (local_out / "h5/conv_bn.keras").read_bytes()
    to_memory = convert_tree([str(small_tree)], "memory://km-test/out2", jobs=1)
    assert {r.path: (r.status, r.output) for r in to_memory.records} == expected
    checked = check_tree(["memory://km-test/models"], jobs=1)
    assert {r.path: r.status for r in checked.records}["h5/conv_bn.h5"] == "needs-convert"


def test_a_file_in_a_memory_outdir_that_no_run_wrote_is_kept(memory_fs, small_tree):
    fs = memory_fs
    fs.pipe_file("/km-test/out/h5/conv_bn.keras", b"the user's own file")
    result = convert_tree([str(small_tree)], "memory://km-test/out", jobs=1)
    rec = next(r for r in result.records if r.path == "h5/conv_bn.h5")
    assert rec.status == "failed" and "no earlier run" in rec.reason
    assert fs.cat_file("/km-test/out/h5/conv_bn.keras") == b"the user's own file"
    forced = convert_tree([str(small_tree)], "memory://km-test/out", jobs=1, force=True)
    assert next(r for r in forced.records if r.path == "h5/conv_bn.h5").status == CONVERTED
    assert fs.cat_file("/km-test/out/h5/conv_bn.keras").startswith(b"PK")


def test_memory_urls_are_refused_on_dask(memory_fs, small_tree):
    """A Dask worker is another process, maybe another machine: it cannot see this memory."""
    with pytest.raises(KerasMigrateError, match="Dask workers cannot see"):
        convert_tree([str(small_tree)], "memory://km-test/out", executor="dask", scheduler="tcp://127.0.0.1:9")
    with pytest.raises(KerasMigrateError, match="Dask workers cannot see"):
        check_tree(["simplecache::memory://km-test/models"], executor="dask", scheduler="tcp://127.0.0.1:9")


def test_env_credentials_reach_the_workers(s3, small_tree, local_result):
    """Without key/secret in storage_options the workers sign with the environment's credentials."""
    client, bucket, options = s3
    _upload(client, bucket, small_tree, "models")
    only_endpoint = {"endpoint_url": options["endpoint_url"]}
    result = convert_tree([f"s3://{bucket}/models"], f"s3://{bucket}/out", storage_options=only_endpoint, jobs=2)
    _check_outputs(client, bucket, "out", result, local_result[1])
    assert os.environ["AWS_ACCESS_KEY_ID"] == KEY


def test_models_named_on_their_own(s3, small_tree, local_result):
    """A remote file and a remote SavedModel directory given by themselves: each read from its
    directory (only its own bytes) and written at the top of OUTDIR."""
    client, bucket, options = s3
    _upload(client, bucket, small_tree, "models")
    inputs = [f"s3://{bucket}/models/h5/conv_bn.h5", f"s3://{bucket}/models/savedmodel/sequential"]
    result = convert_tree(inputs, f"s3://{bucket}/single", storage_options=options, jobs=2)
    assert [(r.path, r.status, r.output) for r in result.records] == [
        ("conv_bn.h5", CONVERTED, "conv_bn.keras"),
        ("sequential", CONVERTED, "sequential.keras"),
    ]
    objects = _objects(client, bucket, "single")
    for name, original in [("conv_bn.keras", "h5/conv_bn.keras"), ("sequential.keras", "savedmodel/sequential.keras")]:
        assert name in objects, sorted(objects)
        assert _keras_parts(_get(client, bucket, f"single/{name}")) == _keras_parts(
            (local_result[1] / original).read_bytes()
        )
