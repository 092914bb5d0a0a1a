"""The user's classes in a conversion: the mapping applied to the converted config, the custom
module's classes measured on the model Keras 3 builds from it.

Imports the custom module (and with it Keras) only when one is named (`--custom-module` or
`custom_module` in the mapping); without a mapping and a module, only the Lambda layers are
translated (upgrade/lambda_layers.py).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from kerasmigrate.core.configs import iter_layers
from kerasmigrate.core.fix_commands import map_init_command
from kerasmigrate.core.graph import keras3_model_layers
from kerasmigrate.core.keras3 import ClassSpec, to_snake_case
from kerasmigrate.core.keras3 import user_classes as keras3_user_classes
from kerasmigrate.core.layout import (
    INFERENCE_ONLY_KEY,
    INSERTED_PERMUTE_KEY,
    IO_AXES_KEY,
    LAYOUT_KEY,
    ORDER_KEY,
    ROWS_CHANNELS_FIRST_KEY,
    SCALE_KEY,
    STORED_CHANNELS_FIRST_KEY,
)
from kerasmigrate.core.source import LegacyModel
from kerasmigrate.core.validate import NO_USER_NAMES, UserNames
from kerasmigrate.errors import MappingError, UnsupportedError
from kerasmigrate.lambdas.values import Writer
from kerasmigrate.upgrade import mapping as user_mapping
from kerasmigrate.upgrade.lambda_layers import LambdaOutcome, translate_lambdas

if TYPE_CHECKING:
    from kerasmigrate.upgrade.custom_module import CustomModule

BOOKKEEPING_KEYS = {
    "_legacy_name",
    LAYOUT_KEY,
    ORDER_KEY,
    SCALE_KEY,
    INFERENCE_ONLY_KEY,
    ROWS_CHANNELS_FIRST_KEY,
    INSERTED_PERMUTE_KEY,
    STORED_CHANNELS_FIRST_KEY,
    IO_AXES_KEY,
}


def without_bookkeeping(value):
    """The config as written: without the bookkeeping keys passes and mappings leave."""
    if isinstance(value, dict):
        return {k: without_bookkeeping(v) for k, v in value.items() if k not in BOOKKEEPING_KEYS}
    if isinstance(value, list):
        return [without_bookkeeping(v) for v in value]
    return value


@dataclass
class MappedClasses:
    """What the mapping and the custom module did to one conversion's config."""

    specs: dict[str, ClassSpec] = field(default_factory=dict)  # the user's classes, as the table knows them
    report: user_mapping.MappingReport = field(default_factory=user_mapping.MappingReport)
    mapping: user_mapping.Mapping | None = None
    module: CustomModule | None = None
    lambdas: LambdaOutcome = field(default_factory=LambdaOutcome)  # what the Lambdas became, or why not

    def user_names(self) -> UserNames:
        """The modules and registered names the mapping and the custom module name: the module
        itself (not where its classes were imported from), modules a class target names by its
        dotted path, the registered names of the user's classes and the functions the mapping names."""
        modules = {self.module.module.__name__} if self.module is not None else set()
        registered = {spec.registered_name for spec in self.specs.values() if spec.registered_name}
        registered.update(self.module.registered_names() if self.module is not None else ())
        registered.update(self.report.checked_functions)
        if self.mapping is not None:
            for rule in self.mapping.classes.values():
                if "." in rule.target or ":" in rule.target:
                    modules.add(rule.target.replace(":", ".").rpartition(".")[0])
            registered.update(rule.target for rule in self.mapping.functions.values())
            registered.update(rule.function for rule in self.mapping.lambdas.values() if rule.function)
        return UserNames(frozenset(modules), frozenset(registered))

    def source_names(self, source_config: dict) -> UserNames:
        """`user_names`, and the modules the legacy file records for the classes a rule of the
        mapping matches: the user's old code, which the rule replaces."""
        names = self.user_names()
        recorded = {
            entry["module"]
            for _, entry in iter_layers(source_config)
            if isinstance(entry.get("module"), str) and user_mapping.class_rule_for(self.mapping, entry) is not None
        }
        return dataclasses.replace(names, modules=names.modules | recorded)


def user_names_of(mapping: str | Path | user_mapping.Mapping | None, custom_module: str | None) -> UserNames:
    """What the mapping and the custom module name, without a config to apply them to: for the
    `.keras` archives they vouch for, whose config is copied or retargeted, not mapped."""
    if mapping is None and custom_module is None:
        return NO_USER_NAMES
    if mapping is not None and not isinstance(mapping, user_mapping.Mapping):
        mapping = user_mapping.load(mapping)
    return MappedClasses(mapping=mapping, module=_custom_module(mapping, custom_module)).user_names()


