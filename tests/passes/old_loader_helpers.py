"""Checks every old-loader pass test makes: the rewrite, the no-ops, purity and idempotence."""

import copy

from kerasmigrate.downgrade.targets import get_target


def call(func, value, target_name):
    return func(value, get_target(target_name))


def check_old_loader_pass(func, target_name, before, after, noops=()):
    assert target_name in func.km_pass.loaders
    frozen = copy.deepcopy(before)
    assert call(func, before, target_name) == after
    assert before == frozen, "a pass must not mutate its input"
    assert call(func, after, target_name) == after, "a pass must be idempotent"
    for entry in noops:
        assert call(func, entry, target_name) is entry, "nothing to do must return the input itself"
