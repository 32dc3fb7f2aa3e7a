"""Selection: per-item aggregation, bounded top-k, deterministic tie-breaking.

Everything here works on per-cell scores ``[n, L]`` (from :mod:`alframe.policies.measures`) and
never on the ``[n, L, K]`` probabilities, so selection holds O(n·L) memory at most. The pool is
first put in item-index order (:func:`canonical`), which is item-id order; after that a row's
position *is* its tie-break rank, so "ties broken by item index, then label index" is "ties
broken by position in the flattened ``[n, L]`` array" and the result does not depend on the
order the scorer delivered the rows in.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import torch

from alframe.errors import PluginError
from alframe.policies.args import AGGREGATES, BALANCES
from alframe.policies.base import PoolScores, Queries, QueryContext

UNITS = ("item", "cell")

CellFn = Callable[[torch.Tensor], torch.Tensor]


def check_scores(scores: PoolScores) -> None:
    """Refuse malformed pool scores with a message naming the scorer hook.

    Shapes only: the values are checked chunk by chunk as the measures read them
    (:func:`alframe.policies.measures.map_rows`).
    """
    probs = scores.probs
    if not isinstance(probs, torch.Tensor) or probs.ndim != 3:
        raise _scorer_error(f"probs must be a tensor [n, L, K], got {getattr(probs, 'shape', type(probs))}")
    n, n_labels, _ = probs.shape
    if len(scores.items) != n:
        raise _scorer_error(f"{len(scores.items)} item indices for {n} rows of probabilities")
    if tuple(scores.known.shape) != (n, n_labels):
        raise _scorer_error(f"known mask has shape {tuple(scores.known.shape)}, expected {(n, n_labels)}")
    for name in ("label_positives", "label_answered", "thresholds"):
        got = len(getattr(scores, name))
        if got != n_labels:
            raise _scorer_error(f"{name} has {got} entries for {n_labels} labels")
    emb = scores.embeddings
    if emb is not None and (not isinstance(emb, torch.Tensor) or emb.ndim != 2 or emb.shape[0] != n):
        raise _scorer_error(f"embeddings must be a tensor [{n}, d], got {getattr(emb, 'shape', type(emb))}")


def _scorer_error(message: str) -> PluginError:
    return PluginError(message, hook="alframe_score_pool")


def no_members_error(policy: str) -> PluginError:
    return _scorer_error(f"policy {policy!r} needs probabilities, got K = 0 members")


def check_context(ctx: QueryContext) -> None:
    if ctx.unit not in UNITS:
        raise PluginError(f"query unit {ctx.unit!r} is not one of {UNITS}", hook="alframe_query")
    if ctx.batch < 0:
        raise PluginError(f"query batch {ctx.batch} is negative", hook="alframe_query")


def prepared(scores: PoolScores, ctx: QueryContext, policy: str) -> PoolScores:
    """Every scoring policy's first step: check the context and the scores, and put the pool
    in item order (selection breaks ties by position)."""
    check_context(ctx)
    check_scores(scores)
    scores = canonical(scores)
    if scores.probs.shape[2] == 0:
        raise no_members_error(policy)
    return scores


def canonical(scores: PoolScores) -> PoolScores:
    """The same pool with rows in ascending item index (a no-op when already so)."""
    items = np.asarray(scores.items, dtype=np.int64)
    if len(items) < 2 or bool(np.all(items[1:] > items[:-1])):
        return scores
    order = np.argsort(items, kind="stable")  # [n]
    ordered = items[order]
    if bool(np.any(ordered[1:] == ordered[:-1])):
        dup = int(ordered[1:][ordered[1:] == ordered[:-1]][0])
        raise _scorer_error(f"item {dup} appears twice in the pool")
    return dataclasses.replace(  # optional fields (``labelled``: answered items) carried along
        scores,
        items=ordered,
        probs=scores.probs[torch.from_numpy(order)],
        known=np.asarray(scores.known)[order],
        embeddings=None if scores.embeddings is None else scores.embeddings[torch.from_numpy(order)],
    )


def rare_label_weights(scores: PoolScores) -> np.ndarray:
    """``[L]`` in (0, 1]: 1 for the rarest label, ``π_min / π_l`` for the others.

    ``π_l = (positives + 1) / (answered + 2)`` (Laplace), so a label with no answers yet
    counts as common-as-a-coin rather than infinitely rare.
    """
    pos = np.asarray(scores.label_positives, dtype=np.float64)
    ans = np.asarray(scores.label_answered, dtype=np.float64)
    prevalence = (pos + 1.0) / (ans + 2.0)  # [L]
    if prevalence.size == 0:
        return prevalence.astype(np.float32)
    return (prevalence.min() / prevalence).astype(np.float32)


def with_rare_bonus(fn: CellFn, weights: np.ndarray, bonus: float) -> CellFn:
    """Multiply a measure by ``1 + bonus · p̄ · w_l``: likely positives of rare labels rise.

    Multiplicative, so a cell the model is sure about (score 0) stays unasked however rare its
    label: the bonus re-ranks informative cells, it does not ask for confirmations.
    """
    if bonus <= 0.0:
        return fn
    w = torch.from_numpy(weights)  # [L]

    def boosted(chunk: torch.Tensor) -> torch.Tensor:  # [c, L, K] → [c, L]
        return fn(chunk) * (1.0 + bonus * chunk.mean(dim=-1) * w)

    return boosted




def resolved_balance(balance: str, unit: str) -> str:
    """``auto`` → ``labels`` for cell queries, ``none`` for item queries; others as given."""
    if balance == "auto":
        return "labels" if unit == "cell" else "none"
    return balance


def label_balanced(cell: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Each unknown cell's standing within its own label: ``1 − rank / n_l`` in ``(0, 1]``.

    ``[n, L] → [n, L]`` float32, ``-inf`` on known cells. A label's most informative unknown
    cell gets 1, its next ``1 − 1/n_l``, and so on (ties → lower position first), whatever the
    scale of the label's raw scores. Ranking cells by it asks every label's best cell before any
    label's second best — round-robin over labels, as if each label ran its own uncertainty
    sampling with an equal share of the batch — so a rare label, whose cells all look certain
    next to a frequent label's, is never drowned. Items aggregate these standings like raw
    scores (``max``: the items that are some label's top choice come first).
    """
    n, n_labels = cell.shape
    out = np.full((n, n_labels), -np.inf, dtype=np.float32)
    positions = np.arange(n)
    for j in range(n_labels):
        rows = positions[~known[:, j]]
        if len(rows) == 0:
            continue
        order = rows[np.argsort(-cell[rows, j], kind="stable")]  # best first, ties → lower position
        out[order, j] = 1.0 - np.arange(len(order), dtype=np.float64) / len(order)
    return out


