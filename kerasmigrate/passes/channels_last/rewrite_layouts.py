"""channels_first layers -> channels_last, the layout tracked per tensor; inputs and outputs kept.

What: each model (nested ones first, each on its own) is walked in call order. A channels_first
layer that takes `data_format` becomes channels_last and holds its output channels_last; every
other layer is rewritten exactly where its input is held so (axis arguments moved, the Dense
after a Flatten of the map given its kernel rows in S·C order, elementwise layers passing the
layout on) or fed the original layout through an inserted Permute. A Permute brings each
model input to the layout its first rewritten layer needs and each output back, so the model
computes the same function on the same inputs (passes/channels_last/io_layouts.py moves
them for `--channels-last=io`). A wrapped channels_first layer is refused, naming it.
Boundary: opt-in (`convert --channels-last`), after the upgrade table. TensorFlow's CPU
kernels run no NCHW convolution or pooling without oneDNN (issues/27); Keras 3 runs each of
these layers channels_last.
Source: the rules and their sources in passes/channels_last/_layouts.py and _decide.py;
issues/27.
"""

from __future__ import annotations

from kerasmigrate.core.graph import io_refs, tensor_refs
from kerasmigrate.passes.channels_last._decide import decide
from kerasmigrate.passes.channels_last._layouts import Flat, Tensor, is_elementwise, transposition
from kerasmigrate.passes.channels_last._permutes import Names, permute_entry, with_refs
from kerasmigrate.passes.refusal import Refusal
from kerasmigrate.passes.registry import Source, layer_name, layout_pass, model_layers, with_layers

SINCE = "opt-in"  # run only with convert --channels-last


@layout_pass("channels-last-layers", since=SINCE)
def rewrite_layouts(model: dict, source: Source) -> dict:
    if model.get("class_name") == "Sequential":
        return _sequential(model)
    if model.get("class_name") in ("Functional", "Model") and isinstance(model.get("config"), dict):
        return _functional(model)
    return model


def _input_tensor(entry: dict) -> Tensor:
    shape = entry["config"].get("batch_shape") or []
    return Tensor(None, shape[1] if len(shape) > 2 and isinstance(shape[1], int) else None)


def _sequential(model: dict) -> dict:
    layers = model_layers(model)
    names = Names(layer_name(layer) for layer in layers)
    tensor, out, changed = Tensor(), [], False
    where = layer_name(model)
    for index, layer in enumerate(layers):
        if layer["class_name"] == "InputLayer":
            out.append(layer)
            tensor = _input_tensor(layer)
            continue
        decision = decide(
            layer, [tensor], f"{where}/{layer_name(layer)}", lambda i=index: _dense_follows(layers[i + 1 :])
        )
        wanted = decision.inputs[0] if decision.inputs else tensor.layout
        if wanted != tensor.layout:
            axes = transposition(tensor.layout, wanted, len(tensor.layout or wanted))
            out.append(
                permute_entry(names.new(f"{layer_name(layer)}_layout"), axes, layer["config"].get("dtype"), None)
            )
        changed |= decision.entry is not layer or wanted != tensor.layout
        out.append(decision.entry)
        tensor = decision.output
    if isinstance(tensor.layout, tuple):
        axes = transposition(tensor.layout, None, len(tensor.layout))
        out.append(permute_entry(names.new(f"{where}_output_layout"), axes, out[-1]["config"].get("dtype"), None))
        changed = True
    return with_layers(model, out) if changed else model


def _dense_follows(rest: list) -> bool:
    for layer in rest:
        if layer["class_name"] == "Dense":
            return True
        if not is_elementwise(layer):
            return False
    return False


class _Graph:
    """A Functional config's calls, decided in dependency order."""

    def __init__(self, model: dict):
        self.model = model
        self.layers = model_layers(model)
        self.outputs = set(io_refs(model["config"].get("output_layers") or []))
        self.consumers: dict[tuple, list] = {}
        for layer in self.layers:
            for index, node in enumerate(layer.get("inbound_nodes") or []):
                for ref in tensor_refs(node, []):
                    self.consumers.setdefault(ref, []).append((layer, index))

    def dense_follows(self, ref: tuple) -> bool:
        if ref in self.outputs or not self.consumers.get(ref):
            return False
        for layer, index in self.consumers[ref]:
            if layer["class_name"] == "Dense":
                continue
            if not is_elementwise(layer) or not self.dense_follows((layer_name(layer), index, 0)):
                return False
        return True


