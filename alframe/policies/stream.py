"""Streamed selection: a ranking policy's choice from the pool in chunks, in bounded memory.

Scoring the whole pool at once holds its probabilities ``[n, L, K]`` (2.6 KB an item at 131
labels and 5 members: 26 GB for 10^7 items) and the per-cell scores ``[n, L]`` beside them.
A ranking policy (``uncertainty``, ``disagreement``, ``bald``) needs neither: each chunk of
the pool is scored, turned into its per-cell scores and reduced at once to the few candidates
that can still be chosen, then dropped. What is kept is bounded by the batch, not the pool:

- ``unit item`` (``balance none``): the ``batch`` best items so far by their aggregated score;
- ``unit cell``, ``balance none``: the ``batch`` best cells so far;
- ``unit cell``, ``balance labels``: each label's ``batch`` best unknown cells so far and its
  count of unknown cells. A cell's standing is ``1 − rank / n_l`` within its label
  (:func:`alframe.policies.select.label_balanced`), so a cell ranked ``batch`` or lower in its
  label has ``batch`` cells of the same label strictly above it and can never be chosen.

Every merge keeps the candidates in ascending pool position, and :func:`top_k` breaks ties by
position, so the choice is exactly the whole-pool path's for the same scores: the ``batch``
largest under the total order (higher score, then lower position) of a union are the
``batch`` largest of the parts' own ``batch`` largest. A property test checks it over chunk
sizes, ties included.

With a ``diversity`` step the reduction keeps the ``candidates × batch`` best candidates
instead — the very ones the diversity step looks at. For ``unit item`` it keeps those items'
per-cell scores, known cells and probabilities; for ``unit cell`` each kept cell's consensus
probability (what BADGE's gradient of a cell reads), one number a cell rather than its item's
``[L, K]``. The scorer then computes the features of the candidates' items only, and the step
runs on them as it would on the whole pool (the same choice: property test).

Item queries with ``balance labels`` aggregate every one of an item's cells' standings, which
need each whole label's ranking: for them each chunk is reduced to its per-cell scores, kept
for the whole pool (:class:`StreamedScores`, float32 ``[n, L]``: a K-th of the probabilities
of a committee of K, not bounded by the batch), and the choice is made from those as the
whole path makes it. ``adaptive`` is streamed once for all its arms, each scoring arm
reducing every chunk its own way (:class:`StreamedArms`). Not streamed (the scorer keeps the
whole pool's probabilities, as before): balanced items with a diversity step (BADGE reads the
items' probabilities), ``adaptive`` with an arm that is not streamed, and any other policy that
is not a built-in ranking policy (``diverse``, a plugin's).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from alframe.policies.base import PoolScores, Queries, QueryContext
from alframe.policies.select import aggregate, resolved_balance, top_k


def _merge(
    pos: np.ndarray, val: np.ndarray, new_pos: np.ndarray, new_val: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ``k`` best of two candidate lists (each in ascending position, ``new`` after ``pos``),
    in ascending position: ``(positions, values, kept rows of the old list, of the new one)``.

    Once ``k`` are kept, a newcomer must beat the worst of them outright (a tie goes to the
    lower position, which is the kept one), so most of a late chunk is dropped before the
    partition."""
    new_rows = np.arange(len(new_val))
    if len(val) >= k and len(new_val):
        new_rows = np.flatnonzero(new_val > val.min())
        new_pos, new_val = new_pos[new_rows], new_val[new_rows]
    keep = np.sort(top_k(np.concatenate([val, new_val]), k))
    old, new = keep[keep < len(val)], keep[keep >= len(val)] - len(val)
    return np.concatenate([pos[old], new_pos[new]]), np.concatenate([val[old], new_val[new]]), old, new_rows[new]


@dataclass
class Rows:
    """What a diversity step reads of its candidate items: their per-cell scores, known cells and
    probabilities (``[m, L]``, ``[m, L]``, ``[m, L, K]``), in the order of the kept positions."""

    cell: np.ndarray
    known: np.ndarray
    probs: torch.Tensor

    def then(self, old: np.ndarray, cell: np.ndarray, known: np.ndarray, probs: torch.Tensor, new: np.ndarray) -> Rows:
        """These rows ``old`` followed by a chunk's rows ``new``."""
        return Rows(np.concatenate([self.cell[old], cell[new]]), np.concatenate([self.known[old], known[new]]),
                    torch.cat([self.probs[torch.from_numpy(old)], probs[torch.from_numpy(new)].to(self.probs.dtype)]))