def balanced(cell: np.ndarray, scores: PoolScores, balance: str, unit: str) -> np.ndarray:
    """The policy's ``balance`` choice applied to its per-cell scores (``none``: as they are).

    ``auto`` balances cell queries and leaves item queries alone. In the policy study (docs/
    results.md) unbalanced cell uncertainty never reached 95 % of the full-data micro-F1 on the
    catalogue (macro-AP 0.68–0.73× random's) nor 90 % on FOLDOC, where balanced cells reached
    95 % in every repeat with 4.4–5.5× fewer answers than random items; with items, balancing
    bought macro-F1 with micro-F1 (0.663 against 0.681 at 6,000 catalogue packages)."""
    balance = resolved_balance(balance, unit)
    if balance == "none":
        return cell
    if balance != "labels":
        raise PluginError(f"unknown balance {balance!r}; one of {BALANCES}", hook="alframe_query")
    return label_balanced(cell, np.asarray(scores.known, dtype=bool))


def check_cell_scores(cell: torch.Tensor, policy: str) -> None:
    nan = torch.isnan(cell)
    if bool(nan.any()):
        bad = int(nan.sum())
        raise PluginError(f"policy {policy!r} computed {bad} NaN cell scores", hook="alframe_query")


def aggregate(cell: np.ndarray, known: np.ndarray, how: str) -> np.ndarray:
    """Per-item scores ``[n]`` (float64) over the item's unknown cells only.

    An item whose every cell is known scores ``-inf``: it is not a candidate.
    """
    unknown = ~known  # [n, L]
    n_unknown = unknown.sum(axis=1)  # [n]
    if how == "max":
        out = np.where(unknown, cell, -np.inf).max(axis=1, initial=-np.inf).astype(np.float64)
    else:
        out = np.where(unknown, cell, 0.0).sum(axis=1, dtype=np.float64)  # [n]
        if how == "mean":
            out = out / np.maximum(n_unknown, 1)
        elif how != "sum":
            raise PluginError(f"unknown aggregate {how!r}; one of {AGGREGATES}", hook="alframe_query")
    out[n_unknown == 0] = -np.inf
    return out


