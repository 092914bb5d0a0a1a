"""Checks every target pass test makes: the rewrite, the no-ops, purity and idempotence."""

import copy

from kerasmigrate.keras3_targets import Release
from kerasmigrate.passes.target_registry import Rewritten


def call(func, entry, version):
    result = func(entry, Release(version), "m/layer")
    return result.entry if isinstance(result, Rewritten) else result


def check_target_pass(func, before, after, version, noops=()):
    frozen = copy.deepcopy(before)
    assert call(func, before, version) == after
    assert before == frozen, "a pass must not mutate its input"
    assert call(func, after, version) is after, "a pass must be idempotent"
    for entry in noops:
        assert call(func, entry, version) is entry, "nothing to do must return the input itself"