@dataclass
class StreamedChoice:
    """The bounded running reduction of one ranking policy's per-cell scores.

    Feed it the pool's chunks in ascending item order (:meth:`add`), then :meth:`queries`.
    ``how`` is the policy's aggregate, ``balance`` ``none`` or ``labels`` (``auto`` resolved).
    """

    unit: str
    batch: int
    how: str
    balance: str
    n_labels: int
    #: the policy's diversity step (``none``, or ``badge``/``cluster`` with unit item), its
    #: ``candidates`` and the policy's name (for its messages)
    diversity: str = "none"
    candidates: float = 10.0
    policy: str = "ranking"
    rows: int = 0  # rows (items) seen so far
    pos: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # kept positions
    val: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float64))  # their scores
    #: balance labels: per label, its kept rows (ascending) and scores, and its unknown cells
    label_rows: list[np.ndarray] = field(default_factory=list)
    label_val: list[np.ndarray] = field(default_factory=list)
    label_unknown: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    #: with a diversity step: the kept items' rows (:class:`Rows`), set from the first chunk
    kept: Rows | None = None
    #: with a diversity step over cells: each kept cell's consensus probability, beside ``val``
    #: (``balance none``) or ``label_val`` (``balance labels``)
    pbar: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32))
    label_pbar: list[np.ndarray] = field(default_factory=list)

    @property
    def keep(self) -> int:
        """Candidates kept: the batch, or with a diversity step the ``candidates × batch`` it
        looks at (:func:`alframe.policies.diversity.n_candidates`)."""
        if self.diversity == "none":
            return max(int(self.batch), 0)
        return max(int(self.batch), math.ceil(self.candidates * self.batch))

    def __post_init__(self) -> None:
        if self.unit == "cell":
            self.val = np.zeros(0, np.float32)  # cell scores stay float32, as the whole path's
        if self.balance == "labels":
            self.label_rows = [np.zeros(0, np.int64) for _ in range(self.n_labels)]
            self.label_val = [np.zeros(0, np.float32) for _ in range(self.n_labels)]
            self.label_pbar = [np.zeros(0, np.float32) for _ in range(self.n_labels)]
            self.label_unknown = np.zeros(self.n_labels, np.int64)

    def add(self, cell: np.ndarray, known: np.ndarray, probs: torch.Tensor | None = None) -> None:
        """The next chunk's per-cell scores ``[c, L]`` (float32) and known cells ``[c, L]``;
        with a diversity step also its probabilities ``[c, L, K]``."""
        c, k = cell.shape[0], self.keep
        start, self.rows = self.rows, self.rows + c
        if c == 0 or k == 0:
            return
        if self.unit == "item":
            scores = aggregate(cell, known, self.how)  # [c] float64, -inf when all known
            self.pos, self.val, old, new = _merge(self.pos, self.val, start + np.arange(c, dtype=np.int64), scores, k)
            if self.diversity != "none":
                if probs is None:
                    raise ValueError("a diversity step needs each chunk's probabilities")
                if self.kept is None:
                    self.kept = Rows(cell[:0], np.zeros((0, cell.shape[1]), dtype=bool), probs[:0].float())
                self.kept = self.kept.then(old, cell, np.asarray(known, dtype=bool), probs, new)
            return
        flat = np.where(known, -np.inf, cell).astype(np.float32, copy=False)  # [c, L]
        mean = None  # [c, L] the consensus, kept for a diversity step
        if self.diversity != "none":
            if probs is None:
                raise ValueError("a diversity step needs each chunk's probabilities")
            mean = probs.float().mean(dim=-1).numpy()
        if self.balance != "labels":
            best = np.sort(top_k(flat.ravel(), k))  # the chunk's own best cells first: bounds the merge
            self.pos, self.val, old, new = _merge(self.pos, self.val, start * self.n_labels + best, flat.ravel()[best], k)
            if mean is not None:
                self.pbar = np.concatenate([self.pbar[old], mean.ravel()[best][new]])
            return
        self.label_unknown += (~known).sum(axis=0)
        for j in range(self.n_labels):
            col = flat[:, j]
            rows = np.flatnonzero(col > -np.inf)
            self.label_rows[j], self.label_val[j], old, new = _merge(
                self.label_rows[j], self.label_val[j], start + rows, col[rows], k)
            if mean is not None:
                self.label_pbar[j] = np.concatenate([self.label_pbar[j][old], mean[rows, j][new]])

    def candidate_items(self, items: np.ndarray) -> np.ndarray:
        """The kept items (ascending): with a diversity step, those whose features it needs."""
        if self.unit == "cell":
            pos, _, _ = self._cell_candidates()
            return np.asarray(items, dtype=np.int64)[np.unique(pos // self.n_labels)]
        return np.asarray(items, dtype=np.int64)[self.pos]

    def _cell_candidates(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The cells a diversity step over cells looks at, ascending: the ``candidates × batch``
        best of the pool (fewer when fewer are open), as flat positions, with their scores (the
        standings, balanced) and consensus probabilities."""
        if self.balance == "labels":
            pos, val, pbar = self._standings()
            m = min(self.keep, int(self.label_unknown.sum()))
        else:
            pos, val, pbar = self.pos, self.val, self.pbar
            m = min(self.keep, len(val))
        best = np.sort(top_k(val, m))
        return pos[best], val[best], pbar[best]

    def queries(self, items: np.ndarray, meta: PoolScores | None = None, ctx: QueryContext | None = None) -> Queries:
        """The batch, as the whole-pool path would choose it; ``items`` [rows] the pool's item
        indices in the order the chunks came (ascending). A diversity step also needs ``meta``
        (the label counts, thresholds and the kept items' ``embeddings``) and ``ctx``."""
        if self.diversity != "none" and self.unit == "cell":
            return self._diverse_cells(items, meta, ctx)
        if self.diversity != "none":
            from alframe.policies.diversity import diverse_select

            if self.kept is None:  # no chunk kept anything: an empty pool, or a batch of 0
                return Queries.empty()
            if meta is None or ctx is None:
                raise ValueError("a diversity step needs the pool's label counts, features and the query context")
            sub = PoolScores(
                items=self.candidate_items(items), probs=self.kept.probs, known=self.kept.known,
                label_positives=meta.label_positives, label_answered=meta.label_answered,
                thresholds=meta.thresholds, embeddings=meta.embeddings,
            )
            return diverse_select(self.kept.cell, sub, ctx, self.how, self.diversity, self.candidates, self.policy)
        if self.unit == "item":
            best = top_k(self.val, self.batch)
            return Queries(
                items=items[self.pos[best]].astype(np.int64),
                labels=np.full(len(best), -1, dtype=np.int64),
                prob=np.ones(len(best)),
                score=self.val[best],
            )
        pos, val = (self._standings()[:2] if self.balance == "labels" else (self.pos, self.val))
        best = top_k(val, self.batch)
        return Queries(
            items=items[pos[best] // self.n_labels].astype(np.int64),
            labels=(pos[best] % self.n_labels).astype(np.int64),
            prob=np.ones(len(best)),
            score=val[best].astype(np.float64),
        )

    def _diverse_cells(self, items: np.ndarray, meta: PoolScores | None, ctx: QueryContext | None) -> Queries:
        """The diversity step over the kept cells: a small pool of their items in which every
        other cell reads as known, so the step sees exactly the whole pool's candidates, in the
        same order, with the same scores and consensus probabilities."""
        from alframe.policies.diversity import diverse_select

        if meta is None or ctx is None:
            raise ValueError("a diversity step needs the pool's label counts, features and the query context")
        pos, val, pbar = self._cell_candidates()
        rows, labels = pos // self.n_labels, pos % self.n_labels
        items_of, inv = np.unique(rows, return_inverse=True)  # [u] the candidates' items
        cell = np.full((len(items_of), self.n_labels), -np.inf, dtype=np.float32)
        cell[inv, labels] = val
        known = np.ones(cell.shape, dtype=bool)
        known[inv, labels] = False
        probs = torch.zeros((len(items_of), self.n_labels, 1))
        probs[torch.from_numpy(inv), torch.from_numpy(labels), 0] = torch.from_numpy(pbar.astype(np.float32))
        sub = PoolScores(
            items=np.asarray(items, dtype=np.int64)[items_of], probs=probs, known=known,
            label_positives=meta.label_positives, label_answered=meta.label_answered,
            thresholds=meta.thresholds, embeddings=meta.embeddings,
        )
        return diverse_select(cell, sub, ctx, self.how, self.diversity, self.candidates, self.policy)

    def _standings(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Each kept cell's standing within its label, as flat positions in ascending order, and
        the kept consensus probabilities beside them (zeros without a diversity step)."""
        pos, val, pbar = [], [], []
        for j in range(self.n_labels):
            rows, scores = self.label_rows[j], self.label_val[j]
            if not len(rows):
                continue
            order = np.lexsort((rows, -scores))  # best first, ties → lower position
            standing = np.empty(len(rows), dtype=np.float32)
            standing[order] = 1.0 - np.arange(len(rows), dtype=np.float64) / int(self.label_unknown[j])
            pos.append(rows * self.n_labels + j)
            val.append(standing)
            pbar.append(self.label_pbar[j] if self.diversity != "none" else np.zeros(len(rows), np.float32))
        if not pos:
            return np.zeros(0, np.int64), np.zeros(0, np.float32), np.zeros(0, np.float32)
        flat_pos, flat_val, flat_pbar = np.concatenate(pos), np.concatenate(val), np.concatenate(pbar)
        order = np.argsort(flat_pos, kind="stable")
        return flat_pos[order], flat_val[order], flat_pbar[order]


@dataclass
class StreamedArms:
    """``adaptive``'s pool, streamed once for all its arms: each scoring arm's own reduction, as
    the pool scores it reads (by arm index); an arm that reads no scores (``random``) reads the
    pool's items and known cells, which are the true ones."""

    arms: dict[int, PoolScores]


@dataclass
class StreamedScores:
    """A ranking policy's per-cell scores over the whole pool, float32 ``[n, L]``, filled a
    chunk at a time, for a choice that reads every cell's score (item queries balanced by
    label); the pool's ``known`` beside them is the true one."""

    cell: np.ndarray


@dataclass
class StreamedCells:
    """IWAL's reduction of the pool: each candidate cell's query probability from its rule,
    float32 ``[n, L]``, filled a chunk at a time. Its coins need every candidate's ``p`` (the
    batch fitting scales them all), so this is not bounded by the batch, but it is a fifth of
    a committee of five's probabilities and a quarter of the rule's float64 ones. ``n_seen``:
    the candidates seen the threshold rule was run with."""

    cell: np.ndarray
    n_seen: int


def streamable(policy: object, unit: str) -> bool:
    """Whether the scorer may stream the pool for this policy: ``iwal`` itself (not a
    subclass, which may read the probabilities), a built-in ranking policy's own flow
    (neither ``select`` nor ``cell_scores`` overridden by a subclass), with or without a
    diversity step but not item queries balanced by label with one, or ``adaptive`` itself
    over arms that are each streamable or read no scores."""
    from alframe.policies.adaptive import AdaptivePolicy
    from alframe.policies.diversity import RankingPolicy
    from alframe.policies.iwal import IWALPolicy

    if type(policy) is IWALPolicy:
        return True
    if type(policy) is AdaptivePolicy:
        return all(streamable(arm, unit) or not (arm.needs_scores or arm.needs_embeddings) for _, arm in policy.arms)
    if not isinstance(policy, RankingPolicy):
        return False
    cls = type(policy)
    if cls.select is not RankingPolicy.select or cls.cell_scores is not RankingPolicy.cell_scores:
        return False
    balance = resolved_balance(policy.balance, unit)
    if balance not in ("none", "labels"):
        return False
    return not (unit == "item" and balance == "labels" and policy.diversity != "none")


def keeps_scores(policy: object, unit: str) -> bool:
    """Whether a streamed ranking policy needs every cell's score (:class:`StreamedScores`)
    rather than a bounded reduction (:class:`StreamedChoice`): item queries balanced by label."""
    return unit == "item" and resolved_balance(getattr(policy, "balance", "none"), unit) == "labels"


def streamed_queries(scores: PoolScores, ctx: QueryContext) -> Queries:
    """Finish a streamed choice: the scorer reduced the pool into ``scores.streamed``."""
    from alframe.errors import PluginError

    choice = scores.streamed
    if not isinstance(choice, StreamedChoice) or (choice.unit, choice.batch) != (ctx.unit, ctx.batch):
        raise PluginError(
            f"the pool was streamed for unit {getattr(choice, 'unit', '?')} and batch {getattr(choice, 'batch', '?')}, "
            f"but the query asks unit {ctx.unit} and batch {ctx.batch}",
            hook="alframe_query",
        )
    return choice.queries(np.asarray(scores.items, dtype=np.int64), scores, ctx)
