"""Where core/savedmodel.py hands over: a subclassed model translated whole, and the layers saved
without a config inside a Functional model translated one by one (the rest of the model keeps
its Keras config). A refusal names the op, the function and the layer that stop it.
"""

from __future__ import annotations

from kerasmigrate.core.savedmodel_keras import Metadata, SubclassedModelError, metadata_json
from kerasmigrate.core.savedmodel_weights import Graphs
from kerasmigrate.core.traced.inline import TracedRefusal
from kerasmigrate.core.traced.library import read_library
from kerasmigrate.core.traced.model import (
    INFERENCE_NOTE,
    Translated,
    part,
    shared_note,
    translate_layer,
    translate_subclassed,
)
from kerasmigrate.core.weight_ref import WeightRef
from kerasmigrate.errors import MalformedConfigError, TracedTranslationError

NO_CONFIG = "layer was saved without config"
# What a function library that is well-formed protobuf but not a consistent graph raises while it
# is walked (an attr of the wrong kind, a shape that does not fit): reported as a malformed file.
GARBLED = (KeyError, IndexError, TypeError, ValueError, AttributeError, RecursionError)


def _garbled(graphs: Graphs, exc: Exception) -> MalformedConfigError:
    return MalformedConfigError(
        graphs.path, f"its traced functions are inconsistent ({type(exc).__name__}: {str(exc)[:200]})"
    )


def untranslatable(exc: TracedRefusal) -> list[dict]:
    return [{"op": op, "function": function, "layer": scope} for op, function, scope in exc.unknown]


def describe(exc: TracedRefusal) -> str:
    where = [f"op {exc.op}" if exc.op else "", f"in function {exc.function}" if exc.function else ""]
    where.append(f"of layer {exc.scope!r}" if exc.scope else "")
    return " ".join(w for w in where if w) + f" {exc}"


TRAINING_LEFT_OUT = (
    "; its training configuration and optimizer state are not carried over (the optimizer's slots "
    "belong to the original model's variables; compile the converted model again)"
)


def subclassed_model(graphs: Graphs, refusal: SubclassedModelError, compiled: bool) -> Translated:
    """The subclassed model's inference function as a Functional model, or the refusal,
    now naming what has no translation. `compiled`: the metadata records a training config."""
    try:
        translated = translate_subclassed(graphs, refusal.class_name, refusal.name)
        if compiled or graphs.saved[0].child("optimizer") is not None:
            translated.notes[-1] += TRAINING_LEFT_OUT
        return translated
    except TracedRefusal as exc:
        raise TracedTranslationError(
            refusal.path,
            f"{refusal.message}. Its traced inference function cannot be translated: {describe(exc)}",
            [part(refusal.name, refusal.class_name, whole_model=True)],
            untranslatable(exc),
        ) from None
    except GARBLED as exc:
        raise _garbled(graphs, exc) from None


def codeless_layers(graphs: Graphs, metadata: Metadata, model_config: dict, weights: dict) -> Translated | None:
    """A Functional model whose top-level layers include some saved without a config (a custom
    class whose get_config was never written): each translated from its traced function."""
    config = model_config.get("config") or {}
    layers = config.get("layers") if model_config.get("class_name") in ("Functional", "Model") else None
    if not isinstance(layers, list):
        return None
    wanted = [i for i, e in enumerate(layers) if isinstance(e, dict) and (e.get("config") or {}).get(NO_CONFIG)]
    if not wanted:
        return None
    node_ids = _layer_nodes(graphs, metadata)
    library = read_library(graphs.path)
    new_layers = list(layers)
    new_weights = dict(weights)
    transposed: dict[str, str] = {}
    taken = {e.get("name") for e in layers if isinstance(e, dict)}
    done, parts = [], []
    for index in reversed(wanted):
        entry = layers[index]
        name = entry.get("name")
        try:
            if name not in node_ids:
                raise TracedRefusal("is not a layer object of the model", scope=str(name))
            translated, graph = translate_layer(graphs, library, node_ids[name], entry, taken)
        except TracedRefusal as exc:
            raise TracedTranslationError(
                graphs.path,
                f"layer {name!r} ({entry.get('class_name')}) was saved without a config and its traced "
                f"function cannot be translated: {describe(exc)}",
                [part(name, str(entry.get("class_name")), whole_model=False)],
                untranslatable(exc),
            ) from None
        except GARBLED as exc:
            raise _garbled(graphs, exc) from None
        taken |= {layer["name"] for layer in translated}
        shared = shared_note(graph)
        new_layers[index : index + 1] = translated
        new_weights.pop(name, None)
        new_weights.update(graph.weights)
        transposed.update(graph.transposed)
        done.append(f"{name} ({entry.get('class_name')} -> {', '.join(e['class_name'] for e in translated)}){shared}")
        parts.insert(0, part(name, str(entry.get("class_name")), whole_model=False))
    model = {**model_config, "config": {**config, "layers": new_layers}}
    names = [e["name"] for e in new_layers]
    note = INFERENCE_NOTE.format(what=f"the layers saved without a config: {', '.join(reversed(done))}")
    if transposed:
        note += "; kernels read transposed (a layer reusing another's kernel gets its own copy): " + ", ".join(
            sorted({k for k in transposed.values()})
        )
    return Translated(model, names, new_weights, transposed, [note], parts)


def _layer_nodes(graphs: Graphs, metadata: Metadata) -> dict[str, int]:
    """Top-level layer name -> its object graph node."""
    out = {}
    for child_name, node_id in graphs.saved[0].children:
        if not (child_name.startswith("layer-") and child_name[6:].isdigit()):
            continue
        _, text = metadata.get(node_id, ("", ""))
        layer = metadata_json(graphs.path, text, f"layer object {node_id}") if text else None
        if isinstance(layer, dict) and isinstance(layer.get("name"), str):
            out[layer["name"]] = node_id
    return out


__all__ = ["WeightRef", "codeless_layers", "subclassed_model"]
