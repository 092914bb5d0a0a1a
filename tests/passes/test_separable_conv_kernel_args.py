from kerasmigrate.passes.upgrade.separable_conv_kernel_args import separable_conv_kernel_args as run

from .helpers import check_pass


def test_unused_kernel_arguments_dropped():
    init = {"class_name": "GlorotUniform", "config": {"seed": None}}
    before = {
        "class_name": "SeparableConv2D",
        "config": {
            "name": "s",
            "kernel_initializer": init,
            "kernel_regularizer": None,
            "kernel_constraint": None,
            "depthwise_initializer": init,
            "pointwise_initializer": init,
        },
    }
    after = {
        "class_name": "SeparableConv2D",
        "config": {"name": "s", "depthwise_initializer": init, "pointwise_initializer": init},
    }
    check_pass(run, before, after)