def _functional(model: dict) -> dict:
    graph = _Graph(model)
    names = Names(layer_name(layer) for layer in graph.layers)
    tensors: dict[tuple, Tensor] = {}
    permutes: dict[tuple, dict] = {}  # (ref, layout) -> the Permute entry giving it
    placed: dict[str, list] = {}  # consumer name -> Permutes to place before it
    entries: dict[str, dict] = {}
    nodes: dict[str, list] = {}
    pending = [(layer, i, node) for layer in graph.layers for i, node in enumerate(layer.get("inbound_nodes") or [])]
    for layer in graph.layers:
        if layer["class_name"] == "InputLayer":
            tensors[(layer_name(layer), 0, 0)] = _input_tensor(layer)
    while pending:
        ready = [call for call in pending if all(r in tensors for r in tensor_refs(call[2], []))]
        if not ready:
            ready = pending[:1]  # a ref to no known layer: the config checks name it later
        for layer, index, node in ready:
            pending.remove((layer, index, node))
            name = layer_name(layer)
            refs = tensor_refs(node, [])
            inputs = [tensors.get(r, Tensor()) for r in refs]
            decision = decide(
                layer, inputs, f"{layer_name(model)}/{name}", lambda n=name, i=index: graph.dense_follows((n, i, 0))
            )
            if name in entries and decision.entry != entries[name]:
                raise Refusal(
                    f"layer {name!r} is shared by tensors held in different layouts; convert without --channels-last"
                )
            entries[name] = decision.entry
            mapping = {}
            for ref, tensor, wanted in zip(refs, inputs, decision.inputs):
                if wanted != tensor.layout:
                    permute = _permute_to(ref, tensor, wanted, layer, permutes, names, placed.setdefault(name, []))
                    mapping[ref] = (layer_name(permute), 0, 0)
                    tensors[mapping[ref]] = Tensor(wanted, tensor.channels)
            nodes.setdefault(name, [None] * len(layer["inbound_nodes"]))[index] = with_refs(node, mapping)
            tensors[(name, index, 0)] = decision.output
    return _assembled(model, graph, tensors, entries, nodes, placed, names, permutes)


def _permute_to(ref, tensor: Tensor, wanted, consumer: dict, permutes: dict, names: Names, place: list) -> dict:
    key = (ref, wanted)
    if key not in permutes:
        axes = transposition(tensor.layout, wanted, len(tensor.layout or wanted))
        suffix = "to_channels_last" if wanted else "to_channels_first"
        entry = permute_entry(names.new(f"{ref[0]}_{suffix}"), axes, consumer["config"].get("dtype"), ref)
        permutes[key] = entry
        place.append(entry)
    return permutes[key]


def _assembled(model, graph: _Graph, tensors, entries, nodes, placed, names: Names, permutes: dict) -> dict:
    layers = []
    for layer in graph.layers:
        name = layer_name(layer)
        layers.extend(placed.get(name, []))
        if name in entries:
            layer = {**entries[name], "inbound_nodes": nodes[name]}
        layers.append(layer)
    config = model["config"]
    mapping = {}
    for ref in graph.outputs:
        tensor = tensors.get(ref, Tensor())
        if isinstance(tensor.layout, Flat):
            raise AssertionError("a flattened channels_last map reached an output")
        if tensor.layout is not None:
            permute = _permute_to(ref, tensor, None, entries.get(ref[0], {"config": {}}), permutes, names, layers)
            mapping[ref] = (layer_name(permute), 0, 0)
    new = with_layers(model, layers)
    new = {**new, "config": {**new["config"], "output_layers": with_refs(config.get("output_layers"), mapping)}}
    return model if new == model else new
