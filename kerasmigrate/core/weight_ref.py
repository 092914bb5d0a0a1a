"""A reference to one stored weight: what every reader (HDF5, SavedModel) hands the passes."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class WeightRef:
    """One stored weight: its legacy name and where its dataset lives."""

    name: str
    dataset_path: str
    shape: tuple[int, ...]
    dtype: str

    @property
    def basename(self) -> str:
        """`dense_1/kernel:0` -> `kernel`."""
        last = self.name.split("/")[-1]
        return last.split(":")[0]

    @property
    def components(self) -> list[str]:
        return [c.split(":")[0] for c in self.name.split("/")]

    @property
    def nbytes(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64)) * np.dtype(self.dtype).itemsize
