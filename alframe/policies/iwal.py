"""The ``iwal`` policy: importance-weighted active learning.

Beygelzimer, Dasgupta & Langford, *Importance Weighted Active Learning*, ICML 2009;
Beygelzimer, Hsu, Langford & Zhang, *Agnostic Active Learning Without Constraints*, NIPS 2010
(the rejection-threshold rule, in the form Vowpal Wabbit's ``--active`` mode uses).

Every candidate (an item, or one item–label cell with unit ``cell``) gets a query probability
``p ∈ (0, 1]`` from a base signal; a seeded coin with probability ``p`` decides whether it is
asked; an answer obtained that way carries the importance weight ``1/p`` in the loss, which
makes the weighted loss over the asked candidates an unbiased estimate of the loss over all of
them however uneven the ``p`` are.

Two rules turn the signal into ``p``:

- ``floor``: ``p = max(p_min, s · signal)``, the signal being the base measure scaled to [0, 1].
- ``threshold``: with ``k`` candidates seen, error gap ``g``, loss bound ``L`` and mellowness
  ``c0``: ``b = c0·ln(k+1)/k``, ``s = √L + √(L+g)``; ``p = 1`` if ``g ≤ √b·s + b``, else the
  ``p`` solving ``g = s·√(b/p) + b/p``. The gap ``g`` comes from the committee
  (``|p̄ − t| / σ``: the consensus' distance from the threshold in member spreads) or, with
  one member or an uncertainty base, from the margin ``|2p' − 1|``. Where all members agree
  ``σ → 0`` and the rule alone gives ``p`` near 1e-8 (weights near 10^8), so ``floor`` bounds
  it from below here too, as the minimum query probability of Beygelzimer, Dasgupta & Langford
  (2009) does; ``floor=0.000001`` gives the rule as stated.

With ``fit_batch`` the probabilities are rescaled so the round's expected number of queries is
the batch (see :func:`fit_to_batch`). Coins are independent (``sampling=poisson``, the papers'
scheme: the number asked is random with mean ``batch`` and is never truncated, since dropping
the overflow would bias the estimator) or coupled (``sampling=systematic``: exactly the batch,
each candidate still asked with probability exactly ``p``).

With ``top`` (``auto``: 0.9 for cell queries, 0 for items) that share of the batch — of each
label's share, balanced — is asked for sure (``p = 1``) at the candidates with the largest rule
``p``, and the rest by coins over all the others with ``p`` fitted to the rest
(:func:`fit_with_top`). Every candidate keeps a known ``p > 0``, so the estimator stays
unbiased; the coins' weights are large (few coins over many candidates), which is why the
recipe clips them (docs/strategies.md, "A sure head and a sampled tail").
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from alframe.errors import PluginError
from alframe.policies import measures
from alframe.policies.args import IWALArgs
from alframe.policies.base import PoolScores, Queries, QueryContext
from alframe.policies.committee import single_member_warning
from alframe.policies.select import (
    BALANCES,
    CellFn,
    aggregate,
    check_cell_scores,
    check_context,
    kth_largest,
    prepared,
    resolved_balance,
    top_k,
)
from alframe.policies.stream import StreamedCells
from alframe.protocols import PolicyBase

BASES = ("uncertainty", "margin", "disagreement", "bald")
COMMITTEE_BASES = ("disagreement", "bald")
#: ``top=auto``: the share of a cell round asked for sure. Items take none: in the policy study
#: (FOLDOC, docs/results.md) the items with the largest p (their most uncertain cell) asked for
#: sure lost to every item asked by coin (micro-F1 0.50 against 0.55 after 57,000 answers).
AUTO_TOP_CELLS = 0.9
#: Coins drawn at once (float64 uniforms: 32 MiB); a pool of 10^6 items × 131 labels has 131M
#: candidate cells, whose uniforms at once would take 1 GiB.
COIN_BLOCK = 1 << 22
#: Smallest query probability a rule may produce (keeps p strictly positive).
P_TINY = 1e-12
_LN2 = math.log(2.0)


def threshold_rule(gap: torch.Tensor, k: int, c0: float, loss_bound: float) -> torch.Tensor:
    """The rejection-threshold rule (Beygelzimer et al. 2010, as in VW ``--active``).

    ``b = c0·ln(k+1)/k``, ``s = √L + √(L+g)``; ``p = 1`` when ``g ≤ √b·s + b``; otherwise
    ``p = b·((s + √(s² + 4g)) / (2g))²``, the root of ``g = s·√(b/p) + b/p``. With ``k ≤ 1``
    nothing is known yet and ``p = 1``.

    :param gap: error gaps ``g ≥ 0``, any shape and float dtype.
    :returns: ``p`` in ``(0, 1]``, same shape and dtype.
    """
    if k <= 1:
        return torch.ones_like(gap)
    b = c0 * math.log(k + 1.0) / k
    s = math.sqrt(loss_bound) + (loss_bound + gap).sqrt()
    inside = gap <= math.sqrt(b) * s + b
    root = (s + (s * s + 4.0 * gap).sqrt()) / (2.0 * gap)  # inf/NaN only where ``inside``
    p = torch.where(inside, torch.ones_like(gap), b * root * root)
    return p.clamp_(P_TINY, 1.0)


def threshold_probability(gap: np.ndarray, k: int, c0: float, loss_bound: float) -> np.ndarray:
    """:func:`threshold_rule` on a NumPy array, in float64."""
    g = torch.from_numpy(np.asarray(gap, dtype=np.float64))
    return threshold_rule(g, k, c0, loss_bound).numpy()


def floor_rule(signal: torch.Tensor, floor: float, scale: float) -> torch.Tensor:
    """``p = max(p_min, s·signal)``, capped at 1."""
    return (signal * scale).clamp_(max(floor, P_TINY), 1.0)


def floor_probability(signal: np.ndarray, floor: float, scale: float) -> np.ndarray:
    """:func:`floor_rule` on a NumPy array, in float64."""
    return floor_rule(torch.from_numpy(np.asarray(signal, dtype=np.float64)), floor, scale).numpy()


def fit_to_batch(p: np.ndarray, batch: int) -> np.ndarray:
    """Rescale ``p`` (0 = not a candidate) so that ``Σ min(1, λp) = batch``; dtype kept.

    Capping at 1 moves the sum, so this is water-filling: if the ``m`` largest ``p`` cap, the
    rest must fill ``batch − m`` and ``λ_m = (batch − m) / (Σp − S_m)`` (``S_m``: the sum of
    the ``m`` largest). Iterating "scale, cap, rescale" from ``m = 0`` only ever caps more and
    stops at the smallest ``m`` whose next value stays below 1; since at most ``batch``
    candidates can cap, that ``m`` is found at once among the ``batch + 1`` largest values (one
    partition of ``p``, then a sort of those few) instead of by repeated passes over the pool.
    When the batch is at least the number of candidates, all of them get p = 1.
    """
    p = np.asarray(p)
    if not np.issubdtype(p.dtype, np.floating):
        p = p.astype(np.float64)
    if batch <= 0:
        return np.zeros_like(p)
    if batch >= np.count_nonzero(p):
        return (p > 0).astype(p.dtype)
    total = float(p.sum(dtype=np.float64))
    cut = p.dtype.type(kth_largest(p, batch + 1))
    above = p[p > cut]
    top = np.concatenate([np.sort(above)[::-1], np.full(batch + 1 - len(above), cut)])
    top = top.astype(np.float64)  # [batch + 1] the largest values, largest first
    capped_sum = np.concatenate(([0.0], np.cumsum(top[:-1])))  # [batch + 1] S_m, m = 0..batch
    m = np.arange(batch + 1)
    lam = (batch - m) / np.maximum(total - capped_sum, 1e-300)  # [batch + 1] λ_m
    first = int(np.argmax(lam * top < 1.0))  # smallest m whose (m+1)-th value stays uncapped
    first = min(first, batch - 1)  # m = batch would need every other p to be 0: only by rounding
    out = p * p.dtype.type(lam[first])
    return np.minimum(out, 1.0, out=out)


def fit_with_top(p: np.ndarray, batch: int, top: float, fit: bool = True) -> np.ndarray:
    """Query probabilities with ``round(top · batch)`` of the batch asked for sure: the
    candidates with the largest ``p`` (ties → lower position) get ``p = 1``; the others keep the
    rule's ``p``, fitted to the rest of the batch when ``fit`` (:func:`fit_to_batch`).

    Every candidate keeps a known ``p > 0``, so the weighted loss stays unbiased; the sure part is
    what a deterministic policy would ask, the coins explore the rest with weights ``1/p``.
    """
    if top <= 0.0 or batch <= 0:
        return fit_to_batch(p, batch) if fit else p
    head = top_k(np.where(p > 0, p, -np.inf), min(batch, int(round(top * batch))))
    rest = p.copy()
    rest[head] = 0
    out = fit_to_batch(rest, batch - len(head)) if fit else rest
    out[head] = 1.0
    return out


def label_quotas(candidates: np.ndarray, batch: int) -> np.ndarray:
    """int64 ``[L]``: an equal share of ``batch`` for every label with candidates (``candidates``:
    its unknown cells), none above what it has; a label's unused share goes to the others
    (water-filling), and the remainder of an uneven split one each to the labels with the
    largest fractional share (then the lower label index)."""
    counts = np.asarray(candidates, dtype=np.int64)
    share = np.zeros(len(counts), dtype=np.float64)
    left, open_ = float(min(batch, int(counts.sum()))), counts > 0
    while open_.any():  # each pass caps at least one label, or shares out the rest
        even = left / int(open_.sum())
        capped = open_ & (counts <= even)
        if not capped.any():
            share[open_] = even
            break
        share[capped] = counts[capped]
        left -= float(counts[capped].sum())
        open_ &= ~capped
    quotas = np.floor(share + 1e-9).astype(np.int64)
    rest = int(round(share.sum())) - int(quotas.sum())
    if rest > 0:
        frac = np.where(quotas < counts, share - quotas, -1.0)
        order = np.lexsort((np.arange(len(counts)), -frac))[:rest]
        quotas[order] += 1
    return quotas


def fit_per_label(cell_p: np.ndarray, batch: int, top: float = 0.0) -> np.ndarray:
    """``[n, L]`` probabilities fitted label by label (:func:`fit_with_top`) to
    :func:`label_quotas`: each label's expected number of queries is its share of the batch,
    ``top`` of that share asked for sure among the label's largest ``p``."""
    out = np.zeros_like(cell_p)
    quotas = label_quotas(np.count_nonzero(cell_p > 0, axis=0), batch)
    for j in np.flatnonzero(quotas):
        out[:, j] = fit_with_top(np.ascontiguousarray(cell_p[:, j]), int(quotas[j]), top)
    return out


