"""Untrusted input: checks between reading a file and rewriting it, used by every direction.

A model file is data from anywhere. The passes, the layout and the writer read its config and
weights as a well-formed legacy model; this package checks that they are one, and refuses, naming
the layer and the field, what is not. One module per job, each a table of small checks:

* `limits`: the stated bounds (README "Untrusted files").
* `kinds`: one predicate per kind of field value (an integer that is not a bool, a size, a flag...)
  and the one iterative walk of nested JSON.
* `fields`: the rule of each layer config field the passes read.
* `config`: `check_model_config`, one walk over the layers as core/configs.py walks them;
  `check_layer_names`.
* `graph`: functional models' references (layer names, node indices) and no cycle.
* `training`: `check_training_config`, the compile settings.
* `storage`: `resolve_hard`, `check_dataset`, `check_h5_tree`: HDF5 links and storage.
* `archive`: `check_zip_members`, the members of a `.keras` zip.
* `references`: `check_references` (`check_modules`), every module, class, function and registered name a config
  names resolves to Keras or to what the user named (`UserNames`); CVE-2025-1550.
* `shapes`: `expected_shape`, `shape_problem`, `check_plan`: weights against their layer's config.

Keras 3's own loader makes the same refusals for `.keras` files
(keras/src/saving/saving_lib.py `safe_get_h5_group`/`safe_get_h5_dataset`:
external and soft links, external and virtual datasets, shape bombs).
"""

from kerasmigrate.core.validate.archive import check_zip_members
from kerasmigrate.core.validate.config import check_json_value, check_layer_names, check_model_config
from kerasmigrate.core.validate.limits import (
    MAX_COMPRESSION_RATIO,
    MAX_CONFIG_BYTES,
    MAX_DATASET_BYTES,
    MAX_JSON_DEPTH,
    MAX_LAYERS,
    MAX_MODEL_DEPTH,
    MAX_NAME_LENGTH,
    MAX_TOTAL_WEIGHT_BYTES,
    MAX_ZIP_MEMBER_BYTES,
    MAX_ZIP_MEMBERS,
    MAX_ZIP_RATIO,
)
from kerasmigrate.core.validate.references import (
    NO_USER_NAMES,
    UserNames,
    check_legacy_modules,
    check_modules,
    check_references,
)
from kerasmigrate.core.validate.shapes import check_plan, expected_shape, shape_problem
from kerasmigrate.core.validate.storage import check_dataset, check_h5_tree, resolve_hard
from kerasmigrate.core.validate.training import check_training_config

__all__ = [
    "MAX_COMPRESSION_RATIO",
    "MAX_CONFIG_BYTES",
    "MAX_DATASET_BYTES",
    "MAX_JSON_DEPTH",
    "MAX_LAYERS",
    "MAX_MODEL_DEPTH",
    "MAX_NAME_LENGTH",
    "MAX_TOTAL_WEIGHT_BYTES",
    "MAX_ZIP_MEMBERS",
    "MAX_ZIP_MEMBER_BYTES",
    "MAX_ZIP_RATIO",
    "NO_USER_NAMES",
    "UserNames",
    "check_dataset",
    "check_h5_tree",
    "check_json_value",
    "check_layer_names",
    "check_legacy_modules",
    "check_modules",
    "check_model_config",
    "check_plan",
    "check_references",
    "check_training_config",
    "check_zip_members",
    "expected_shape",
    "resolve_hard",
    "shape_problem",
]
