"""The query-policy contract.

A policy turns per-member probabilities for the unlabelled pool into the cells to ask. Measures
(uncertainty, disagreement, mutual information) are separate from selection, as in modAL: a
policy computes a per-cell score, aggregates it per item when the unit is ``item``, then
selects. Every policy must:

- return at most ``ctx.batch`` queries (fewer when the pool is smaller), none of them a cell
  already answered, no duplicates;
- be deterministic for a given ``ctx.rng`` seed and invariant to the order of the pool
  (ties are broken by item index, which is item-id order, then by label index);
- give each query its query probability ``p`` (1.0 for a deterministic choice), so the engine
  can store it and give the answer the importance weight 1/p.

The Protocol itself, with every member the engine reads, is :class:`alframe.protocols.Policy`
(re-exported here); :class:`PolicyBase` holds the optional members at their defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from alframe.protocols import Policy, PolicyBase

__all__ = ["LabelledView", "Policy", "PolicyBase", "PoolScores", "Queries", "QueryContext"]


@dataclass
class LabelledView:
    """The items with at least one answer, as the current model sees them: what a policy
    needs to estimate the model's quality from the labels gathered (``adaptive``'s reward)."""

    items: np.ndarray  # int64 [m] dataset indices, ascending
    probs: np.ndarray  # float32 [m, L] the members' mean probability
    answers: np.ndarray  # int8 [m, L] current answers, -1 unknown
    prob: np.ndarray  # float32 [m, L] the stored query probability of each answer (1 where unknown)


@dataclass
class PoolScores:
    items: np.ndarray  # int64 [n] dataset indices of the candidate items, ascending
    probs: torch.Tensor  # float32 [n, L, K] probabilities from K members (or MC-dropout samples)
    known: np.ndarray  # bool [n, L] cells already answered (never to be asked again)
    label_positives: np.ndarray  # int64 [L] positives among answered cells so far
    label_answered: np.ndarray  # int64 [L] answered cells per label so far
    thresholds: np.ndarray  # float32 [L] current decision thresholds
    #: the answered items under the current model, filled only for a policy that sets the
    #: class attribute ``needs_labelled = True`` (one more forward pass, over those items)
    labelled: LabelledView | None = None
    #: float32 [n, d] the model's features of each candidate (the deep path's input to the heads,
    #: :meth:`alframe.models.bundle.ModelBundle.embed`), filled only for a policy that sets
    #: ``needs_embeddings = True`` (``diversity=badge|coreset|cluster``, ``diverse``): one forward pass
    embeddings: torch.Tensor | None = None
    #: set instead of whole-pool probabilities when the built-in scorer streamed the pool for a
    #: built-in ranking policy (:mod:`alframe.policies.stream`): that policy's bounded
    #: reduction, and ``probs`` is then ``[n, L, 0]`` (nothing of the pool's is kept) and
    #: ``embeddings``, for a diversity step, the features of the reduction's candidates only
    streamed: Any = None


@dataclass
class QueryContext:
    batch: int  # how many queries to return (items for unit "item", cells for unit "cell")
    unit: str  # "item" | "cell"
    rng: np.random.Generator  # seeded from the round seed: the only source of randomness
    n_seen: int  # candidates seen so far (IWAL's k): answered items (or cells)
    round: int
    #: what the policy recorded in each complete round before this one (its ``info`` after
    #: ``select``; ``{}`` where it recorded nothing), oldest first, kept in ``run.db`` and
    #: restored on resume, so a policy that learns across rounds is a function of the store
    history: list[dict[str, Any]] | None = None
    #: the seed round of a cell run: ask whole items (every unknown label of each) up to
    #: ``batch`` cells rather than cells scattered over the pool (``random`` honours it;
    #: ``diverse`` asks whole items anyway)
    whole: bool = False


@dataclass
class Queries:
    items: np.ndarray  # int64 [m] dataset indices
    labels: np.ndarray  # int64 [m] label index, or -1 for "every unknown label of the item"
    prob: np.ndarray  # float64 [m] query probability p in (0, 1]
    score: np.ndarray  # float64 [m] the policy's score for each query (for logs)

    def __len__(self) -> int:
        return len(self.items)

    @staticmethod
    def empty() -> Queries:
        z = np.zeros(0, dtype=np.int64)
        return Queries(z, z.copy(), np.zeros(0), np.zeros(0))
