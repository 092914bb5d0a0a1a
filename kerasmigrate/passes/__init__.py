"""The ordered pass tables. Each pass module says what it changes, its version boundary and source.

Order matters where noted: Keras 1 rewrites come first (a Sequential holding a
Merge of branches becomes a functional model before Sequential configs are
normalised; Keras 1 argument names before the passes that read Keras 2
names); class renames come before passes keyed on class names; Sequential normalisation before InputLayer rewrites; node rewriting
after every class rename (it asks which layers are nested models).
"""

from __future__ import annotations

from kerasmigrate.passes.channels_last.io_layouts import io_layouts
from kerasmigrate.passes.channels_last.rewrite_layouts import rewrite_layouts
from kerasmigrate.passes.downgrade.attention_score_mode import attention_score_mode
from kerasmigrate.passes.downgrade.batch_norm_axis import batch_norm_axis as downgrade_batch_norm_axis
from kerasmigrate.passes.downgrade.conv_groups import conv_groups as downgrade_conv_groups
from kerasmigrate.passes.downgrade.functional_to_model import functional_to_model
from kerasmigrate.passes.downgrade.global_pooling_keepdims import global_pooling_keepdims
from kerasmigrate.passes.downgrade.initializer_variance_scaling import initializer_variance_scaling
from kerasmigrate.passes.downgrade.input_layer_optional import input_layer_optional
from kerasmigrate.passes.downgrade.input_layer_ragged import input_layer_ragged
from kerasmigrate.passes.downgrade.noise_seed import noise_seed
from kerasmigrate.passes.downgrade.optimizer_config import optimizer_config
from kerasmigrate.passes.downgrade.optimizer_weights import optimizer_weights
from kerasmigrate.passes.downgrade.regularizer_l1l2 import regularizer_l1l2
from kerasmigrate.passes.downgrade.rnn_time_major import rnn_time_major as downgrade_rnn_time_major
from kerasmigrate.passes.downgrade.training_metric_wrappers import training_metric_wrappers
from kerasmigrate.passes.downgrade.training_sample_weight_mode import training_sample_weight_mode
from kerasmigrate.passes.upgrade.application_layers import application_layers
from kerasmigrate.passes.upgrade.attention_shapes import attention_shapes
from kerasmigrate.passes.upgrade.augmentation_rng_type import augmentation_rng_type
from kerasmigrate.passes.upgrade.batch_norm_axis import batch_norm_axis
from kerasmigrate.passes.upgrade.bidirectional_backward_layer import bidirectional_backward_layer
from kerasmigrate.passes.upgrade.category_encoding_arguments import category_encoding_arguments
from kerasmigrate.passes.upgrade.class_aliases import class_aliases
from kerasmigrate.passes.upgrade.conv_groups import conv_groups
from kerasmigrate.passes.upgrade.cudnn_rnn import cudnn_rnn
from kerasmigrate.passes.upgrade.dense_features import dense_features
from kerasmigrate.passes.upgrade.drop_batch_input_shape import drop_batch_input_shape
from kerasmigrate.passes.upgrade.dtype_policy import dtype_policy
from kerasmigrate.passes.upgrade.embedding_input_length import embedding_input_length
from kerasmigrate.passes.upgrade.functional_nodes import functional_nodes
from kerasmigrate.passes.upgrade.gru_reset_after import gru_reset_after
from kerasmigrate.passes.upgrade.hard_sigmoid_fold import hard_sigmoid_fold
from kerasmigrate.passes.upgrade.hard_sigmoid_keras2 import hard_sigmoid_keras2
from kerasmigrate.passes.upgrade.hard_sigmoid_layers import hard_sigmoid_layers
from kerasmigrate.passes.upgrade.input_layer_batch_shape import input_layer_batch_shape
from kerasmigrate.passes.upgrade.integral_floats import integral_floats
from kerasmigrate.passes.upgrade.keras1_arguments import keras1_arguments
from kerasmigrate.passes.upgrade.keras1_class_names import keras1_class_names
from kerasmigrate.passes.upgrade.keras1_dim_ordering import keras1_dim_ordering
from kerasmigrate.passes.upgrade.keras1_merge import keras1_merge
from kerasmigrate.passes.upgrade.keras1_objects import keras1_objects
from kerasmigrate.passes.upgrade.keras1_sequential_input import keras1_sequential_input
from kerasmigrate.passes.upgrade.keras1_sequential_merge import keras1_sequential_merge
from kerasmigrate.passes.upgrade.layer_modules import layer_modules
from kerasmigrate.passes.upgrade.leaky_relu_negative_slope import leaky_relu_negative_slope
from kerasmigrate.passes.upgrade.legacy_object_arguments import legacy_object_arguments
from kerasmigrate.passes.upgrade.lookup_vocabulary import lookup_vocabulary
from kerasmigrate.passes.upgrade.model_class_to_functional import model_class_to_functional
from kerasmigrate.passes.upgrade.random_crop_centre import random_crop_centre
from kerasmigrate.passes.upgrade.random_crop_resizing import random_crop_resizing
from kerasmigrate.passes.upgrade.random_height_width import random_height_width
from kerasmigrate.passes.upgrade.rescaling_offset import rescaling_offset
from kerasmigrate.passes.upgrade.rnn_implementation import rnn_implementation
from kerasmigrate.passes.upgrade.rnn_time_major import rnn_time_major
from kerasmigrate.passes.upgrade.separable_conv_kernel_args import separable_conv_kernel_args
from kerasmigrate.passes.upgrade.sequential_input_layer import sequential_input_layer
from kerasmigrate.passes.upgrade.sequential_layer_names import sequential_layer_names
from kerasmigrate.passes.upgrade.sequential_list_config import sequential_list_config
from kerasmigrate.passes.upgrade.serialized_objects import serialized_objects
from kerasmigrate.passes.upgrade.slash_layer_names import slash_layer_names
from kerasmigrate.passes.upgrade.spatial_dropout_noise_shape import spatial_dropout_noise_shape
from kerasmigrate.passes.upgrade.text_vectorization_input_rank import text_vectorization_input_rank
from kerasmigrate.passes.upgrade.tf_op_layers import tf_op_layers
from kerasmigrate.passes.upgrade.theano_same_padding import theano_same_padding
from kerasmigrate.passes.upgrade.weightless_trainable import weightless_trainable