def draw(p: np.ndarray, rng: np.random.Generator, sampling: str, row_len: int = 1) -> np.ndarray:
    """Positions asked, ascending; position ``i`` is asked with probability exactly ``p[i]``.

    ``poisson``: one independent coin per candidate. ``systematic``: rows (runs of
    ``row_len`` positions: one item's cells) in a random order, then one uniform start and unit
    steps along the cumulated ``p`` — the same inclusion probabilities, and exactly ``Σp``
    (rounded) queries. Shuffling rows rather than single cells keeps it a cheap row gather
    (a cell-level permutation of a 20M-cell pool costs a second); an item's cells stay
    neighbours, so two of them share a unit step only when their ``p`` sum past 1.
    """
    if sampling == "poisson":  # the coins a block at a time: the same draws as one call, a block's memory
        hits = [np.flatnonzero(rng.random(min(COIN_BLOCK, p.shape[0] - s)) < p[s : s + COIN_BLOCK]) + s
                for s in range(0, p.shape[0], COIN_BLOCK)]
        return np.concatenate(hits) if hits else np.zeros(0, dtype=np.int64)
    rows = rng.permutation(p.shape[0] // row_len)  # [n]
    shuffled = p.reshape(-1, row_len)[rows].ravel()  # [n·row_len] rows in random order
    cum = np.cumsum(shuffled, dtype=np.float64)
    if len(cum) == 0 or cum[-1] <= 0.0:
        return np.zeros(0, dtype=np.int64)
    points = rng.random() + np.arange(math.ceil(cum[-1]))  # spaced by exactly 1
    hit = np.searchsorted(cum, points, side="right")
    hit = np.unique(hit[hit < len(cum)])  # [k] positions in the shuffled order
    return np.sort(rows[hit // row_len] * row_len + hit % row_len)


@dataclass(eq=False)
class IWALPolicy(IWALArgs, PolicyBase):
    """Query with probability p from a base signal; answers carry the weight 1/p."""

    name = "iwal"

    def __post_init__(self) -> None:
        if self.base not in BASES:
            raise ValueError(f"unknown iwal base {self.base!r}; one of {BASES}")
        if self.rule not in ("floor", "threshold"):
            raise ValueError(f"unknown iwal rule {self.rule!r}; one of floor, threshold")
        if self.sampling not in ("poisson", "systematic"):
            raise ValueError(f"unknown iwal sampling {self.sampling!r}; one of poisson, systematic")
        if self.balance not in BALANCES:
            raise ValueError(f"unknown iwal balance {self.balance!r}; one of {BALANCES}")
        if self.top != "auto" and not (isinstance(self.top, (int, float)) and 0.0 <= float(self.top) <= 1.0):
            raise ValueError(f"iwal top must be auto or a share in [0, 1], not {self.top!r}")
        self.warning: str | None = None

    def cell_probabilities(self, scores: PoolScores, n_seen: int) -> np.ndarray:
        """Per-cell query probabilities ``[n, L]`` (float32) from the rule, before batch fitting:
        those the scorer streamed (:class:`~alframe.policies.stream.StreamedCells`), or the
        rule run over the pool's probabilities now.

        The rule runs inside the chunked measure, so no float64 ``[n, L]`` temporaries exist.
        """
        if isinstance(scores.streamed, StreamedCells):
            if scores.streamed.n_seen != n_seen:
                raise PluginError(f"the pool was streamed for {scores.streamed.n_seen} candidates seen, but the "
                                  f"query has seen {n_seen}", hook="alframe_query")
            return scores.streamed.cell
        cell = measures.map_rows(scores.probs, self.cell_fn(scores, int(scores.probs.shape[2]), n_seen))  # [n, L]
        check_cell_scores(cell, self.name)
        return cell.numpy()

    def cell_fn(self, scores: PoolScores, members: int, n_seen: int) -> CellFn:
        """The rule in chunk form, ``[c, L, K] → [c, L]`` query probabilities, for this pool's
        thresholds, ``members`` (K) and ``n_seen`` candidates seen (the threshold rule's k):
        what the whole path maps over the pool, and the streamed scorer over each chunk."""
        t = torch.as_tensor(np.asarray(scores.thresholds, dtype=np.float32))  # [L]
        committee = self._uses_committee(members)
        if self.rule == "threshold":
            gap = self._gap_fn(t, committee)
            k, c0, bound, floor = n_seen, self.c0, self.loss_bound, max(self.floor, P_TINY)

            def fn(chunk: torch.Tensor) -> torch.Tensor:
                # members in full agreement would give p ≈ 1e-8: the floor bounds it
                return threshold_rule(gap(chunk), k, c0, bound).clamp_min_(floor)

        else:
            signal = self._signal_fn(t, committee)

            def fn(chunk: torch.Tensor) -> torch.Tensor:
                return floor_rule(signal(chunk), self.floor, self.scale)

        return fn

    def _uses_committee(self, members: int) -> bool:
        if self.base not in COMMITTEE_BASES:
            return False
        if members >= 2:
            return True
        if self.warning is None:
            self.warning = single_member_warning(f"iwal(base={self.base})")
        return False

    def _signal_fn(self, t: torch.Tensor, committee: bool) -> CellFn:
        """The base measure scaled to [0, 1] (``[c, L, K] → [c, L]``)."""
        if committee and self.base == "disagreement":
            return lambda chunk: measures.vote_entropy(chunk, t) / _LN2
        if committee:
            return lambda chunk: measures.mutual_information(chunk) / _LN2
        if self.base == "margin":
            return lambda chunk: measures.margin(measures.recentre(measures.mean_prob(chunk), t))
        return lambda chunk: measures.entropy(measures.recentre(measures.mean_prob(chunk), t)) / _LN2

    @staticmethod
    def _gap_fn(t: torch.Tensor, committee: bool) -> CellFn:
        """The error gap ``g`` (``[c, L, K] → [c, L]``): member spreads, or the margin."""
        if committee:
            return lambda chunk: measures.committee_gap(chunk, t)
        return lambda chunk: measures.margin_gap(measures.recentre(measures.mean_prob(chunk), t))

    def candidate_probabilities(
        self, scores: PoolScores, ctx: QueryContext
    ) -> tuple[np.ndarray, np.ndarray]:
        """``p`` per candidate (``[n]`` items or ``[n·L]`` cells), 0 for non-candidates.

        :returns: the rule's ``p`` and the batch-fitted ``p`` the coins are flipped against
            (the same array when ``fit_batch`` is off).
        """
        known = np.asarray(scores.known, dtype=bool)  # [n, L]
        cell_p = self.cell_probabilities(scores, ctx.n_seen)  # [n, L]
        top = self.resolved_top(ctx.unit)
        if ctx.unit == "item":
            p = aggregate(cell_p, known, self.combine)  # [n] float64, -inf when every cell is known
            p[~np.isfinite(p)] = 0.0
            return p, fit_with_top(p, ctx.batch, top, self.fit_batch)
        cell_p[known] = 0.0
        p = cell_p.ravel()  # [n·L] float32
        if self.fit_batch and resolved_balance(self.balance, ctx.unit) == "labels":
            return p, fit_per_label(cell_p, ctx.batch, top).ravel()
        return p, fit_with_top(p, ctx.batch, top, self.fit_batch)

    def resolved_top(self, unit: str) -> float:
        """``top`` as a share: ``auto`` is :data:`AUTO_TOP_CELLS` for cell queries, 0 for items."""
        if self.top == "auto":
            return AUTO_TOP_CELLS if unit == "cell" else 0.0
        return float(self.top)

    def select(self, scores: PoolScores, ctx: QueryContext) -> Queries:
        if isinstance(scores.streamed, StreamedCells):  # the scorer ran the rule chunk by chunk
            check_context(ctx)
        else:
            scores = prepared(scores, ctx, self.name)
        if ctx.batch == 0:
            return Queries.empty()
        raw, p = self.candidate_probabilities(scores, ctx)
        pos = draw(p, ctx.rng, self.sampling, 1 if ctx.unit == "item" else scores.known.shape[1])
        if ctx.unit == "item":
            items, labels = scores.items[pos], np.full(len(pos), -1, dtype=np.int64)
        else:
            n_labels = scores.known.shape[1]
            items, labels = scores.items[pos // n_labels], (pos % n_labels).astype(np.int64)
        return Queries(
            items=items.astype(np.int64),
            labels=labels,
            prob=p[pos].astype(np.float64),  # exactly the p the coin used
            score=raw[pos].astype(np.float64),
        )
