"""The ``simulated`` oracle: answers from the data set's hidden labels, optionally noisy.

Simulated annotation is how active-learning strategies are compared (Settles, *Active Learning
Literature Survey*, 2009, §6); the noise option is the uniform random-flip annotator of Sheng,
Provost & Ipeirotis, *Get another label?*, KDD 2008, so a strategy's robustness to an imperfect
person can be measured.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from alframe.data.dataset import UNKNOWN, Dataset
from alframe.oracles.args import SimulatedArgs
from alframe.oracles.cells import as_cells
from alframe.protocols import OracleBase


@dataclass(eq=False)
class SimulatedOracle(SimulatedArgs, OracleBase):
    """Looks the answer up in ``dataset.labels``; a cell the data set does not know stays -1."""

    source = "simulated"

    def __post_init__(self) -> None:
        if not 0.0 <= self.noise <= 0.5:
            raise ValueError(f"simulated oracle noise must be in [0, 0.5], got {self.noise!r}")
        self.noise = float(self.noise)

    def answer(
        self, dataset: Dataset, items: np.ndarray, labels: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Answers for the cells ``(items[i], labels[i])``: int8 0/1, or -1 where unknown.

        Each cell's coin is a function of the cell and of one number drawn from ``rng``, not
        of the cell's position in the request: asking a cell alone, in another order or in
        another chunk (as a resumed round does) gives the same answer for the same ``rng``.
        """
        items, labels = as_cells(dataset, items, labels)
        truth = dataset.labels[items, labels].astype(np.int8)  # [m]
        if self.noise == 0.0:
            return truth
        key = np.uint64(rng.integers(0, 2**63))
        cell = items.astype(np.uint64) * np.uint64(dataset.n_labels) + labels.astype(np.uint64)
        flip = (cell_uniform(cell, key) < self.noise) & (truth != UNKNOWN)  # [m]
        return np.where(flip, 1 - truth, truth).astype(np.int8)


def cell_uniform(cell: np.ndarray, key: np.uint64) -> np.ndarray:
    """A uniform [0, 1) number per cell id: splitmix64 of (cell id, key), vectorised."""
    with np.errstate(over="ignore"):
        z = (cell ^ key) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)

