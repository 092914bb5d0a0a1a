"""Mutations of `.keras` archives (tf.keras 2.12-2.15 and Keras 3), driven by a `random.Random`.

A mutation edits a copy of a valid archive: config.json or metadata.json at the JSON level
(mutate.mutate_json: keys dropped or replaced, wrong types, huge numbers, deep nesting,
unicode, module and class names), model.weights.h5 as the legacy `.h5` mutator edits weights
(mutate.mutate_weights), or the members themselves (one truncated, removed, added, made
empty; the whole zip cut short). Each returns a short description.
"""

from __future__ import annotations

import json
import random
import tempfile
import zipfile
from pathlib import Path

import h5py

from tests.hostile.mutate import ODD_STRINGS, mutate_json, mutate_weights

EXTRA_MEMBERS = ["assets/x", "config.json.bak", "variables/x", "model.weights.h5.tmp", "a/" + "b" * 200]


def _read_members(source: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(source) as zf:
        return {info.filename: zf.read(info) for info in zf.infolist()}


def _write_members(target: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _mutate_json_member(members: dict[str, bytes], name: str, rnd: random.Random) -> str:
    if name not in members:
        return f"no {name}"
    tree = json.loads(members[name])
    done = mutate_json(tree, rnd)
    members[name] = json.dumps(tree).encode("utf-8")
    return f"{name}: {done}"


def _mutate_weights_member(members: dict[str, bytes], rnd: random.Random) -> str:
    if "model.weights.h5" not in members:
        return "no model.weights.h5"
    with tempfile.TemporaryDirectory(prefix="kerasmigrate-mutate-") as tmp:
        path = Path(tmp) / "model.weights.h5"
        path.write_bytes(members["model.weights.h5"])
        with h5py.File(path, "r+") as h5:
            done = mutate_weights(h5, rnd)
        members["model.weights.h5"] = path.read_bytes()
    return f"model.weights.h5: {done}"


def _mutate_member(members: dict[str, bytes], rnd: random.Random) -> str:
    name = rnd.choice(sorted(members))
    op = rnd.choice(["truncate", "truncate", "remove", "add", "empty", "garble"])
    if op == "truncate":
        members[name] = members[name][: rnd.randrange(len(members[name]) + 1)]
        return f"truncate member {name} to {len(members[name])} bytes"
    if op == "remove":
        del members[name]
        return f"remove member {name}"
    if op == "add":
        extra = rnd.choice(EXTRA_MEMBERS + ODD_STRINGS[1:8])
        members[extra] = rnd.choice([b"", b"{}", members[name]])
        return f"add member {extra!r}"
    if op == "empty":
        members[name] = b""
        return f"empty member {name}"
    data = bytearray(members[name])
    for _ in range(rnd.choice([1, 4, 32])):
        if data:
            data[rnd.randrange(len(data))] = rnd.randrange(256)
    members[name] = bytes(data)
    return f"garble bytes of member {name}"


def mutate_archive(source: Path, target: Path, rnd: random.Random, count: int | None = None) -> list[str]:
    """Copy a `.keras` archive to `target` with 1-3 mutations; returns their descriptions."""
    members = _read_members(source)
    done = []
    cut = None
    for _ in range(count or rnd.choice([1, 1, 2, 3])):
        what = rnd.choice(["config.json"] * 5 + ["metadata.json", "weights", "weights", "member", "member", "zip"])
        if what == "weights":
            done.append(_mutate_weights_member(members, rnd))
        elif what == "member":
            done.append(_mutate_member(members, rnd))
        elif what == "zip":
            cut = rnd.random()
            done.append(f"cut the zip to {cut:.0%} of its bytes")
        else:
            done.append(_mutate_json_member(members, what, rnd))
    _write_members(target, members)
    if cut is not None:
        data = target.read_bytes()
        target.write_bytes(data[: int(len(data) * cut)])
    return done
