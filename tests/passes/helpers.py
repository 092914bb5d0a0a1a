"""Checks every pass test makes: the rewrite, the no-ops, purity and idempotence."""

import copy

from kerasmigrate.passes.registry import Source

SOURCE = Source("2.4.0", "tensorflow")


def call(func, entry, source=SOURCE):
    if func.km_pass.kind == "model":
        return func(entry, source)
    return func(entry)


def check_pass(func, before, after, noops=(), source=SOURCE):
    frozen = copy.deepcopy(before)
    assert call(func, before, source) == after
    assert before == frozen, "a pass must not mutate its input"
    assert call(func, after, source) == after, "a pass must be idempotent"
    for entry in noops:
        assert call(func, entry, source) is entry, "nothing to do must return the input itself"
