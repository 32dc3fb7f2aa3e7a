"""Label-cardinality inconsistency combined with max-margin uncertainty.

Li & Guo, *Active Learning with Multi-Label SVM Classification*, IJCAI 2013. For an item ``x``
with per-label scores ``f_l(x)`` (0 on the decision boundary, positive = predicted positive):

- separation margin ``sepMargin(x) = min_{f_l ≥ 0} f_l(x) − max_{f_l < 0} f_l(x)`` and
  uncertainty ``u(x) = 1 / sepMargin(x)``: small when the weakest predicted positive and the
  strongest predicted negative are both near the boundary;
- label cardinality inconsistency ``c(x) = |#{l : f_l(x) ≥ 0} − mean cardinality|``, the mean
  taken over the labelled data;
- the query score ``q(x) = u(x)^β · c(x)^(1−β)``.

Here ``f_l`` is the log-odds of the members' mean probability minus the log-odds of the label's
decision threshold, so "0 is the boundary" holds as for an SVM. Only unknown cells enter the
margin (a known cell needs no asking); the predicted cardinality counts every label of the item.
An empty side of the margin counts as the boundary itself (0), so an item predicted all-negative
is ranked by how close its strongest label is, instead of never (as ``1/∞`` would). The mean
cardinality is the sum over labels of each label's positive rate among its answered cells
(labels with no answer yet contribute the pool's mean probability), which equals the mean number
of positives per item when items are fully labelled and stays defined when cells are asked one
at a time.

Unit ``cell`` ranks cells by ``(1 / |f_l(x)|)^β · c(x)^(1−β)``. Selection is deterministic
(query probability 1); ties go to the lower item index, then the lower label index, whatever
order the pool arrives in.
"""

from __future__ import annotations

import numpy as np

from alframe.errors import PluginError
from alframe.policies.base import PoolScores, Queries, QueryContext

PLUGIN = "alframe-cardinality"
EPS = 1e-6  # keeps 1/margin finite on the boundary
CLIP = 1e-7  # probabilities are clipped to [CLIP, 1 - CLIP] before log-odds


class CardinalityPolicy:
    """``cardinality(beta=0.5, count=hard)``; see the module docstring."""

    name = "cardinality"
    mc_samples = 0

    def __init__(self, beta: float = 0.5, count: str = "hard") -> None:
        if not 0.0 <= beta <= 1.0:
            raise ValueError(f"beta must lie in [0, 1], got {beta}")
        if count not in ("hard", "soft"):
            raise ValueError(f"count must be 'hard' or 'soft', got {count!r}")
        self.beta = float(beta)
        self.count = count

    def select(self, scores: PoolScores, ctx: QueryContext) -> Queries:
        if ctx.unit not in ("item", "cell"):
            raise PluginError(f"unknown query unit {ctx.unit!r}", plugin=PLUGIN, hook="alframe_query")
        n = len(scores.items)
        if ctx.batch <= 0 or n == 0:
            return Queries.empty()
        if scores.probs.ndim != 3 or scores.probs.shape[2] == 0:
            raise PluginError("cardinality needs probabilities [n, L, K] with K ≥ 1", plugin=PLUGIN, hook="alframe_query")
        order = np.argsort(np.asarray(scores.items), kind="stable")  # [n] item-index order
        items = np.asarray(scores.items, dtype=np.int64)[order]  # [n]
        p = scores.probs.mean(dim=-1).double().numpy()[order]  # [n, L] consensus probability
        if np.isnan(p).any():
            raise PluginError("the pool scores contain NaN probabilities", plugin=PLUGIN, hook="alframe_query")
        known = np.asarray(scores.known, dtype=bool)[order]  # [n, L]
        f = log_odds(p) - log_odds(np.asarray(scores.thresholds, dtype=np.float64))  # [n, L]
        c = inconsistency(p, f, scores, self.count)  # [n]
        if ctx.unit == "item":
            u = 1.0 / (separation_margin(f, known) + EPS)  # [n]
            q = u**self.beta * c ** (1.0 - self.beta)  # [n]
            q[known.all(axis=1)] = -np.inf
            pos = top_k(q, ctx.batch)
            return Queries(
                items=items[pos],
                labels=np.full(len(pos), -1, dtype=np.int64),
                prob=np.ones(len(pos)),
                score=q[pos],
            )
        u_cell = 1.0 / (np.abs(f) + EPS)  # [n, L]
        q_cell = u_cell**self.beta * c[:, None] ** (1.0 - self.beta)  # [n, L]
        q_cell[known] = -np.inf
        n_labels = q_cell.shape[1]
        flat = q_cell.ravel()  # [n·L], row-major: position order = (item, label) order
        pos = top_k(flat, ctx.batch)
        return Queries(
            items=items[pos // n_labels],
            labels=(pos % n_labels).astype(np.int64),
            prob=np.ones(len(pos)),
            score=flat[pos],
        )


def log_odds(p: np.ndarray) -> np.ndarray:
    q = np.clip(p, CLIP, 1.0 - CLIP)
    return np.log(q) - np.log1p(-q)


def separation_margin(f: np.ndarray, known: np.ndarray) -> np.ndarray:
    """``[n]``: weakest predicted positive minus strongest predicted negative, unknown cells only."""
    unknown = ~known  # [n, L]
    weakest_pos = np.where(unknown & (f >= 0), f, np.inf).min(axis=1, initial=np.inf)  # [n]
    strongest_neg = np.where(unknown & (f < 0), f, -np.inf).max(axis=1, initial=-np.inf)  # [n]
    weakest_pos[np.isinf(weakest_pos)] = 0.0
    strongest_neg[np.isinf(strongest_neg)] = 0.0
    return weakest_pos - strongest_neg


def mean_cardinality(p: np.ndarray, scores: PoolScores) -> float:
    """Expected positives per item: each label's positive rate among its answered cells."""
    answered = np.asarray(scores.label_answered, dtype=np.float64)  # [L]
    positives = np.asarray(scores.label_positives, dtype=np.float64)  # [L]
    pool_rate = p.mean(axis=0) if len(p) else np.zeros_like(answered)  # [L]
    rate = np.where(answered > 0, positives / np.maximum(answered, 1.0), pool_rate)  # [L]
    return float(rate.sum())


def inconsistency(p: np.ndarray, f: np.ndarray, scores: PoolScores, count: str) -> np.ndarray:
    """``[n]``: |predicted cardinality − mean cardinality of the labelled data|."""
    predicted = (f >= 0).sum(axis=1).astype(np.float64) if count == "hard" else p.sum(axis=1)  # [n]
    return np.abs(predicted - mean_cardinality(p, scores))


def top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` largest values, best first, ties to the lower position.

    ``-inf`` (and NaN) mark non-candidates. One partition, then a sort of the chosen only.
    """
    candidates = np.flatnonzero(values > -np.inf)  # [m] ascending positions
    k = min(k, len(candidates))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    v = values[candidates]
    if k < len(candidates):
        kth = np.partition(v, len(v) - k)[len(v) - k]
        above = candidates[v > kth]
        tied = candidates[v == kth][: k - len(above)]
        candidates = np.concatenate([above, tied])
    return candidates[np.lexsort((candidates, -values[candidates]))].astype(np.int64)
