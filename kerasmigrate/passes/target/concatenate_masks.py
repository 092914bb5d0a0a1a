"""A Concatenate of masked inputs whose output mask a layer uses: refused for Keras 3.3–3.9.

Boundary: Keras 3.12 rewrote `Concatenate.compute_mask`
(keras/src/layers/merging/concatenate.py). Keras 3.3 expands an input's
mask without broadcasting it and combines with `all`; 3.6 and 3.9 broadcast
with `ops.broadcast_to(..., ops.shape(input))`, which fails on the JAX backend
for a symbolic batch dimension; 3.12 uses `logical_or` with `zeros_like`.
Measured on sample models (an Embedding mask concatenated, then an LSTM):
3.3.3 loads and gives other outputs (max abs diff 5e-2), 3.6.0 and 3.9.2 fail
to load, 3.12.4 and 3.15.1 match. Refused for targets before 3.12; other
merges are not affected. Source: the three versions of `compute_mask` in the release wheels.
"""

from kerasmigrate.core.graph import FunctionalGraph, layer_spec, mask_comes_from
from kerasmigrate.passes.keras3_releases import Finding, TargetRefusal, release_pass
from kerasmigrate.passes.target._common import first_fixed, is_fixed_in

FIXED_IN = (3, 12)


@release_pass("concatenate-masks", boundary="keras-3.12")
def concatenate_masks(entry: dict, release, where: str):
    if entry.get("class_name") != "Functional" or is_fixed_in(release.version, FIXED_IN):
        return entry
    graph = FunctionalGraph(entry)
    masked = []
    for name, layer in graph.layers.items():
        if layer.get("class_name") != "Concatenate":
            continue
        for index in range(len(layer.get("inbound_nodes") or [])):
            if any(graph.mask_of((t[0], t[1])) for t in graph.first_arg_tensors((name, index))):
                masked.append(name)
                break
    if not masked:
        return entry
    users = []
    for name, layer in graph.layers.items():
        spec = layer_spec(layer)
        if spec is None or not spec.call_takes_mask:
            continue
        for index in range(len(layer.get("inbound_nodes") or [])):
            if any(mask_comes_from(graph, (t[0], t[1]), set(masked)) for t in graph.first_arg_tensors((name, index))):
                users.append(name)
                break
    if not users:
        return entry
    first = first_fixed(release, FIXED_IN)
    raise TargetRefusal(
        [
            Finding(
                f"{where}/{name}",
                None,
                None,
                f"Keras {release.version} computes "
                f"the mask of a Concatenate of masked inputs wrongly or fails on it, "
                f"and {', '.join(users)} use(s) it",
                first,
                "refuse",
            )
            for name in masked
        ]
    )
