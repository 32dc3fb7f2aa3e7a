"""Committee policies: ``disagreement`` (query by committee) and ``bald``.

- Seung, Opper & Sompolinsky, *Query by committee*, COLT 1992; Dagan & Engelson,
  *Committee-based sampling for training probabilistic classifiers*, ICML 1995 (vote entropy);
  McCallum & Nigam, *Employing EM and pool-based active learning for text classification*,
  ICML 1998 (KL divergence to the consensus).
- Houlsby, Huszár, Ghahramani & Lengyel, *Bayesian Active Learning for Classification and
  Preference Learning*, 2011 (BALD); Gal, Islam & Ghahramani, *Deep Bayesian Active Learning
  with Image Data*, ICML 2017 (MC dropout as the posterior samples).

The committee is the K axis of :class:`~alframe.policies.base.PoolScores`: ensemble members, or
MC-dropout samples when ``bald(mc_dropout=N)`` asks the scorer for ``N`` of them through the
policy's ``mc_samples`` attribute.

**One member.** One model cannot disagree with itself: vote entropy, KL to the consensus and
mutual information are all exactly 0. Rather than ranking the pool by a constant (which would
silently turn into "lowest item ids first"), both policies fall back to uncertainty sampling by
the entropy of the single member's probability — BALD's first term, the closest single-model
relative — and set ``policy.warning`` once, for the engine to show.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from alframe.policies import measures
from alframe.policies.args import BaldArgs, DisagreementArgs
from alframe.policies.base import PoolScores
from alframe.policies.diversity import RankingPolicy
from alframe.policies.select import (
    CellFn,
    rare_label_weights,
    with_rare_bonus,
)
from alframe.policies.uncertainty import uncertainty_fn

FALLBACK_MEASURE = "entropy"


def single_member_warning(policy: str) -> str:
    return (
        f"policy {policy!r} needs a committee (ensemble ≥ 2 or MC-dropout samples) but got one "
        f"member; it ranks by the {FALLBACK_MEASURE} of that member's probability instead "
        "(uncertainty sampling)"
    )


class _CommitteePolicy(RankingPolicy):
    """Shared flow: committee measure per cell, fallback with one member, then the ranking."""

    name = "committee"

    def __post_init__(self) -> None:
        super().__post_init__()
        self.warning: str | None = None

    def committee_fn(self, thresholds: torch.Tensor) -> CellFn:
        raise NotImplementedError

    def cell_fn(self, scores: PoolScores, members: int) -> CellFn:
        """The per-chunk measure for this pool: the committee's, or the fallback with K = 1;
        rare bonus included."""
        if members == 1:
            if self.warning is None:
                self.warning = single_member_warning(self.name)
            fn = uncertainty_fn(FALLBACK_MEASURE, scores.thresholds)
        else:
            fn = self.committee_fn(torch.as_tensor(np.asarray(scores.thresholds, dtype=np.float32)))
        return with_rare_bonus(fn, rare_label_weights(scores), self.rare_bonus)


@dataclass(eq=False)
class DisagreementPolicy(DisagreementArgs, _CommitteePolicy):
    """Where members disagree: vote entropy of hard votes, or mean KL to the consensus."""

    name = "disagreement"

    def __post_init__(self) -> None:
        if self.measure not in ("vote_entropy", "kl"):
            raise ValueError(f"unknown disagreement measure {self.measure!r}; one of vote_entropy, kl")
        super().__post_init__()

    def committee_fn(self, thresholds: torch.Tensor) -> CellFn:
        if self.measure == "kl":  # mean KL to the consensus, by its cheaper equal: the MI
            return measures.mutual_information
        return lambda chunk: measures.vote_entropy(chunk, thresholds)


@dataclass(eq=False)
class BaldPolicy(BaldArgs, _CommitteePolicy):
    """Mutual information between a cell's answer and the model (members or MC dropout)."""

    name = "bald"

    def __post_init__(self) -> None:
        super().__post_init__()
        #: MC-dropout samples the scorer should draw (0: use the ensemble members)
        self.mc_samples = int(self.mc_dropout)

    def committee_fn(self, thresholds: torch.Tensor) -> CellFn:
        return measures.mutual_information
