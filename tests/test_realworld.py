"""Real files people committed to public repositories (../shared/realworld, not part of this repo).

Properties checked on every full model there, without naming any file:
* a file either converts, or is refused with a clear KerasMigrateError;
* every file that converts and has reference outputs matches them (1e-5):
  a wrong model must never get through;
* every file with a Lambda layer is refused with the Lambda layers named,
  and nothing of the stored bytecode is run.
"""

import csv

import pytest

from kerasmigrate import api
from kerasmigrate.errors import KerasMigrateError
from kerasmigrate.verify import verify

from .conftest import REALWORLD

pytestmark = [pytest.mark.keras,
              pytest.mark.skipif(not (REALWORLD / "manifest.tsv").exists(),
                                 reason="../shared/realworld is not beside the checkout")]
ATOL = 1e-5


def _full_models():
    if not (REALWORLD / "manifest.tsv").exists():
        return []
    with open(REALWORLD / "manifest.tsv", newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t") if r["kind"] == "full"]
    return [pytest.param(r, id=r["id"]) for r in rows]


@pytest.fixture(scope="module")
def outcomes():
    return {}


@pytest.mark.parametrize("row", _full_models())
def test_converts_and_matches_or_is_refused_clearly(row, tmp_path, outcomes):
    source = REALWORLD / "files" / f"{row['id']}.h5"
    target = tmp_path / "out.keras"
    try:
        api.convert(source, target)
    except KerasMigrateError as exc:
        assert str(source) in str(exc) and exc.message
        assert not target.exists()
        outcomes[row["id"]] = "refused"
        if row["lambda"] == "y":
            assert "Lambda" in exc.message and "never executes" in exc.message
        return
    assert row["lambda"] != "y", "a model with a Lambda layer must not convert without a mapping"
    if row["ref_status"] != "ok":
        outcomes[row["id"]] = "converted"
        return
    report = verify(source, target, refs=REALWORLD / "refs" / f"{row['id']}.npz", atol=ATOL)
    assert report.ok, report.to_dict()
    outcomes[row["id"]] = "verified"


def test_most_referenced_models_verify(outcomes):
    """A floor, so that a regression that refuses what used to convert is noticed."""
    if not outcomes:
        pytest.skip("no real-world files ran")
    verified = sum(1 for v in outcomes.values() if v == "verified")
    assert verified >= 23, outcomes  # 21 + the two Keras 1 files (Theano-era TF conv, per-gate LSTM)
