"""One entry per input: `convert FILE` does for a `.keras` archive what a batch does for it, and
`check` says what that conversion would do (kerasmigrate/conversion.py)."""

from __future__ import annotations

import shlex
import shutil

import pytest
from click.testing import CliRunner

import kerasmigrate
from kerasmigrate import api
from kerasmigrate.cli import main

from ..conftest import SAMPLES

TF215_ARCHIVES = sorted((SAMPLES / "keras2_archives" / "tf2.15").glob("*.keras"))
# Legacy samples whose Keras 3 files (written by kerasmigrate) take each path of a Keras 3 archive:
KERAS3_SOURCES = {
    "mlp_sequential": SAMPLES / "tf2.15" / "mlp_sequential.h5",  # written for 3.3: copied
    "functional_in_sequential": SAMPLES / "tf2.15" / "functional_in_sequential.h5",  # 3.6: rewritten for 3.3
    "masked_merge_same_mask": SAMPLES / "tf2.15" / "masked_merge_same_mask.h5",  # refused for 3.3
}


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture(scope="module")
def archives(tmp_path_factory):
    """Every archive sample, and a Keras 3 archive of each KERAS3_SOURCES, in one tree."""
    tree = tmp_path_factory.mktemp("archives")
    for path in TF215_ARCHIVES:
        shutil.copyfile(path, tree / f"tf2.15_{path.name}")
    for name, source in KERAS3_SOURCES.items():
        api.convert(source, tree / f"keras3_{name}.keras")
    return tree


@pytest.fixture(scope="module", params=[None, "keras-3.3"], ids=["default", "keras-3.3"])
def batch_output(request, archives, tmp_path_factory):
    target = request.param
    out = tmp_path_factory.mktemp("batch")
    kerasmigrate.convert_tree([str(archives)], str(out), jobs=1, target=target)
    return target, out


def test_the_tree_holds_every_archive_sample(archives):
    assert len(TF215_ARCHIVES) >= 10
    assert all(api.sniff(path) == "zip" for path in archives.iterdir())


def test_convert_file_writes_what_the_batch_writes(archives, batch_output, tmp_path):
    target, batch_out = batch_output
    compared = 0
    for path in sorted(archives.iterdir()):
        single = tmp_path / path.name
        result = run("convert", path, "-o", single, *(["--target", target] if target else []))
        written_by_batch = batch_out / path.name
        assert result.exit_code == (0 if written_by_batch.exists() else 2), result.output
        if written_by_batch.exists():
            assert single.read_bytes() == written_by_batch.read_bytes(), path.name
            compared += 1
    # keras-3.3 refuses one Keras 3 archive (masked_merge_same_mask); the rest are compared
    assert compared == len(TF215_ARCHIVES) + len(KERAS3_SOURCES) - (1 if target else 0)


@pytest.mark.parametrize(
    "name, target, actions",
    [
        ("tf2.15_mlp_sequential.keras", None, ("repaired",)),
        ("keras3_mlp_sequential.keras", None, ("copied",)),
        ("keras3_mlp_sequential.keras", "keras-3.3", ("copied",)),
        ("keras3_functional_in_sequential.keras", "keras-3.3", ("retargeted",)),
    ],
)
def test_what_convert_did(archives, tmp_path, name, target, actions):
    result = api.convert(archives / name, tmp_path / "out.keras", target=target)
    assert result.actions == actions and result.kind == "zip" and result.report is None
    copied = (tmp_path / "out.keras").read_bytes() == (archives / name).read_bytes()
    assert copied == (actions == ("copied",))
    if target:
        assert api.resolve_release(target) in result.loads_in


def test_convert_file_says_what_it_did_to_an_archive(archives, tmp_path):
    result = run(
        "convert",
        archives / "keras3_functional_in_sequential.keras",
        "-o",
        tmp_path / "o.keras",
        "--target",
        "keras-3.3",
    )
    assert result.exit_code == 0, result.output
    lines = result.stderr.splitlines()
    assert lines[0].startswith("retargeted ") and "(written by Keras 3.6" in lines[0]
    assert lines[1].startswith("  loads in Keras 3.3")


