"""The ``uncertainty`` policy: ask where the model is least sure, cell by cell.

Lewis & Gale, *A sequential algorithm for training text classifiers*, SIGIR 1994; the three
measures as surveyed by Settles, *Active Learning Literature Survey*, 2009, §3.1.

The model's probability for a cell is the members' mean ``p̄``, recentred on the label's decision
threshold (:func:`alframe.policies.measures.recentre`), so "uncertain" means "close to the
threshold the model predicts with". Scores are aggregated over an item's unknown labels by mean,
max or sum when the unit is ``item``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from alframe.policies import measures
from alframe.policies.args import UncertaintyArgs
from alframe.policies.base import PoolScores
from alframe.policies.diversity import RankingPolicy
from alframe.policies.select import (
    CellFn,
    rare_label_weights,
    with_rare_bonus,
)

MEASURES = {
    "least_confidence": measures.least_confidence,
    "margin": measures.margin,
    "entropy": measures.entropy,
}


def uncertainty_fn(measure: str, thresholds: np.ndarray | None) -> CellFn:
    """A chunk function ``[c, L, K] → [c, L]`` for one of :data:`MEASURES`."""
    fn = MEASURES[measure]
    t = None if thresholds is None else torch.as_tensor(np.asarray(thresholds, dtype=np.float32))

    def score(chunk: torch.Tensor) -> torch.Tensor:
        return fn(measures.recentre(measures.mean_prob(chunk), t))

    return score


@dataclass(eq=False)
class UncertaintyPolicy(UncertaintyArgs, RankingPolicy):
    """Least confidence, margin or entropy of the consensus probability; deterministic (p = 1)."""

    name = "uncertainty"

    def __post_init__(self) -> None:
        if self.measure not in MEASURES:
            raise ValueError(f"unknown uncertainty measure {self.measure!r}; one of {sorted(MEASURES)}")
        super().__post_init__()

    def cell_fn(self, scores: PoolScores, members: int) -> CellFn:
        fn = uncertainty_fn(self.measure, scores.thresholds)
        return with_rare_bonus(fn, rare_label_weights(scores), self.rare_bonus)
