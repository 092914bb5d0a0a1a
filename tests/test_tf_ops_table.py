"""Every Keras 3 op kerasmigrate/core/tf_ops.py names exists and takes the arguments written for it."""

import importlib
import inspect

import pytest

from kerasmigrate.core.tf_ops import TF_OPS

pytestmark = pytest.mark.keras


@pytest.mark.parametrize("symbol", sorted(TF_OPS))
def test_op_class_and_arguments(symbol):
    spec = TF_OPS[symbol]
    cls = getattr(importlib.import_module(spec.module), spec.class_name)
    init = set(inspect.signature(cls.__init__).parameters) - {"self"}
    assert {op_arg for op_arg, _ in spec.attributes.values()} <= init
    call = [p for p in inspect.signature(cls.call).parameters if p != "self"]
    assert len(call) >= 1 + len(spec.operands)


def test_graph_op_classes_exist():
    from kerasmigrate.core.tf_ops import NODE_BINARY, NODE_REDUCTIONS, NODE_UNARY, NUMPY

    classes = (
        list(NODE_UNARY.values())
        + [(NUMPY, c) for c in NODE_BINARY.values()]
        + [(NUMPY, c) for c in NODE_REDUCTIONS.values()]
    )
    for module, name in classes:
        assert hasattr(importlib.import_module(module), name), (module, name)
