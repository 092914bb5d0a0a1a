"""Applying a mapping to a converted config: custom classes, Lambda layers and the functions
activation arguments name become what the rules (or the custom module's registrations) say."""

from __future__ import annotations

from dataclasses import dataclass, field

from kerasmigrate.core.configs import child_entries, is_model_entry, model_layers
from kerasmigrate.core.keras3 import TABLE
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
from kerasmigrate.upgrade.mapping.schema import ClassRule, LambdaRule, Mapping

ENTRY_NAMING_KEYS = ("module", "class_name", "config", "registered_name")


@dataclass
class ResolvedClass:
    """A class target as the user's module defines it (see custom_module.py)."""

    class_name: str
    module: str
    registered_name: str


@dataclass
class MappingReport:
    classes: dict[str, str] = field(default_factory=dict)  # layer path -> what it became
    lambdas: dict[str, str] = field(default_factory=dict)
    functions: dict[str, str] = field(default_factory=dict)
    unused_rules: list[str] = field(default_factory=list)
    checked_functions: list[str] = field(default_factory=list)  # registered, found in the module


@dataclass
class UserClass:
    resolved: ResolvedClass
    rule: ClassRule | None
    entries: list = field(default_factory=list)  # (name chain, entry) of the layers using it


def class_rule_for(mapping: Mapping | None, entry: dict) -> ClassRule | None:
    if mapping is None:
        return None
    for key in class_key_candidates(entry):
        if key in mapping.classes:
            return mapping.classes[key]
    return None


def rewrite_class(entry: dict, rule: ClassRule | None, target: ResolvedClass) -> dict:
    """A custom class entry as Keras 3 serializes the user's class (config args renamed/dropped)."""
    config = dict(entry["config"])
    if "name" not in config and isinstance(entry.get("name"), str):
        config["name"] = entry["name"]  # subclassed models without get_config store only this
    if rule is not None:
        for old, new in rule.rename_args.items():
            if old in config:
                config[new] = config.pop(old)
        for key in rule.drop_args:
            config.pop(key, None)
    rest = {k: v for k, v in entry.items() if k not in ENTRY_NAMING_KEYS}
    return {
        "module": target.module,
        "class_name": target.class_name,
        "config": config,
        "registered_name": target.registered_name,
        **rest,
    }


def rewrite_lambda(entry: dict, rule: LambdaRule) -> dict:
    """A Lambda entry as the built-in layer or the Keras 3 Lambda (registered function) it maps to."""
    old = entry["config"]
    base = {k: old[k] for k in BASE_CONFIG_KEYS if k in old}
    rest = {k: v for k, v in entry.items() if k not in ENTRY_NAMING_KEYS}
    if rule.layer is not None:
        cls = TABLE.aliases.get(rule.layer, rule.layer)
        return {
            "module": "keras.layers",
            "class_name": cls,
            "config": {**base, **rule.config},
            "registered_name": None,
            **rest,
        }
    config = {**base, "function": registered_function(rule.function), "arguments": dict(rule.arguments)}
    if rule.output_shape is not None:
        config["output_shape"] = list(rule.output_shape)
    return {"module": "keras.layers", "class_name": "Lambda", "config": config, "registered_name": None, **rest}


def _layer_entries(entry: dict, chain: tuple = ()):
    """(chain of layer names below the top model, entry) for every layer of models at any depth;
    wrapped layers (TimeDistributed's layer…) get the wrapper's chain and None."""
    for layer in model_layers(entry):
        cfg = layer.get("config") if isinstance(layer.get("config"), dict) else {}
        here = chain + (cfg.get("name") or layer.get("name"),)
        yield here, layer
        if is_model_entry(layer):
            yield from _layer_entries(layer, here)
        for _, _, child in child_entries(layer):
            yield None, child


def _replace(entry: dict, new: dict) -> None:
    """Rewrite `entry` in place: the config it belongs to keeps the same object."""
    entry.clear()
    entry.update(new)


