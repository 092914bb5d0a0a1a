from kerasmigrate.passes.upgrade.gru_reset_after import gru_reset_after as run

from .helpers import check_pass


def test_missing_means_false():
    before = {"class_name": "GRU", "config": {"name": "g", "units": 3}}
    after = {"class_name": "GRU", "config": {"name": "g", "units": 3, "reset_after": False}}
    check_pass(run, before, after, noops=[{"class_name": "GRU", "config": {"name": "g", "reset_after": True}}])