UPGRADE = (  # applied in this order
    integral_floats,  # first: every pass reads sizes as integers
    keras1_sequential_merge,
    sequential_layer_names,
    keras1_sequential_input,
    sequential_list_config,
    model_class_to_functional,
    dense_features,  # before Sequential normalisation: the model becomes a Functional
    keras1_class_names,
    keras1_arguments,
    keras1_objects,
    keras1_dim_ordering,
    keras1_merge,
    theano_same_padding,
    cudnn_rnn,
    class_aliases,
    application_layers,
    sequential_input_layer,
    input_layer_batch_shape,
    drop_batch_input_shape,
    augmentation_rng_type,
    random_height_width,
    random_crop_centre,  # TF 2.2-2.6 writers, before the TF 2.7+ form
    random_crop_resizing,
    rescaling_offset,
    embedding_input_length,
    rnn_time_major,
    rnn_implementation,
    conv_groups,
    gru_reset_after,
    batch_norm_axis,
    hard_sigmoid_keras2,
    hard_sigmoid_fold,  # after hard_sigmoid_keras2: folds what it replaced, where weights allow
    hard_sigmoid_layers,  # and Activation layers: the same operations as built-in layers
    leaky_relu_negative_slope,
    separable_conv_kernel_args,
    spatial_dropout_noise_shape,
    weightless_trainable,
    attention_shapes,
    lookup_vocabulary,
    category_encoding_arguments,
    dtype_policy,
    legacy_object_arguments,
    serialized_objects,
    functional_nodes,
    text_vectorization_input_rank,
    tf_op_layers,
    slash_layer_names,
    bidirectional_backward_layer,  # after every pass that rewrites the wrapped layer: copies it
    layer_modules,
)

# `convert --channels-last`, after UPGRADE: channels_first models rewritten channels_last,
# inputs and outputs kept; with `--channels-last=io`, CHANNELS_LAST_IO after it.
CHANNELS_LAST = (rewrite_layouts,)
CHANNELS_LAST_IO = (io_layouts,)

# Repairs for old loaders (`kerasmigrate repair --target keras-2.3|tf-2.2|tf-2.4`), in this
# order; each pass says which loaders need it (kerasmigrate/passes/old_loaders.py).
DOWNGRADE = (
    functional_to_model,
    input_layer_ragged,
    input_layer_optional,
    initializer_variance_scaling,
    regularizer_l1l2,
    downgrade_conv_groups,
    downgrade_rnn_time_major,
    downgrade_batch_norm_axis,
    global_pooling_keepdims,
    noise_seed,
    attention_score_mode,
    training_sample_weight_mode,
    training_metric_wrappers,
    optimizer_config,
    optimizer_weights,
)
