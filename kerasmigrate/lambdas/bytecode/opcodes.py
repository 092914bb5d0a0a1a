"""The opcode tables of tables.py as objects, and which tables each marshal layout may hold.

A marshal layout (stream.HEADS) narrows the writer to a group of Python versions; the
tables of a group are all tried (kerasmigrate/lambdas/bytecode/__init__.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from kerasmigrate.lambdas.bytecode.tables import TABLES

# Tables per marshal layout, oldest first (3.0-3.3 wrote the 3.0-3.7 layout too, with
# opcodes this project has no table for: such code decodes under none of them).
GROUPS = {
    "2.7": ("2.7",),
    "3.0-3.7": ("3.4", "3.5", "3.6", "3.7"),
    "3.8-3.10": ("3.8", "3.9", "3.10"),
    "3.11+": ("3.11", "3.12"),
}
ORDER = tuple(v for versions in GROUPS.values() for v in versions)
CLASS_LETTERS = {"r": "jrel", "a": "jabs", "c": "const", "n": "name", "l": "local", "f": "free"}


@dataclass(frozen=True)
class OpcodeTable:
    version: str
    names: dict  # opcode number -> name
    classes: dict  # name -> set of "jrel", "jabs", "const", "name", "local", "free"
    cache: dict  # name -> inline CACHE entries after it (3.11+)
    have_argument: int
    cmp_op: tuple
    nb_ops: tuple

    @property
    def numeric(self) -> tuple:
        return tuple(int(p) for p in self.version.split("."))

    @property
    def wordcode(self) -> bool:
        """Two bytes per instruction from 3.6 (python/cpython issue #26647); 1 or 3 before."""
        return self.numeric >= (3, 6)

    def is_(self, name: str, cls: str) -> bool:
        return cls in self.classes.get(name, ())


@cache
def table(version: str) -> OpcodeTable:
    data = TABLES[version]
    names, classes, entries = {}, {}, {}
    for item in data["ops"].split():
        name, _, rest = item.partition("=")
        number, _, count = rest.partition(":")
        digits = number.rstrip("".join(CLASS_LETTERS))
        names[int(digits)] = name
        classes[name] = frozenset(CLASS_LETTERS[c] for c in number[len(digits) :])
        if count:
            entries[name] = int(count)
    return OpcodeTable(
        version=version,
        names=names,
        classes=classes,
        cache=entries,
        have_argument=data["have_argument"],
        cmp_op=tuple(data["cmp_op"].split("|")),
        nb_ops=tuple(data.get("nb_ops", "").split()),
    )


def label(versions) -> str:
    """ "3.8-3.10" for consecutive tables, "3.6, 3.8" otherwise."""
    versions = sorted(versions, key=ORDER.index)
    if not versions:
        return ""
    indices = [ORDER.index(v) for v in versions]
    if len(versions) > 1 and indices == list(range(indices[0], indices[0] + len(indices))):
        return f"{versions[0]}-{versions[-1]}"
    return ", ".join(versions)
