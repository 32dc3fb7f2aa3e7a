"""The ``simulated`` oracle: answers from the data set's hidden labels, optionally noisy.

Simulated annotation is how active-learning strategies are compared (Settles, *Active Learning
Literature Survey*, 2009, §6); the noise option is the uniform random-flip annotator of Sheng,
Provost & Ipeirotis, *Get another label?*, KDD 2008, so a strategy's robustness to an imperfect
person can be measured.
"""

from __future__ import annotations

import numpy as np

from alframe.data.dataset import UNKNOWN, Dataset
from alframe.oracles.cells import as_cells


class SimulatedOracle:
    """Looks the answer up in ``dataset.labels``; a cell the data set does not know stays -1."""

    source = "simulated"

    def __init__(self, noise: float = 0.0):
        if not 0.0 <= noise <= 0.5:
            raise ValueError(f"simulated oracle noise must be in [0, 0.5], got {noise!r}")
        self.noise = float(noise)

    def answer(
        self, dataset: Dataset, items: np.ndarray, labels: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Answers for the cells ``(items[i], labels[i])``: int8 0/1, or -1 where unknown.

        The flip coins are drawn for every cell (answerable or not) so that the random stream,
        and therefore every later answer, does not depend on which cells the data set knows.
        """
        items, labels = as_cells(dataset, items, labels)
        truth = dataset.labels[items, labels].astype(np.int8)  # [m]
        if self.noise == 0.0:
            return truth
        flip = (rng.random(len(items)) < self.noise) & (truth != UNKNOWN)  # [m]
        return np.where(flip, 1 - truth, truth).astype(np.int8)

