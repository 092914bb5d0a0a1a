"""Losses and metrics of the training configuration: custom functions mapped as [functions]
rules or the custom module's registrations say."""

from __future__ import annotations

from dataclasses import dataclass

from kerasmigrate.core.keras3 import TABLE
from kerasmigrate.upgrade.mapping.apply import MappingReport
from kerasmigrate.upgrade.mapping.names import registered_function
from kerasmigrate.upgrade.mapping.schema import Mapping


@dataclass(frozen=True)
class UnknownFunction:
    """A loss or metric of a compile_config that Keras 3 does not know and nothing maps."""

    kind: str  # "loss" or "metric"
    name: str

    def __str__(self) -> str:
        return f"{self.kind} {self.name!r}"


def _target_of(name: str, mapping: Mapping, module, report: MappingReport) -> str | None:
    rule = mapping.function_rule(name)
    if rule is not None:
        if module is None or not module.has_function(rule.target):
            raise mapping.error(
                f"[functions.{rule.key}] target {rule.target!r} is not registered by "
                "the custom module (or no custom module is named)",
                rule.line,
            )
        if f"[functions.{rule.key}]" in report.unused_rules:
            report.unused_rules.remove(f"[functions.{rule.key}]")
        return rule.target
    if ">" in name and module is not None and module.has_function(name):
        return name
    return None


def map_compile_functions(
    compile_config: dict, mapping: Mapping | None, module, report: MappingReport
) -> list[UnknownFunction]:
    """Map custom losses and metrics in a converted compile_config, in place (as [functions]
    rules or the module's registrations say); returns those left unknown to Keras 3."""
    mapping = mapping or Mapping(None)
    unknown: list[UnknownFunction] = []

    def fix(value, known: frozenset[str], kind: str):
        if isinstance(value, list):
            return [fix(v, known, kind) for v in value]
        if isinstance(value, dict) and "class_name" not in value:
            return {k: fix(v, known, kind) for k, v in value.items()}
        name = value if isinstance(value, str) else (value.get("class_name") if isinstance(value, dict) else None)
        if name is None or name in known or (isinstance(value, dict) and value.get("class_name") == "function"):
            return value
        target = _target_of(name, mapping, module, report) if isinstance(value, str) else None
        if target is None:
            unknown.append(UnknownFunction(kind, name))
            return value
        report.functions[f"compile_config.{kind}"] = f"{name} -> {target}"
        return registered_function(target)

    compile_config["loss"] = fix(compile_config.get("loss"), TABLE.losses, "loss")
    for key in ("metrics", "weighted_metrics"):
        compile_config[key] = fix(compile_config.get(key), TABLE.metrics, "metric")
    return unknown
