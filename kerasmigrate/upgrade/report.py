"""What a conversion tells its caller: the report, and the notes it shares with metadata.json."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from kerasmigrate.core.configs import iter_layers
from kerasmigrate.core.layout import INFERENCE_ONLY_KEY, SCALE_KEY
from kerasmigrate.passes.upgrade.hard_sigmoid_keras2 import REGISTERED, REPLACEMENT


@dataclass
class ConversionReport:
    input: str
    output: str
    keras_version: str | None
    backend: str | None
    model_class: str
    layers: int
    nested_models: list[str]
    passes: dict[str, int]
    weights: int
    weight_bytes: int
    weight_matching: dict[str, str]
    target_keras: str
    backend_source: str | None = None
    weight_transforms: dict[str, list[str]] = field(default_factory=dict)
    layout_converted: list[str] = field(default_factory=list)  # layers whose weights were laid out for Keras 3
    folded: list[str] = field(default_factory=list)  # layers whose weights hard_sigmoid was folded into (x1.2)
    dropped: list[str] = field(default_factory=list)
    renamed_layers: dict[str, str] = field(default_factory=dict)
    training: list[str] = field(default_factory=list)
    mapped: dict = field(default_factory=dict)
    lambdas: dict[str, str] = field(default_factory=dict)  # Lambda path -> "expression → what it became"
    target_release: str | None = None
    loads_in: list[str] = field(default_factory=list)
    older_targets: dict = field(default_factory=dict)  # {release: loads_in} of pinnable older ones
    target_changes: int = 0
    notes: list[str] = field(default_factory=list)
    # SavedModel objects translated from their traced inference functions (core/traced/model.py part)
    traced: list[dict] = field(default_factory=list)
    # `--channels-last`: {"mode", "rewritten" layers, inserted "permutes", new "input_shapes"}
    channels_last: dict | None = None
    seconds: float = 0.0

    def to_dict(self) -> dict:
        return asdict(self)


# Keras 3 variable -> the prefixes of the config's regularizer/constraint arguments for it
TRAINING_PREFIXES = {
    "recurrent_kernel": ("recurrent",),
    "kernel": ("kernel", "depthwise"),
    "pointwise_kernel": ("pointwise",),
}


def function_notes(config: dict, keep_functions: bool) -> list[str]:
    """What still ties the converted file to kerasmigrate (its registered functions), and
    training-time objects of folded weights that now see the scaled values."""
    notes = []
    kept = [
        f"{where or entry['config'].get('name')} ({entry['class_name']}.{key})"
        for where, entry in iter_layers(config)
        if isinstance(entry.get("config"), dict)
        for key, value in entry["config"].items()
        if value == REPLACEMENT
    ]
    if kept:
        why = (
            "--keep-functions"
            if keep_functions
            else "Keras 2's hard_sigmoid where it has no weight to fold into and no built-in equivalent here"
        )
        notes.append(
            f"kept the registered function {REGISTERED} ({why}): {', '.join(kept)}; "
            "loading needs `import kerasmigrate.keras_objects` first"
        )
    for where, entry in iter_layers(config):
        rule = entry.get(SCALE_KEY)
        if not rule:
            continue
        config_ = entry["config"]
        training = [
            f"{prefix}_{kind}"
            for var in rule
            for prefix in TRAINING_PREFIXES.get(var, (var,))
            for kind in ("regularizer", "constraint")
            if config_.get(f"{prefix}_{kind}")
        ]
        if training:
            notes.append(
                f"{where or config_.get('name')}: hard_sigmoid folded into weights (x1.2) that have "
                f"{', '.join(training)}; these act on the scaled values when training resumes"
            )
    return notes


def inference_only_notes(config: dict) -> list[str]:
    """The layers replaced by what they computed at inference (passes/upgrade/random_*.py): the
    converted model no longer augments there when it is trained."""
    replaced = [
        f"{where or entry['config'].get('name')} ({entry[INFERENCE_ONLY_KEY]} -> {entry['class_name']})"
        for where, entry in iter_layers(config)
        if entry.get(INFERENCE_ONLY_KEY)
    ]
    if not replaced:
        return []
    return [
        f"replaced by what they compute at inference, since Keras 3 has no such layer or runs it otherwise: "
        f"{', '.join(replaced)}; training the converted model no longer augments there"
    ]
