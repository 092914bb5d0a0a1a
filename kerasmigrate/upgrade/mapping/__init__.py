"""A user's mapping: what the custom classes, custom functions and Lambda layers of a file become.

    custom_module = "my_layers.py"        # or a package name; --custom-module overrides

    [classes.ScaleLayer]                  # old class name, "Package>Name" or "module.ClassName"
    target = "ScaleLayer"                 # a class of the custom module (or "package.module.Class")
    rename_args = { offset = "shift" }    # optional
    drop_args = ["legacy_flag"]           # optional
    weights = { scale = "multiplier" }    # optional: stored name -> Keras 3 variable name,
                                          # or a list: the Keras 3 variables in stored order

    [functions.scaled_tanh]               # an activation, loss or metric the file names
    target = "KmSamples>scaled_tanh"      # a registered function, or a built-in activation

    [lambdas.double]                      # a Lambda layer, by layer name
    layer = "Rescaling"                   # a built-in Keras 3 layer ...
    config = { scale = 2.0, offset = 0.0 }
    [lambdas.take_1_to_4]
    function = "KmSamples>take_1_to_4"    # ... or a registered function (a Keras 3 Lambda calls it)
    output_shape = [3]                    # optional, without the batch dimension

Loading and applying a mapping import neither TensorFlow nor Keras: the output
names its classes and functions by registered name, so it loads with safe mode
on once the user's module is imported. Checking the targets (do they exist,
which variables do they build) imports the user's module, and with it Keras:
kerasmigrate/upgrade/custom_module.py. Errors name the mapping file and line.

    names.py              how a config entry names its class and functions
    schema.py             mapping.toml -> Mapping (a dataclass per section, checked as it is read)
    apply.py              a Mapping applied to a converted config
    compile_functions.py  the losses and metrics of the training configuration
    needs.py, skeleton.py what a file needs a mapping for; `map init`
"""

from kerasmigrate.upgrade.mapping.apply import (
    MappingReport,
    ResolvedClass,
    UserClass,
    apply,
    class_rule_for,
    rewrite_class,
    rewrite_lambda,
)
from kerasmigrate.upgrade.mapping.compile_functions import UnknownFunction, map_compile_functions
from kerasmigrate.upgrade.mapping.names import (
    ACTIVATION_KEYS,
    BASE_CONFIG_KEYS,
    REGISTERED,
    class_key_candidates,
    function_name,
    is_known_function,
    is_stored_lambda,
    is_unknown_class,
    registered_function,
)
from kerasmigrate.upgrade.mapping.needs import needs
from kerasmigrate.upgrade.mapping.schema import ClassRule, FunctionRule, LambdaRule, Mapping, load, loads
from kerasmigrate.upgrade.mapping.skeleton import skeleton, toml_key, write_skeleton

__all__ = [
    "ACTIVATION_KEYS",
    "BASE_CONFIG_KEYS",
    "REGISTERED",
    "ClassRule",
    "FunctionRule",
    "LambdaRule",
    "Mapping",
    "MappingReport",
    "ResolvedClass",
    "UnknownFunction",
    "UserClass",
    "apply",
    "class_key_candidates",
    "class_rule_for",
    "function_name",
    "is_known_function",
    "is_stored_lambda",
    "is_unknown_class",
    "load",
    "loads",
    "map_compile_functions",
    "needs",
    "registered_function",
    "rewrite_class",
    "rewrite_lambda",
    "skeleton",
    "toml_key",
    "write_skeleton",
]