#: Values sampled (with a fixed stride: deterministic) to place a cut above the bulk of a pool.
_SAMPLE = 65536


def kth_largest(values: np.ndarray, k: int) -> float:
    """The ``k``-th largest of ``values`` (1-based; ``1 ≤ k ≤ len``), in about one pass.

    ``np.partition`` over a whole pool is slow when the bulk is one tied value (cells at the
    IWAL floor, vote entropies of 0), so a strided sample first places a cut that about ``4k``
    values exceed; only those are partitioned. When the cut itself is the k-th value (a tie at
    the cut) no partition is needed; when the sample misjudged, the full partition runs.
    """
    m = values.shape[0]
    if m > 8 * _SAMPLE and 8 * k < m:
        sample = values[:: m // _SAMPLE]
        j = int(len(sample) * (1.0 - 4.0 * k / m))
        cut = np.partition(sample, j)[j]
        high = values[values > cut]
        if len(high) >= k:
            return float(np.partition(high, len(high) - k)[len(high) - k])
        if len(high) + np.count_nonzero(values == cut) >= k:
            return float(cut)
    return float(np.partition(values, m - k)[m - k])


def top_k(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` largest finite values, best first; ties → lower position first.

    Bounded: one partition (O(m)) instead of a full sort; only the chosen ``k`` are sorted.
    ``-inf`` marks a non-candidate and is never chosen.
    """
    m = values.shape[0]
    k = min(k, int(np.count_nonzero(values > -np.inf))) if m else 0
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    kth = values.dtype.type(kth_largest(values, k))
    above = np.flatnonzero(values > kth)
    tied = np.flatnonzero(values == kth)[: k - len(above)]
    chosen = np.concatenate([above, tied])
    return chosen[np.lexsort((chosen, -values[chosen]))]


def select_top(cell: np.ndarray, scores: PoolScores, ctx: QueryContext, how: str) -> Queries:
    """The ``ctx.batch`` best candidates by ``cell`` scores ``[n, L]`` (deterministic, p = 1).

    Unit ``item``: aggregate per item, queries carry label -1 ("every unknown label").
    Unit ``cell``: rank the unknown cells themselves.
    """
    known = np.asarray(scores.known, dtype=bool)
    if ctx.unit == "item":
        item_scores = aggregate(cell, known, how)  # [n]
        pos = top_k(item_scores, ctx.batch)
        return Queries(
            items=scores.items[pos].astype(np.int64),
            labels=np.full(len(pos), -1, dtype=np.int64),
            prob=np.ones(len(pos)),
            score=item_scores[pos],
        )
    flat = np.where(known, -np.inf, cell).astype(np.float32, copy=False).ravel()  # [n·L]
    pos = top_k(flat, ctx.batch)
    n_labels = known.shape[1]
    return Queries(
        items=scores.items[pos // n_labels].astype(np.int64),
        labels=(pos % n_labels).astype(np.int64),
        prob=np.ones(len(pos)),
        score=flat[pos].astype(np.float64),
    )
