"""Reference inputs and outputs (an `.npz` file) for `verify --refs`, and which input each feeds.

Inputs are matched to the model's inputs by name where the file names them, by position
otherwise:

* `input_0`, `input_1`… (or `in_0`…): by position, the model's input order;
* `input_<name>` (or `in_<name>`, the name not all digits): the model input of that name;
* `in_0`… with a string array `input_names` naming them in order: by those names. A SavedModel's
  signature lists its inputs by name in alphabetical order (../shared/realworld/savedmodel keeps
  that order in `in_0`… and the names in its manifest), not the model's order.

A model input answers to its name in the converted model and to the name it had before a rename
(`renamed_layers`). Outputs are `output_0`… (or `out_0`…), by position. numpy only: no Keras here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from kerasmigrate.errors import VerifyError

INPUT_PREFIXES = ("input_", "in_")
OUTPUT_PREFIXES = ("output_", "out_")
NAMES_KEY = "input_names"
BY_NAME, BY_POSITION = "name", "position"


@dataclass
class References:
    path: str
    inputs: list[np.ndarray]  # in the file's order
    outputs: list[np.ndarray]
    names: list[str] | None = None  # the model input each of `inputs` feeds, where the file names them


def _numbered(files, prefix) -> list[str]:
    keys = [k for k in files if k.startswith(prefix) and k[len(prefix) :].isdigit()]
    return sorted(keys, key=lambda k: int(k[len(prefix) :]))


def _named_inputs(files) -> dict[str, str]:
    """Name -> key of the `input_<name>` / `in_<name>` arrays (the prefix that has any)."""
    for prefix in INPUT_PREFIXES:
        named = {k[len(prefix) :]: k for k in files if k.startswith(prefix) and not k[len(prefix) :].isdigit()}
        named.pop("names", None)  # input_names is the list of names, not an input
        if named:
            return named
    return {}


def _listed_names(npz, path, count: int) -> list[str] | None:
    if NAMES_KEY not in npz.files:
        return None
    names = npz[NAMES_KEY]
    if names.dtype.kind not in "US" or names.ndim != 1 or len(names) != count or len(set(names)) != count:
        raise VerifyError(path, f"'{NAMES_KEY}' must be {count} distinct strings naming in_0… in order")
    return [str(n) for n in names]


def read_references(path: str | Path) -> References:
    try:
        with np.load(path, allow_pickle=False) as npz:
            outputs = next(([npz[k] for k in keys] for p in OUTPUT_PREFIXES if (keys := _numbered(npz.files, p))), [])
            numbered = next((keys for p in INPUT_PREFIXES if (keys := _numbered(npz.files, p))), [])
            named = _named_inputs(npz.files)
            if numbered and named:
                raise VerifyError(path, f"inputs both numbered and named ({numbered[0]}, {next(iter(named.values()))})")
            if named:
                refs = References(str(path), [npz[named[n]] for n in sorted(named)], outputs, sorted(named))
            else:
                refs = References(str(path), [npz[k] for k in numbered], outputs)
                refs.names = _listed_names(npz, path, len(numbered))
    except (OSError, ValueError) as exc:
        raise VerifyError(path, f"cannot read the references file ({exc})") from None
    if not refs.inputs or not refs.outputs:
        raise VerifyError(path, "the references file needs input_0…/output_0… (or in_0…/out_0…) arrays")
    return refs


def inputs_in_model_order(refs: References, model_inputs: list[set[str]]) -> tuple[list[np.ndarray], str]:
    """The reference inputs in the model's input order (each model input given as the names it
    answers to), and BY_NAME or BY_POSITION: how they were matched."""
    if refs.names is None:
        if len(refs.inputs) != len(model_inputs):
            raise VerifyError(refs.path, f"holds {len(refs.inputs)} inputs, the model takes {len(model_inputs)}")
        return refs.inputs, BY_POSITION
    by_name = dict(zip(refs.names, refs.inputs))
    ordered, missing = [], []
    for names in model_inputs:
        found = [n for n in sorted(names) if n in by_name]
        if found:
            ordered.append(by_name.pop(found[0]))
        else:
            missing.append("/".join(sorted(names)))
    if missing or by_name:
        raise VerifyError(
            refs.path,
            f"names inputs the model does not match: model inputs without a reference {missing}, "
            f"references for no model input {sorted(by_name)}",
        )
    return ordered, BY_NAME
