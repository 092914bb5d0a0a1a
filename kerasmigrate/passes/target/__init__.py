"""The target pass table: rewrites that make a Keras 3 config load in an older Keras 3 release.

Run by kerasmigrate.keras3_targets for one release at a time, in this order.
"""

from kerasmigrate.passes.target.concatenate_masks import concatenate_masks
from kerasmigrate.passes.target.dtype_policy_form import dtype_policy_form
from kerasmigrate.passes.target.functional_io_lists import functional_io_lists
from kerasmigrate.passes.target.layer_arguments import layer_arguments
from kerasmigrate.passes.target.object_arguments import object_arguments
from kerasmigrate.passes.target.object_class_names import object_class_names
from kerasmigrate.passes.target.op_arguments import op_arguments
from kerasmigrate.passes.target.optimizer_arguments import optimizer_arguments
from kerasmigrate.passes.target.softmax_axis import softmax_axis

TARGET = (
    layer_arguments,
    object_arguments,
    object_class_names,
    op_arguments,
    dtype_policy_form,
    functional_io_lists,
    optimizer_arguments,
    concatenate_masks,
    softmax_axis,
)
