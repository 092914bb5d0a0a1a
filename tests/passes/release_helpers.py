"""Checks every Keras 3 release pass test makes: the rewrite, the no-ops, purity and idempotence."""

import copy

from kerasmigrate.keras3_targets import Release
from kerasmigrate.passes.keras3_releases import Rewritten


def call(func, entry, version, context="top"):
    kwargs = {"context": context} if func.km_pass.context else {}
    result = func(entry, Release(version), "m/layer", **kwargs)
    return result.entry if isinstance(result, Rewritten) else result


def check_release_pass(func, before, after, version, noops=(), context="top"):
    frozen = copy.deepcopy(before)
    assert call(func, before, version, context) == after
    assert before == frozen, "a pass must not mutate its input"
    assert call(func, after, version, context) is after, "a pass must be idempotent"
    for entry in noops:
        assert call(func, entry, version, context) is entry, "nothing to do must return the input itself"