@dataclass
class _Application:
    """One application of a mapping: what it rewrote, and which rules it used."""

    mapping: Mapping
    module: object  # a CustomModule, or None
    report: MappingReport = field(default_factory=MappingReport)
    classes: dict[str, UserClass] = field(default_factory=dict)
    used_rules: set[tuple[str, str]] = field(default_factory=set)

    def need_module(self, what: str, line: int | None) -> None:
        if self.module is None:
            raise self.mapping.error(
                f"{what} names a target in a custom module: pass --custom-module "
                "(or set custom_module in the mapping) so kerasmigrate can check it",
                line,
            )

    def need_function(self, rule: str, what: str, function: str, line: int | None) -> None:
        self.need_module(rule, line)
        if not self.module.has_function(function):
            raise self.mapping.error(
                f"{rule} {what} {function!r} is not registered by the custom module {self.module.reference}", line
            )

    def lambda_layer(self, entry: dict, path: str) -> None:
        """A Lambda, by layer name (or the name before a rename)."""
        name = entry["config"].get("name")
        rule = self.mapping.lambdas.get(name) or self.mapping.lambdas.get(entry.get("_legacy_name", ""))
        if rule is None:
            return
        if rule.function is not None:
            self.need_function(f"[lambdas.{rule.key}]", "function", rule.function, rule.line)
        new = rewrite_lambda(entry, rule)
        _replace(entry, new)
        self.used_rules.add(("lambdas", rule.key))
        self.report.lambdas[path] = (
            f"{new['class_name']}({rule.function})" if rule.function else f"{new['class_name']} {rule.config}"
        )

    def resolve(self, entry: dict, rule: ClassRule | None) -> tuple[ResolvedClass | None, bool]:
        """The user's class for an entry, and whether it was matched by class name alone."""
        if rule is not None:
            self.need_module(f"[classes.{rule.key}]", rule.line)
            self.used_rules.add(("classes", rule.key))
            return self.module.resolve_class(rule, self.mapping)[0], False
        module = self.module
        registered = next((k for k in class_key_candidates(entry) if REGISTERED.match(k)), None)
        found = module.registered_class(registered) if module and registered else None
        if found is None and module is not None and not registered:
            # recorded by name only: the one class of that name the module registers
            # (none or several: left unknown, and the error asks for a mapping rule)
            named = module.classes_named(str(entry.get("class_name")))
            if len(named) == 1:
                return named[0][0], True
        return (found[0] if found is not None else None), False

    def custom_class(self, chain: tuple | None, entry: dict, path: str) -> bool:
        """A mapping rule, or the module's registration of the same `Package>Name`; whether
        one matched (the functions of a class left unknown are not looked at)."""
        rule = class_rule_for(self.mapping, entry)
        resolved, matched_by_name = self.resolve(entry, rule)
        if resolved is None:
            return False
        line = rule.line if rule else None
        if resolved.class_name in TABLE.builtin_classes:
            raise self.mapping.error(
                f"the target of {entry['class_name']} is a class named "
                f"{resolved.class_name}, like Keras's own layer; give it another name",
                line,
            )
        user = self.classes.setdefault(resolved.class_name, UserClass(resolved, rule))
        if user.resolved != resolved:
            raise self.mapping.error(f"two different classes named {resolved.class_name} are targets", line)
        old = entry["class_name"]
        _replace(entry, rewrite_class(entry, rule, resolved))
        user.entries.append((chain, entry))
        self.report.classes[path] = (
            f"{old} -> {resolved.module}.{resolved.class_name} (registered as {resolved.registered_name}"
            + ("; matched by name" if matched_by_name else "")
            + ")"
        )
        return True

    def function_target(self, fname: str) -> str | None:
        rule = self.mapping.function_rule(fname)
        if rule is not None:
            if rule.target not in TABLE.activations:
                self.need_function(f"[functions.{rule.key}]", "target", rule.target, rule.line)
            self.used_rules.add(("functions", rule.key))
            return rule.target
        if ">" in fname and self.module is not None and self.module.has_function(fname):
            return fname
        return None

    def activations(self, entry: dict, path: str) -> None:
        """Functions named by activation arguments."""
        for key in ACTIVATION_KEYS:
            value = entry["config"].get(key)
            fname = function_name(value)
            if fname is None or is_known_function(value):
                continue
            target = self.function_target(fname)
            if target is None:
                continue
            entry["config"][key] = target if target in TABLE.activations else registered_function(target)
            if target not in TABLE.activations and target not in self.report.checked_functions:
                self.report.checked_functions.append(target)
            self.report.functions[f"{path}.{key}"] = f"{fname} -> {target}"

    def unused_rules(self) -> list[str]:
        return [
            f"[{section}.{key}]"
            for section in ("classes", "functions", "lambdas")
            for key in getattr(self.mapping, section)
            if (section, key) not in self.used_rules
        ]


def apply(config: dict, mapping: Mapping | None, module) -> tuple[dict[str, UserClass], MappingReport]:
    """Rewrite, in place, the classes, functions and Lambda layers the mapping (or the module's
    registrations) maps; returns the user classes used and what was done.

    `module` is a CustomModule or None; without one, only Lambdas mapped to built-in layers and
    functions mapped to built-in activations can be applied (targets in a module are checked).
    """
    run = _Application(mapping or Mapping(None), module)
    for chain, entry in list(_layer_entries(config)):
        cfg = entry.get("config")
        if not isinstance(cfg, dict):
            continue
        path = "/".join(chain) if chain else str(cfg.get("name"))
        if is_stored_lambda(entry):
            run.lambda_layer(entry, path)
            continue
        if is_unknown_class(entry) and entry.get("class_name") != "Lambda":
            if not run.custom_class(chain, entry, path):
                continue
        run.activations(entry, path)
    run.report.unused_rules.extend(run.unused_rules())
    return run.classes, run.report