def map_user_classes(
    input_path: Path,
    config: dict,
    mapping: str | Path | user_mapping.Mapping | None,
    custom_module: str | None,
    source: LegacyModel | None = None,
) -> MappedClasses:
    """Apply the mapping (and the custom module's registrations) to the converted config, in
    place; then translate the Lambda layers no rule mapped (upgrade/lambda_layers.py; the
    `source` file's keras_version and backend tell what their code ran on), before the user classes' specs
    are measured on the model Keras 3 builds from it."""
    writer = Writer(source.keras_version, source.backend) if source is not None else Writer()
    if mapping is None and custom_module is None:
        return MappedClasses(lambdas=translate_lambdas(input_path, config, writer))
    if mapping is not None and not isinstance(mapping, user_mapping.Mapping):
        mapping = user_mapping.load(mapping)
    module = _custom_module(mapping, custom_module)
    classes, report = user_mapping.apply(config, mapping, module)
    translated = translate_lambdas(input_path, config, writer)
    specs = _class_specs(classes)
    if classes:
        _measure(input_path, config, mapping, module, classes, report, specs)
    return MappedClasses(specs, report, mapping, module, translated)


def _custom_module(mapping: user_mapping.Mapping | None, custom_module: str | None) -> CustomModule | None:
    """The module `--custom-module` names, else the mapping's; None when neither names one."""
    if custom_module is not None:
        reference, where, line = custom_module, "--custom-module", None
    elif mapping is not None and mapping.custom_module:
        reference, where, line = mapping.module_reference(), str(mapping.path), mapping.custom_module_line
    else:
        return None
    from kerasmigrate.upgrade.custom_module import CustomModule  # imports Keras

    return CustomModule(reference, where, line)


def _class_specs(classes: dict) -> dict[str, ClassSpec]:
    """The table's view of each user class, before its weights are measured."""
    specs: dict[str, ClassSpec] = {}
    for name, user in classes.items():
        rule = user.rule
        aliases = tuple(rule.weights.items()) if rule and isinstance(rule.weights, dict) else ()
        args = frozenset(k for _, e in user.entries for k in e["config"])
        specs[name] = ClassSpec(
            name,
            user.resolved.module,
            to_snake_case(name),
            args,
            (),
            registered_name=user.resolved.registered_name,
            variable_aliases=aliases,
        )
    return specs


def _measure(input_path, config, mapping, module, classes, report, specs) -> None:
    """Measure what the user's classes build, on the model Keras 3 builds from this config: each
    entry gets its weight layout, each spec its masking; then the layer order is compared."""
    with keras3_user_classes(specs):
        model = _built_model(input_path, config, mapping, module, report)
        for name, user in classes.items():
            masking = None
            for chain, entry in user.entries:
                if chain is None:
                    raise UnsupportedError(
                        input_path,
                        f"{name} is wrapped in another layer; mapped classes are converted at model level only",
                    )
                layout, masking = module.measure(model, list(chain))
                entry[LAYOUT_KEY] = layout
                _check_weight_rule(user.rule, mapping, chain, layout, entry)
            specs[name] = dataclasses.replace(specs[name], **masking)
    with keras3_user_classes(specs):
        _check_layer_order(input_path, without_bookkeeping(config), model)


def _built_model(input_path, config, mapping, module, report):
    """The model Keras 3 builds from the config; a failure names the classes matched by name only."""
    label = f"{input_path} (with {mapping.path if mapping and mapping.path else module.where})"
    try:
        return module.build(without_bookkeeping(config), label)
    except MappingError as exc:
        by_name = sorted({v.split(" ->")[0] for v in report.classes.values() if "matched by name" in v})
        if not by_name:
            raise
        raise exc.extended(
            f"; {', '.join(by_name)} matched the module's class of the same name without a rule: "
            f"if its arguments or weights differ, write one ({map_init_command(str(input_path))})"
        ) from exc


def _check_layer_order(input_path: Path, entry: dict, keras_model) -> None:
    """Weights are written at paths that follow Keras 3's layer order; with the user's classes
    in the graph, compare that order with the model Keras 3 built."""
    ours = [layer["config"]["name"] for layer in keras3_model_layers(entry)]
    theirs = [layer.name for layer in keras_model.layers]
    if ours != theirs:
        raise UnsupportedError(
            input_path,
            f"Keras 3 orders the layers of {entry['config'].get('name')!r} "
            f"as {theirs}, kerasmigrate computed {ours}; the weights "
            "would be misplaced",
        )
    for layer in keras3_model_layers(entry):
        if layer["class_name"] in ("Functional", "Sequential"):
            _check_layer_order(input_path, layer, keras_model.get_layer(layer["config"]["name"]))


def _check_weight_rule(rule, mapping, chain, layout, entry) -> None:
    if rule is None or rule.weights is None:
        return
    built = [var for _, variables, _ in layout for var, _ in variables]
    if isinstance(rule.weights, list):
        if list(rule.weights) != built:
            raise mapping.error(
                f"[classes.{rule.key}] weights lists {rule.weights}, but the Keras 3 "
                f"class builds {built} for layer {'/'.join(chain)}",
                rule.line,
            )
        entry[ORDER_KEY] = True
    else:
        missing = sorted(set(rule.weights.values()) - set(built))
        if missing:
            raise mapping.error(
                f"[classes.{rule.key}] weights maps to {', '.join(missing)}, which the "
                f"Keras 3 class does not build (it builds {', '.join(built) or 'none'})",
                rule.line,
            )