def test_a_legacy_result_reads_as_its_report(tmp_path):
    result = api.convert(KERAS3_SOURCES["mlp_sequential"], tmp_path / "m.keras")
    assert result.actions == ("converted",) and result.kind == "hdf5"
    assert result.layers == result.report.layers and result.to_dict()["weights"] == result.report.weights
    with pytest.raises(AttributeError):
        result.no_such_field  # noqa: B018


def test_an_archive_is_not_written_over(archives, tmp_path):
    out = tmp_path / "out.keras"
    out.write_text("keep me")
    result = run("convert", archives / "keras3_mlp_sequential.keras", "-o", out)
    assert result.exit_code == 2 and "--force" in result.stderr and out.read_text() == "keep me"


@pytest.mark.parametrize(
    "name, target, loads, action",
    [
        ("tf2.15_mlp_sequential.keras", None, False, "repair"),
        ("keras3_mlp_sequential.keras", "keras-3.3", True, None),
        ("keras3_functional_in_sequential.keras", "keras-3.3", False, "retarget"),
        ("keras3_functional_in_sequential.keras", "keras-3.6", True, None),
    ],
)
def test_verdict_of_an_archive(archives, name, target, loads, action):
    verdict = api.verdict(archives / name, target)
    assert (verdict.loads, verdict.action, verdict.repairable, verdict.refusal) == (loads, action, True, None)
    assert verdict.release == api.resolve_release(target or api.keras3_releases()[-1])


def test_verdict_of_a_legacy_file_is_to_convert_it():
    verdict = api.verdict(KERAS3_SOURCES["mlp_sequential"], "keras-3.6")
    assert (verdict.loads, verdict.action, verdict.kind) == (False, "convert", "hdf5")
    assert "3.6.0" in verdict.loads_in and verdict.passes


def test_verdict_refuses_what_no_rewrite_makes_load(archives, tmp_path):
    path = archives / "keras3_masked_merge_same_mask.keras"
    verdict = api.verdict(path, "keras-3.3")
    assert (verdict.loads, verdict.action, verdict.repairable) == (False, "retarget", False)
    with pytest.raises(api.TargetError) as converting:
        api.convert(path, tmp_path / "out.keras", target="keras-3.3")
    assert str(verdict.refusal) == str(converting.value)
    assert "masked_merge_same_mask/join" in verdict.layers


def test_check_names_the_fix_for_each_kind(archives, tmp_path):
    """check's statuses and fix commands, and each fix parses as a kerasmigrate command."""
    legacy = tmp_path / "legacy.h5"
    shutil.copyfile(KERAS3_SOURCES["mlp_sequential"], legacy)
    paths = [legacy, archives / "tf2.15_mlp_sequential.keras", archives / "keras3_functional_in_sequential.keras"]
    result = kerasmigrate.check_tree([str(p) for p in paths], target="keras-3.3", jobs=1)
    records = {r.path: r for r in result.records}
    assert [records[p.name].status for p in paths] == ["needs-convert", "needs-repair", "needs-repair"]
    fixes = [records[p.name].fix for p in paths]
    assert fixes[0] == f"kerasmigrate convert {legacy} -o legacy.keras --target keras-3.3"
    assert " --target keras-3 -o " in fixes[1] and " --target keras-3.3 -o " in fixes[2]
    refused = kerasmigrate.check_tree([str(archives / "keras3_masked_merge_same_mask.keras")], target="keras-3.3")
    (record,) = refused.records
    assert (record.status, record.fix, record.writer) == ("refused", None, "Keras 3.12.4")
    assert (
        record.reason.startswith("cannot be written for Keras 3.3") and "masked_merge_same_mask/join" in record.layers
    )
    for fix in fixes:
        words = shlex.split(fix)
        assert words[0] == "kerasmigrate"
        main.make_context("kerasmigrate", words[1:])  # raises on an option the CLI does not have
