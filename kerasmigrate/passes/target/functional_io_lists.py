"""A Functional model's single input/output written as a list of one, as Keras ≤ 3.9 wrote it.

Boundary: from Keras 3.12 (measured: 3.9.2 writes `[["x", 0, 0]]`, 3.12.4
`["x", 0, 0]`) `Functional.get_config` writes `input_layers` /
`output_layers` of a model with one input or output as the bare
`[name, node, tensor]` triple (keras/src/models/functional.py
`get_config`, `functional_from_config`). The older form is what the older
releases wrote; the rewrite restores it for them. Source: the small
Functional model each release's probe serializes
(scripts/derive_keras3_releases.py, `models.functional`).
"""

from kerasmigrate.passes.target_registry import Finding, Rewritten, target_pass

KEYS = ("input_layers", "output_layers")


def _is_triple(value) -> bool:
    return (isinstance(value, list) and len(value) == 3 and isinstance(value[0], str)
            and isinstance(value[1], int) and isinstance(value[2], int))


@target_pass("functional-io-lists", boundary="keras-3.12")
def functional_io_lists(entry: dict, release, where: str):
    config = entry.get("config")
    if entry.get("class_name") != "Functional" or not isinstance(config, dict):
        return entry
    probe = release.table.models["functional"]["config"]
    if not all(isinstance(probe.get(k), list) and probe[k] and isinstance(probe[k][0], list)
               for k in KEYS):
        return entry  # the release writes the bare triple itself
    changes, findings = {}, []
    for key in KEYS:
        if _is_triple(config.get(key)):
            changes[key] = [config[key]]
            findings.append(Finding(where, key, config[key], f"Keras {release.version} writes a list "
                                    "of [name, node, tensor] triples", None, "rewrite"))
    if not changes:
        return entry
    return Rewritten({**entry, "config": {**config, **changes}}, findings)
