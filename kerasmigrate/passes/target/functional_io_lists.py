"""A one-input or one-output Functional's `input_layers` / `output_layers` in the form the target reads.

Boundary: Keras 3.6 and 3.12. Keras 3 writes a single input or output either
as a bare `[name, node, tensor]` triple or as a list of one triple, and the
releases read them differently (keras/src/models/functional.py
`functional_from_config`, `map_tensors`):

* 3.3 iterates the value as a list of triples and unpacks a list of one: it
  fails on a bare triple (TypeError);
* from 3.6 a bare triple is read as one tensor, and a list of one is still
  unpacked;
* from 3.12 a list of one stays a list: harmless for the model itself or a
  layer of a Functional (their calls unpack it), wrong for a layer of a
  Sequential, whose next layer receives the list (measured: a Dense after it
  gives shape (1, batch, units) instead of (batch, units), silently; the
  Teachable Machine layout, a Functional inside a Sequential, fails to load).

So no one form loads in every release: a file for 3.3 needs lists, which
3.12 and later misread inside a Sequential. The pass keeps the entry's form
where the target reads it as one tensor and rewrites it otherwise to a form
that does, changing as few keys as it can and preferring the bare triple
(what the current release writes); it refuses when no form works.

Source of each release's behaviour: scripts/derive_keras3_releases.py
`_functional_io` deserializes a one-input, one-output Functional with every
combination of forms, as the model, inside a Functional and inside a
Sequential, and records what calling it gives (table `functional_io`).
"""

from itertools import product

from kerasmigrate.passes.keras3_releases import Finding, Rewritten, TargetRefusal, release_pass

KEYS = ("input_layers", "output_layers")
FORMS = ("triple", "list")
CONTEXT_TEXT = {
    "top": "as the model itself",
    "in_functional": "as a layer of a Functional",
    "in_sequential": "as a layer of a Sequential",
    "in_wrapper": "inside a wrapper",
}


def _is_triple(value) -> bool:
    return (
        isinstance(value, list)
        and len(value) == 3
        and isinstance(value[0], str)
        and isinstance(value[1], int)
        and isinstance(value[2], int)
    )


def _form(value) -> str | None:
    """'triple', 'list' (a list of one triple), or None (several tensors, a dict: left alone)."""
    if _is_triple(value):
        return "triple"
    if isinstance(value, list) and len(value) == 1 and _is_triple(value[0]):
        return "list"
    return None


def _reads_single(outcomes: dict, context: str, forms: tuple[str, str]) -> bool:
    # A key holding several tensors is a list: it is looked up as the "list" form.
    key = "/".join(f or "list" for f in forms)
    contexts = outcomes if context == "in_wrapper" else {context: outcomes.get(context, {})}
    return all(table.get(key) == "single" for table in contexts.values())


def _in_form(value, form: str):
    triple = value if _is_triple(value) else value[0]
    return triple if form == "triple" else [triple]


@release_pass("functional-io-lists", boundary="keras-3.6, keras-3.12", context=True)
def functional_io_lists(entry: dict, release, where: str, *, context: str):
    config = entry.get("config")
    if entry.get("class_name") != "Functional" or not isinstance(config, dict):
        return entry
    current = tuple(_form(config.get(key)) for key in KEYS)
    if current == (None, None):
        return entry
    outcomes = release.table.functional_io
    if _reads_single(outcomes, context, current):
        return entry
    candidates = []
    for forms in product(FORMS, repeat=2):
        forms = tuple(f if c is not None else None for f, c in zip(forms, current))
        if forms not in candidates and _reads_single(outcomes, context, forms):
            candidates.append(forms)
    if not candidates:
        raise TargetRefusal(
            [
                Finding(
                    where,
                    key,
                    config.get(key),
                    f"Keras {release.version} reads no form of a single {key} {CONTEXT_TEXT[context]} as one tensor",
                    None,
                    "refuse",
                )
                for key, form in zip(KEYS, current)
                if form is not None
            ]
        )
    best = min(candidates, key=lambda forms: (sum(a != b for a, b in zip(forms, current)), forms.count("list")))
    changes, findings = {}, []
    for key, old, new in zip(KEYS, current, best):
        if old == new:
            continue
        changes[key] = _in_form(config[key], new)
        text = "a bare [name, node, tensor] triple" if new == "triple" else "a list of one triple"
        findings.append(
            Finding(
                where,
                key,
                config[key],
                f"Keras {release.version} reads it {CONTEXT_TEXT[context]} as one tensor only as {text}",
                None,
                "rewrite",
            )
        )
    return Rewritten({**entry, "config": {**config, **changes}}, findings)
