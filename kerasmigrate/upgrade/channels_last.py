"""`convert --channels-last`: the passes to run, the Dense kernels they reorder, what the report says.

The config is rewritten by the CHANNELS_LAST table (kerasmigrate/passes/channels_last/);
here are the two things it leaves to the conversion: the weights of a Dense that read a
flattened channels_first map, whose kernel rows go from C·S to S·C order (a computed
weight: reshape to (C, S, units), swap the first two axes, reshape back), and the summary
the report and metadata.json carry.
"""

from __future__ import annotations

from collections.abc import Callable

from kerasmigrate.core.configs import is_model_entry, iter_layers
from kerasmigrate.core.layout import (
    INSERTED_PERMUTE_KEY,
    IO_AXES_KEY,
    ROWS_CHANNELS_FIRST_KEY,
    STORED_CHANNELS_FIRST_KEY,
)
from kerasmigrate.passes import CHANNELS_LAST, CHANNELS_LAST_IO
from kerasmigrate.passes.registry import Source, run_passes
from kerasmigrate.upgrade.computed_weights import WeightTransformError, with_steps

# The model's inputs and outputs keep their layout ("inner") or become channels_last too ("io").
CHANNELS_LAST_MODES = ("inner", "io")
NAMED_LAYERS = 5  # channels_first layers named in the note


def channels_last_passes(mode: str | None) -> tuple:
    if mode is None:
        return ()
    if mode not in CHANNELS_LAST_MODES:
        raise ValueError(f"channels_last must be one of {', '.join(CHANNELS_LAST_MODES)} or None, not {mode!r}")
    return CHANNELS_LAST + (CHANNELS_LAST_IO if mode == "io" else ())


def channels_last_rewrite(
    config: dict, applied: list, mode: str | None, source: Source
) -> tuple[dict, list, dict | None]:
    """The upgraded config (and the passes that fired) after the CHANNELS_LAST table of `mode`
    ("inner": the model's inputs and outputs kept, "io": channels_last too; None: nothing to do),
    and the summary of what changed (None without a mode)."""
    if mode is None:
        return config, applied, None
    rewritten, more = run_passes(config, channels_last_passes(mode), source)
    return rewritten, applied + more, channels_last_summary(mode, config, rewritten)


def channels_first_notes(config: dict) -> list[str]:
    """The note a converted model that still computes channels_first gets: where Keras 3 can run it.

    TensorFlow's own CPU kernels are NHWC only; it runs NCHW convolutions on a CPU through oneDNN,
    which it turns on by itself only on CPUs with AVX-512 (elsewhere "Conv2D op currently only
    supports the NHWC tensor format on the CPU"). XLA, JAX and PyTorch run them on any CPU.
    """
    layers = [
        where or entry["config"].get("name", "?")
        for where, entry in iter_layers(config)
        if isinstance(entry.get("config"), dict) and entry["config"].get("data_format") == "channels_first"
    ]
    if not layers:
        return []
    named = ", ".join(layers[:NAMED_LAYERS]) + (
        f" and {len(layers) - NAMED_LAYERS} more" if len(layers) > NAMED_LAYERS else ""
    )
    return [
        f"{len(layers)} layers compute channels_first ({named}): Keras 3's TensorFlow backend runs them on a CPU "
        "only where TensorFlow uses oneDNN (CPUs with AVX-512) or compiled by XLA (jit_compile=True); JAX and "
        "PyTorch run them anywhere; `convert --channels-last` rewrites the model to run on every CPU"
    ]


def channels_last_weights(adapt: Callable) -> Callable:
    """The weight adapter of build_plan, for layers the rewrite changed: their stored weights read
    as the channels_first layer's, the Dense kernels reordered."""
    return lambda entry, refs: reordered_rows(entry, adapt(as_stored(entry), refs))


def as_stored(entry: dict) -> dict:
    """The layer as its weights were stored: a layer the rewrite made channels_last reads them as
    the channels_first one it was (Keras 1 'th' kernels are transposed: upgrade/legacy_weights.py)."""
    if not entry.get(STORED_CHANNELS_FIRST_KEY):
        return entry
    return {**entry, "config": {**entry["config"], "data_format": "channels_first"}}


def reordered_rows(entry: dict, refs: list, nested: bool = False) -> list:
    """A top-level layer's weights (as upgrade/legacy_weights.py adapted them), a Dense's kernel
    rows in S·C order where the pass asked for it."""
    if is_model_entry(entry):
        _refuse_nested_reordering(entry)
        return refs
    channels = entry.get(ROWS_CHANNELS_FIRST_KEY)
    if channels is None:
        return refs
    name = entry["config"].get("name", "?")
    if nested:
        raise WeightTransformError(
            f"layer {name!r}: reordering the kernel rows of a Dense inside a nested model is not supported "
            "yet; convert without --channels-last"
        )
    kernel, *rest = refs
    rows, units = tuple(kernel.shape)
    if rows % channels:
        raise WeightTransformError(f"layer {name!r}: a kernel of {rows} rows does not split into {channels} channels")
    steps = (("reshape", (channels, rows // channels, units)), ("transpose", (1, 0, 2)), ("reshape", (rows, units)))
    return [with_steps(kernel, f"{name}/kernel", *steps), *rest]


def _refuse_nested_reordering(entry: dict) -> None:
    """Refuse a nested model holding a Dense whose rows would need reordering."""
    for _, layer in iter_layers(entry):
        if layer is not entry and layer.get(ROWS_CHANNELS_FIRST_KEY) is not None:
            reordered_rows(layer, [], nested=True)


def channels_last_summary(mode: str, before: dict, after: dict) -> dict:
    """What the rewrite changed: the layers rewritten, the Permutes inserted, the new input shapes
    and, with "io", per model input and output the axes it is now transposed by."""
    old = {where: entry for where, entry in iter_layers(before)}
    rewritten, inserted, shapes = [], [], {}
    for where, entry in iter_layers(after):
        if entry.get(INSERTED_PERMUTE_KEY):
            inserted.append(where)
        elif where in old and entry is not old[where] and _differs(old[where], entry):
            if entry["class_name"] == "InputLayer":
                shapes[where] = entry["config"].get("batch_shape")
            elif "layers" not in (entry.get("config") or {}):
                rewritten.append(where)
    summary = {"mode": mode, "rewritten": rewritten, "permutes": inserted, "input_shapes": shapes}
    if IO_AXES_KEY in after:
        # verify feeds and reads the converted model through these (kerasmigrate/verify.py)
        summary["input_axes"] = after[IO_AXES_KEY]["inputs"]
        summary["output_axes"] = after[IO_AXES_KEY]["outputs"]
    return summary


def _differs(old: dict, new: dict) -> bool:
    strip = ("inbound_nodes",)
    return {k: v for k, v in old.items() if k not in strip} != {k: v for k, v in new.items() if k not in strip}
