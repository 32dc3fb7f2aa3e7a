"""The ``random`` policy: uniform items (or cells) among those not yet fully answered.

Passive learning is the baseline every active policy must beat; without it a labels-to-target
figure means nothing (Lewis & Gale, SIGIR 1994, compare against random sampling; Settles,
*Active Learning Literature Survey*, 2009, §2).

It reads only ``scores.items`` and ``scores.known``, never the probabilities, so the seed set can
use it with ``probs`` of shape ``[n, L, 0]`` before any model exists.

Query probability: every query carries p = 1. The labelled set it builds is a uniform sample of
the pool, so the unweighted loss already estimates the pool loss up to a constant; per-round
weights ``N_round / batch`` would add variance and no correction.
"""

from __future__ import annotations

import numpy as np

from alframe.policies.base import PoolScores, Queries, QueryContext
from alframe.policies.select import canonical, check_context
from alframe.protocols import PolicyBase


class RandomPolicy(PolicyBase):
    """Uniform sampling without replacement, drawn from ``ctx.rng`` in item-index order."""

    name = "random"
    #: the scorer may skip the model: only ``items`` and ``known`` are read
    needs_scores = False

    def select(self, scores: PoolScores, ctx: QueryContext) -> Queries:
        check_context(ctx)
        scores = canonical(scores)
        known = np.asarray(scores.known, dtype=bool)  # [n, L]
        if ctx.unit == "item":
            return self._items(scores.items, known, ctx)
        if ctx.whole:
            return self._whole(scores.items, known, ctx)
        return self._cells(scores.items, known, ctx)

    @staticmethod
    def _items(items: np.ndarray, known: np.ndarray, ctx: QueryContext) -> Queries:
        candidates = np.flatnonzero(~known.all(axis=1)) if known.shape[1] else np.zeros(0, np.int64)
        k = min(ctx.batch, len(candidates))
        pos = np.sort(candidates[ctx.rng.choice(len(candidates), size=k, replace=False)])
        return Queries(
            items=items[pos].astype(np.int64),
            labels=np.full(k, -1, dtype=np.int64),
            prob=np.ones(k),
            score=np.zeros(k),
        )

    @staticmethod
    def _whole(items: np.ndarray, known: np.ndarray, ctx: QueryContext) -> Queries:
        """Uniform items, every unknown cell of each in label order, ``ctx.batch`` cells in all:
        ⌈batch / u⌉ items (``u`` the mean unknown cells of an open item), drawn as ``_items``
        draws them: from the same candidates, the items an item run of ⌈batch / u⌉ asks."""
        open_rows = np.flatnonzero(~known.all(axis=1)) if known.shape[1] else np.zeros(0, np.int64)
        if ctx.batch <= 0 or not len(open_rows):
            return Queries.empty()
        unknown = float((~known[open_rows]).sum(axis=1).mean())
        k = min(len(open_rows), int(np.ceil(ctx.batch / unknown - 1e-9)))
        rows = np.sort(open_rows[ctx.rng.choice(len(open_rows), size=k, replace=False)])
        r, c = np.nonzero(~known[rows])  # row-major: each item's unknown labels in order
        n = min(ctx.batch, len(r))
        return Queries(
            items=items[rows[r[:n]]].astype(np.int64),
            labels=c[:n].astype(np.int64),
            prob=np.ones(n),
            score=np.zeros(n),
        )

    @staticmethod
    def _cells(items: np.ndarray, known: np.ndarray, ctx: QueryContext) -> Queries:
        """Draw ranks among the unknown cells, then find each rank's (row, label).

        Holds O(n + L·4096) memory instead of listing every unknown cell.
        """
        per_row = (~known).sum(axis=1)  # [n]
        ends = np.cumsum(per_row)  # [n] unknown cells up to and including each row
        total = int(ends[-1]) if len(ends) else 0
        k = min(ctx.batch, total)
        ranks = np.sort(ctx.rng.choice(total, size=k, replace=False)) if k else np.zeros(0, np.int64)
        rows = np.searchsorted(ends, ranks, side="right")  # [k]
        offsets = ranks - (ends[rows] - per_row[rows])  # [k] rank within the row's unknown cells
        labels = np.empty(k, dtype=np.int64)  # [k]
        for start in range(0, k, 4096):  # chunks keep the [chunk, L] running counts small
            part = slice(start, start + 4096)
            running = np.cumsum(~known[rows[part]], axis=1, dtype=np.int32)  # [chunk, L]
            # the (offset+1)-th unknown cell sits after every position whose count is ≤ offset
            labels[part] = (running <= offsets[part, None]).sum(axis=1)
        return Queries(
            items=items[rows].astype(np.int64),
            labels=labels,
            prob=np.ones(k),
            score=np.zeros(k),
        )
