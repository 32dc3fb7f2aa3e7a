"""Batch-aware selection: ``diversity=badge|coreset|cluster`` on a scoring policy, and ``diverse``.

A round asks a whole batch at once, and the batch's top items by uncertainty are mostly
near-duplicates of each other (the same kind of package, described alike): the second one
teaches little once the first is answered. The choices here keep the base policy's score as
the signal and spread the batch over the model's feature space.

Every choice first keeps the ``candidates × batch`` best candidates by the base score (items
with ``unit item``, cells with ``unit cell``) and work on those only. That bounds the cost by
the batch instead of the pool, keeps every pick informative by the base measure, and is what a
streaming scorer can feed (the top candidates of each chunk).

- ``badge``: k-means++ seeding over gradient embeddings (Ash, Zhang, Krishnamurthy, Langford &
  Agarwal, *Deep Batch Active Learning by Diverse, Uncertain Gradient Lower Bounds*, ICLR 2020).
  With independent sigmoid outputs the gradient of the loss at the predicted labels with
  respect to the last layer is ``g_i = r_i ⊗ h_i``: ``h_i`` the item's features
  (:attr:`~alframe.policies.base.PoolScores.embeddings`) and ``r_il = p'_il − ŷ_il`` over the
  unknown labels (0 for known ones), ``p'`` the consensus recentred on the label's threshold and
  ``ŷ = [p' ≥ ½]`` the prediction. ``g`` is never built: ``⟨g_i, g_j⟩ = ⟨r_i, r_j⟩·⟨h_i, h_j⟩``,
  so each new centre costs O(m·(L + d)) for m candidates. A cell ``(i, l)`` has
  ``g = r_il e_l ⊗ h_i``: cells of different labels are orthogonal (asking two labels of one
  item is not redundant), cells of one label are as far apart as their items' features.
  The first centre is the largest gradient (as in BADGE), the next ones are drawn with
  probability proportional to the squared distance to the nearest centre (``ctx.rng``).
- ``coreset``: greedy k-centre, farthest-first (Sener & Savarese, *Active Learning for
  Convolutional Neural Networks: A Core-Set Approach*, ICLR 2018): the best candidate first,
  then each time the candidate farthest from all chosen ones, so the batch covers the
  candidates with the smallest radius. Deterministic (no draw). Over cells it runs label by
  label (cells of different labels do not cover each other), each label keeping the share of
  the batch the base ranking gives it. Unlike the paper the centres do not include the
  labelled items: the step sees the candidates only, as the others do.
- ``cluster``: k-means (k = batch, k-means++ start, a few Lloyd iterations) over the
  candidates' features, then each cluster's highest-scoring member (Zhdanov, *Diverse
  mini-batch active learning*, 2019; the cluster-margin idea of Citovsky et al., *Batch Active
  Learning at Scale*, NeurIPS 2021). With ``unit cell`` the candidate cells' *items* are
  clustered and the cells dealt out round-robin: each cluster's best cell, then each cluster's
  second best, and so on.

:class:`DiversePolicy` (``diverse``) needs no probabilities at all: k-means over the whole
pool's features, the item nearest each centre. It is meant for the seed set (``seed 200
diverse``), where the model is untrained and its features are a random projection of the
TF-IDF bag (see :meth:`alframe.models.committee.CommitteeBundle.embed`).

Every query has p = 1: the choice is deterministic for the round's seed. The result does not
depend on the order of the pool (the pool is put in item order first; ties go to the lower
item index, then label index).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from alframe.errors import PluginError
from alframe.policies import measures
from alframe.policies.args import DIVERSITY
from alframe.policies.base import PoolScores, Queries, QueryContext
from alframe.policies.select import (
    CellFn,
    aggregate,
    balanced,
    canonical,
    check_cell_scores,
    check_context,
    check_scores,
    prepared,
    select_top,
    top_k,
)
from alframe.policies.stream import StreamedScores, streamed_queries
from alframe.protocols import PolicyBase

#: Lloyd iterations at most (k-means++ starts close; fewer when assignments stop changing)
LLOYD_ITERATIONS = 10
#: rows per chunk of the assignment step (bounds the [rows, k] distance block)
_ROWS = 16384
#: squared distances below this share of the largest squared norm count as 0 (duplicates)
_DUPLICATE = 1e-9
#: k-means++ seeds k-means from a random sample of this many points per cluster (at least
#: :data:`INIT_MIN`) when there are more: the seeding is sequential, O(k·m·d), and on a whole
#: pool (``diverse``) it cost more than all the Lloyd iterations after it
INIT_PER_CLUSTER = 16
INIT_MIN = 4096

Dot = Callable[[int], np.ndarray]


def check_diversity(diversity: str, candidates: float) -> None:
    """Refuse values the registry would have refused, for policies built in Python."""
    if diversity not in DIVERSITY:
        raise ValueError(f"unknown diversity {diversity!r}; one of {DIVERSITY}")
    if not candidates >= 1.0:
        raise ValueError(f"candidates must be at least 1 (times the batch), got {candidates}")


def embeddings_of(scores: PoolScores, policy: str, rows: np.ndarray | None = None) -> np.ndarray:
    """float64 ``[len(rows), d]`` features of the pool's rows ``rows`` (all by default); a scorer
    that gave none is named."""
    emb = scores.embeddings
    if emb is None:
        raise PluginError(
            f"policy {policy!r} needs the model's features (PoolScores.embeddings) but the pool "
            "scores have none: the policy's needs_embeddings was not honoured",
            hook="alframe_score_pool",
        )
    emb = emb.detach().cpu()
    if rows is not None:
        emb = emb[torch.from_numpy(np.asarray(rows, dtype=np.int64))]
    return emb.to(torch.float64).numpy()


def n_candidates(batch: int, candidates: float, available: int) -> int:
    """How many candidates the diversity step sees: ``⌈candidates × batch⌉`` of those left."""
    return min(available, max(batch, math.ceil(candidates * batch)))


# -- the base policies' diversity step ---------------------------------------------------------


def diverse_select(
    cell: np.ndarray,
    scores: PoolScores,
    ctx: QueryContext,
    how: str,
    diversity: str,
    candidates: float,
    policy: str,
) -> Queries:
    """The batch from per-cell scores ``[n, L]`` with the diversity step (``none``: the top).

    ``scores`` must be in item order already (:func:`alframe.policies.select.prepared`).
    """
    if diversity == "none" or ctx.batch <= 0:
        return select_top(cell, scores, ctx, how)
    check_diversity(diversity, candidates)
    known = np.asarray(scores.known, dtype=bool)  # [n, L]
    if ctx.unit == "item":
        item_scores = aggregate(cell, known, how)  # [n]
        m = n_candidates(ctx.batch, candidates, int(np.count_nonzero(item_scores > -np.inf)))
        if m <= ctx.batch:  # every candidate is taken: nothing to spread
            return select_top(cell, scores, ctx, how)
        rows = np.sort(top_k(item_scores, m))  # [m] ascending: position is the tie-break rank
        base = item_scores[rows]
        h = embeddings_of(scores, policy, rows)  # [m, d]
        if diversity == "badge":
            r = residuals(scores, rows, known[rows])  # [m, L]
            chosen = badge_items(r, h, ctx.batch, ctx.rng)
        elif diversity == "coreset":
            chosen = farthest_first(h, base, ctx.batch)
        else:
            chosen = cluster_pick(h, base, ctx.batch, ctx.rng)
        chosen = _filled(chosen, base, ctx.batch)
        chosen = chosen[np.lexsort((chosen, -base[chosen]))]
        return Queries(
            items=scores.items[rows[chosen]].astype(np.int64),
            labels=np.full(len(chosen), -1, dtype=np.int64),
            prob=np.ones(len(chosen)),
            score=base[chosen].astype(np.float64),
        )
    n_labels = known.shape[1]
    flat = np.where(known, -np.inf, cell).astype(np.float32, copy=False).ravel()  # [n·L]
    m = n_candidates(ctx.batch, candidates, int(np.count_nonzero(flat > -np.inf)))
    if m <= ctx.batch:
        return select_top(cell, scores, ctx, how)
    pos = np.sort(top_k(flat, m))  # [m] cells, ascending: item then label order
    rows, labels = pos // n_labels, pos % n_labels
    base = flat[pos].astype(np.float64)
    items_of, inv = np.unique(rows, return_inverse=True)  # the candidate cells' items
    h = embeddings_of(scores, policy, items_of)  # [u, d]
    if diversity == "badge":
        p = _recentred(scores, rows)[np.arange(m), labels]  # [m] each cell's p'
        chosen = badge_cells(p - (p >= 0.5), labels, h, inv, ctx.batch, ctx.rng)
    elif diversity == "coreset":
        chosen = coreset_cells(h, inv, labels, base, ctx.batch)
    else:
        best_cell = np.full(len(items_of), -np.inf)
        np.maximum.at(best_cell, inv, base)
        k = min(ctx.batch, len(items_of))
        first = int(np.argmax(best_cell))  # the item of the best cell (lowest index on ties)
        cluster, _ = kmeans(h, k, ctx.rng, first)
        order = round_robin(cluster[inv], -base, -base)
        chosen = order[: ctx.batch]
    chosen = _filled(chosen, base, ctx.batch)
    chosen = chosen[np.lexsort((chosen, -base[chosen]))]
    return Queries(
        items=scores.items[rows[chosen]].astype(np.int64),
        labels=labels[chosen].astype(np.int64),
        prob=np.ones(len(chosen)),
        score=base[chosen],
    )


def _filled(chosen: np.ndarray, base: np.ndarray, batch: int) -> np.ndarray:
    """``chosen`` topped up to ``batch`` with the best-scoring candidates not in it (k-means++
    stops early when the candidates hold fewer distinct points than the batch)."""
    chosen = np.asarray(chosen, dtype=np.int64)
    short = min(batch, len(base)) - len(chosen)
    if short <= 0:
        return chosen
    rest = np.setdiff1d(np.arange(len(base)), chosen)
    rest = rest[np.lexsort((rest, -base[rest]))][:short]
    return np.concatenate([chosen, rest])


def _recentred(scores: PoolScores, rows: np.ndarray) -> np.ndarray:
    """float64 ``[m, L]``: the consensus of rows ``rows``, recentred on the thresholds."""
    t = torch.as_tensor(np.asarray(scores.thresholds, dtype=np.float32))
    p = measures.recentre(measures.mean_prob(scores.probs[torch.from_numpy(rows)].float()), t)
    return p.to(torch.float64).numpy()


def residuals(scores: PoolScores, rows: np.ndarray, known: np.ndarray) -> np.ndarray:
    """``r = p' − ŷ`` ``[m, L]`` for rows ``rows``: the last-layer gradient's label factor at the
    predicted labels, 0 for known cells (they will not be asked, so they teach nothing new)."""
    p = _recentred(scores, rows)
    r = p - (p >= 0.5)
    r[known] = 0.0
    return r


def kmeanspp(sq: np.ndarray, dot: Dot, k: int, rng: np.random.Generator, first: int) -> np.ndarray:
    """k-means++ seeding (Arthur & Vassilvitskii, SODA 2007) from inner products only.

    ``sq`` are the squared norms ``[m]``, ``dot(c)`` the inner products of every point with
    point ``c``. Starts at ``first``; each next centre is drawn with probability ∝ the squared
    distance to its nearest centre. Stops early (fewer than ``k``) when every point left sits
    on a centre. Returns the centres' positions in the order chosen.
    """
    m = len(sq)
    if m == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64)
    tol = _DUPLICATE * max(float(sq.max()), 1e-300)
    chosen = [int(first)]
    d2 = _dist2(sq, dot, first, tol)
    while len(chosen) < min(k, m):
        total = float(d2.sum())
        if not total > 0.0:
            break
        u = rng.random() * total
        nxt = int(np.searchsorted(np.cumsum(d2), u, side="right"))
        nxt = min(nxt, m - 1)
        if d2[nxt] <= 0.0:  # rounding at the end of the cumulated sum
            nxt = int(np.flatnonzero(d2 > 0.0)[-1])
        chosen.append(nxt)
        d2 = np.minimum(d2, _dist2(sq, dot, nxt, tol))
    return np.asarray(chosen, dtype=np.int64)


def _dist2(sq: np.ndarray, dot: Dot, c: int, tol: float) -> np.ndarray:
    d2 = sq + sq[c] - 2.0 * dot(c)
    d2[d2 < tol] = 0.0
    d2[c] = 0.0
    return d2


def badge_items(r: np.ndarray, h: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """BADGE over items: gradient embeddings ``r_i ⊗ h_i`` by the Kronecker identity."""
    rn = np.einsum("ij,ij->i", r, r)  # [m]
    hn = np.einsum("ij,ij->i", h, h)  # [m]
    sq = rn * hn
    rt, ht = torch.from_numpy(np.ascontiguousarray(r)), torch.from_numpy(np.ascontiguousarray(h))

    def dot(c: int) -> np.ndarray:
        return (torch.mv(rt, rt[c]) * torch.mv(ht, ht[c])).numpy()

    return kmeanspp(sq, dot, k, rng, int(np.argmax(sq)))


def badge_cells(
    r: np.ndarray, labels: np.ndarray, h: np.ndarray, item: np.ndarray, k: int, rng: np.random.Generator
) -> np.ndarray:
    """BADGE over cells: cell ``(i, l)`` is ``r_il e_l ⊗ h_i``; ``item`` maps each cell to its
    row of ``h``. Cells of different labels are orthogonal.

    The same draws as :func:`kmeanspp` on these vectors listed label by label, without its cost: a cell batch is large
    (200 items' worth of cells is 26,200 at 131 labels), and the generic seeding takes inner
    products with every candidate at every pick — O(batch · candidates · d), hours at that size.
    Orthogonality confines a new centre's inner products to the cells of its own label; for the
    cells of every other label the distance is ``|g_a|² + |g_c|²``, which only matters when the
    new centre has the smallest norm yet among the centres of other labels (rare after the first
    picks). A draw picks a label by the labels' summed distances, then a cell within it, so each
    pick costs O(cells of one label · d), not O(candidates · d).
    """
    m = len(r)
    if m == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64)
    hn = np.einsum("ij,ij->i", h, h)[item]  # [m]
    sq = r * r * hn
    tol = _DUPLICATE * max(float(sq.max()), 1e-300)
    ht = torch.from_numpy(np.ascontiguousarray(h))
    groups, group = np.unique(labels, return_inverse=True)  # [G], [m]
    by_group = np.argsort(group, kind="stable")
    starts = np.searchsorted(group[by_group], np.arange(len(groups) + 1))
    members = [by_group[starts[g] : starts[g + 1]] for g in range(len(groups))]  # ascending positions
    other_min = np.full(len(groups), np.inf)  # smallest |g_c|² among centres of other labels
    d2 = np.full(m, np.inf)

    def take(c: int) -> list[int]:
        """Make cell ``c`` a centre; the label groups whose distances changed."""
        g = int(group[c])
        idx = members[g]
        rows = torch.index_select(ht, 0, torch.from_numpy(item[idx]))  # the label's candidate items
        dots = r[idx] * r[c] * torch.mv(rows, ht[int(item[c])]).numpy()
        d = sq[idx] + sq[c] - 2.0 * dots
        d[d < tol] = 0.0
        d[idx == c] = 0.0
        d2[idx] = np.minimum(d2[idx], d)
        closer = other_min > sq[c]
        closer[g] = False
        touched = [g]
        for o in np.flatnonzero(closer):  # every other label's cells: |g_a|² + |g_c|²
            other_min[o] = sq[c]
            jdx = members[o]
            far = sq[jdx] + sq[c]
            far[far < tol] = 0.0
            d2[jdx] = np.minimum(d2[jdx], far)
            touched.append(int(o))
        return touched

    first = int(np.argmax(sq))
    chosen = [first]
    take(first)
    sums = np.array([d2[idx].sum() for idx in members])  # [G] each label's share of the draw
    while len(chosen) < min(k, m):
        total = float(sums.sum())
        if not total > 0.0:
            break
        # one uniform draw over the candidates taken label by label (position order within a
        # label): the draw kmeanspp makes over the cells listed in that order
        u = rng.random() * total
        cum = np.cumsum(sums)
        g = min(int(np.searchsorted(cum, u, side="right")), len(groups) - 1)
        while sums[g] <= 0.0:  # rounding at the end of a cumulated sum
            g -= 1
        idx = members[g]
        within = np.cumsum(d2[idx])
        j = min(int(np.searchsorted(within, u - (cum[g] - sums[g]), side="right")), len(idx) - 1)
        if d2[idx[j]] <= 0.0:
            j = int(np.flatnonzero(d2[idx] > 0.0)[-1])
        nxt = int(idx[j])
        chosen.append(nxt)
        for g2 in take(nxt):
            sums[g2] = d2[members[g2]].sum()
    return np.asarray(chosen, dtype=np.int64)


def farthest_first(h: np.ndarray, base: np.ndarray, k: int) -> np.ndarray:
    """Greedy k-centre over the rows of ``h`` (Gonzalez 1985; the core-set step of Sener &
    Savarese, ICLR 2018): the best row by ``base`` first, then each time the row farthest from
    every row chosen so far, ties to the better ``base`` and then the lower position. Stops early
    when every row left sits on a chosen one (duplicates). Positions in the order chosen."""
    m = len(h)
    if m == 0 or k <= 0:
        return np.zeros(0, dtype=np.int64)
    rank = np.empty(m, dtype=np.int64)
    rank[np.lexsort((np.arange(m), -base))] = np.arange(m)  # 0 = the best row
    ht = torch.from_numpy(np.ascontiguousarray(h, dtype=np.float64))
    sq = np.einsum("ij,ij->i", h, h)
    tol = _DUPLICATE * max(float(sq.max()), 1e-300)

    def dot(c: int) -> np.ndarray:
        return torch.mv(ht, ht[c]).numpy()

    first = int(np.argmin(rank))
    chosen = [first]
    d2 = _dist2(sq, dot, first, tol)
    while len(chosen) < min(k, m):
        far = float(d2.max())
        if not far > 0.0:
            break
        ties = np.flatnonzero(d2 == far)
        nxt = int(ties[np.argmin(rank[ties])])
        chosen.append(nxt)
        d2 = np.minimum(d2, _dist2(sq, dot, nxt, tol))
    return np.asarray(chosen, dtype=np.int64)


def coreset_cells(h: np.ndarray, item: np.ndarray, labels: np.ndarray, base: np.ndarray, k: int) -> np.ndarray:
    """The core-set step over candidate cells, label by label: each label keeps the share of the
    batch the base ranking gives it (its cells among the ``k`` best), taken by
    :func:`farthest_first` over its candidate cells' items' features. Two labels of one item are
    not redundant (as in BADGE's cells, where they are orthogonal), so cells of different labels
    never cover each other; per label the cost is O(share · cells of the label · d)."""
    m = len(base)
    best = np.lexsort((np.arange(m), -base))[:k]
    quota = np.bincount(labels[best], minlength=int(labels.max()) + 1 if m else 0)
    chosen: list[np.ndarray] = []
    for label in np.flatnonzero(quota):
        idx = np.flatnonzero(labels == label)  # ascending positions
        chosen.append(idx[farthest_first(h[item[idx]], base[idx], int(quota[label]))])
    return np.concatenate(chosen) if chosen else np.zeros(0, dtype=np.int64)


def kmeans(x: np.ndarray, k: int, rng: np.random.Generator, first: int) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd's k-means from a k-means++ start: (cluster of each point ``[m]``, centres ``[k', d]``).

    ``k' ≤ k`` when the points hold fewer distinct values than ``k``. Ties go to the lower
    centre index; an empty cluster keeps its centre.
    """
    m = len(x)
    sample = np.arange(m)
    size = max(INIT_MIN, INIT_PER_CLUSTER * k)
    if m > size:  # seed from a random sample that holds ``first``
        others = rng.choice(m - 1, size=size - 1, replace=False)
        sample = np.sort(np.r_[first, others + (others >= first)])
    xs = torch.from_numpy(np.ascontiguousarray(x[sample]))
    sq_s = np.einsum("ij,ij->i", x[sample], x[sample])
    seeds = kmeanspp(sq_s, lambda c: torch.mv(xs, xs[c]).numpy(), k, rng, int(np.searchsorted(sample, first)))
    centres = x[sample[seeds]].copy()
    x32 = torch.from_numpy(x.astype(np.float32))
    x64 = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64))
    cluster = _assign(x32, centres)
    for _ in range(LLOYD_ITERATIONS):
        centres = _means(x64, cluster, centres)
        new = _assign(x32, centres)
        if np.array_equal(new, cluster):
            break
        cluster = new
    return cluster, centres


def _assign(x32: torch.Tensor, centres: np.ndarray) -> np.ndarray:
    """The nearest centre of every point, in row chunks (float32 products: the argmin only)."""
    c32 = torch.from_numpy(centres.astype(np.float32))  # [k, d]
    csq = (c32 * c32).sum(1)  # [k]
    out = np.empty(len(x32), dtype=np.int64)
    for s in range(0, len(x32), _ROWS):
        d = csq.unsqueeze(0) - 2.0 * (x32[s : s + _ROWS] @ c32.T)  # [rows, k]; |x|² leaves the argmin
        out[s : s + _ROWS] = d.argmin(dim=1).numpy()
    return out


def _means(x64: torch.Tensor, cluster: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Each cluster's mean (float64, rows added in row order); an empty cluster keeps its centre."""
    k = len(centres)
    sums = torch.zeros(k, x64.shape[1], dtype=torch.float64).index_add_(0, torch.from_numpy(cluster), x64)
    counts = np.bincount(cluster, minlength=k)
    out = centres.copy()
    full = counts > 0
    out[full] = sums.numpy()[full] / counts[full, None]
    return out


def round_robin(cluster: np.ndarray, within: np.ndarray, across: np.ndarray) -> np.ndarray:
    """Positions dealt out over clusters: every cluster's first (lowest ``within``), then every
    cluster's second, …; inside one such round by ``across``, then ``within``, then position."""
    m = len(cluster)
    pos = np.arange(m)
    order = np.lexsort((pos, within, cluster))  # by cluster, then within, then position
    grouped = cluster[order]
    starts = np.flatnonzero(np.r_[True, grouped[1:] != grouped[:-1]])
    sizes = np.diff(np.r_[starts, m])
    rank = np.empty(m, dtype=np.int64)
    rank[order] = pos - np.repeat(starts, sizes)
    return np.lexsort((pos, within, across, rank))


def cluster_pick(h: np.ndarray, base: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k-means over the candidates' features; each cluster's best candidate by ``base``."""
    k = min(k, len(base))
    first = int(np.lexsort((np.arange(len(base)), -base))[0])  # the best candidate
    cluster, _ = kmeans(h, k, rng, first)
    return round_robin(cluster, -base, -base)[:k]


# -- the ``diverse`` policy --------------------------------------------------------------------


class RankingPolicy(PolicyBase):
    """The flow every policy that scores cells shares (``uncertainty``, ``disagreement``,
    ``bald``): its per-cell scores (``cell_scores``, given by the subclass), ranked within their
    own label first with ``balance=labels``, then the batch by ``aggregate`` and top-k, or by the
    ``diversity`` step among the best ``candidates`` × batch."""

    name = "ranking"
    aggregate: str
    rare_bonus: float
    diversity: str
    candidates: float
    balance: str

    def __init__(
        self, aggregate: str, rare_bonus: float, diversity: str = "none", candidates: float = 10.0, balance: str = "auto"
    ):
        """For a subclass that is not a dataclass (a plugin's). The built-in ones are dataclasses
        over their declared arguments (:mod:`alframe.policies.args`): their generated
        ``__init__`` takes exactly those and calls :meth:`__post_init__`."""
        self.aggregate, self.rare_bonus = aggregate, rare_bonus
        self.diversity, self.candidates, self.balance = diversity, candidates, balance
        RankingPolicy.__post_init__(self)

    def __post_init__(self) -> None:
        check_diversity(self.diversity, self.candidates)
        self.candidates = float(self.candidates)
        #: the scorer fills ``PoolScores.embeddings`` only for a diversity step
        self.needs_embeddings = self.diversity != "none"

    def cell_fn(self, scores: PoolScores, members: int) -> CellFn:
        """The per-chunk measure ``[c, L, K] → [c, L]`` for this pool and ``members`` (K), rare
        bonus included; given by the subclass. ``scores`` supplies the label counts and the
        thresholds; its probabilities are not read here (the streamed scorer has none)."""
        raise NotImplementedError

    def cell_scores(self, scores: PoolScores) -> np.ndarray:
        """Per-cell scores ``[n, L]`` (float32), higher = ask sooner."""
        cell = measures.map_rows(scores.probs, self.cell_fn(scores, int(scores.probs.shape[2])))  # [n, L]
        check_cell_scores(cell, self.name)
        return cell.numpy()

    def select(self, scores: PoolScores, ctx: QueryContext) -> Queries:
        if isinstance(scores.streamed, StreamedScores):  # every cell's score, scored chunk by chunk
            check_context(ctx)
            cell = balanced(scores.streamed.cell, scores, self.balance, ctx.unit)
            return diverse_select(cell, scores, ctx, self.aggregate, self.diversity, self.candidates, self.name)
        if scores.streamed is not None:  # the scorer reduced the pool chunk by chunk (stream.py)
            check_context(ctx)
            return streamed_queries(scores, ctx)
        scores = prepared(scores, ctx, self.name)
        cell = balanced(self.cell_scores(scores), scores, self.balance, ctx.unit)
        return diverse_select(cell, scores, ctx, self.aggregate, self.diversity, self.candidates, self.name)


class DiversePolicy(PolicyBase):
    """Representative items: k-means over the model's features, the item nearest each centre.

    Typicality rather than uncertainty: it needs no probabilities (``needs_scores = False``),
    so it chooses a seed set before any model is trained, and as a query policy it samples the
    pool's regions in proportion to nothing but their existence. With ``unit item`` there are
    ``batch`` clusters and one item from each. With ``unit cell`` a person answers whole
    items best, so there are ``⌈batch / u⌉`` clusters (``u`` the mean number of unknown labels
    per candidate item) and the representative items' unknown cells are asked in label order
    until the batch is full; the last item may be asked in part. Representatives come in order
    of their cluster's size (the largest region first), so a batch cut short covers the
    largest regions; an item's ``score`` is the size of the cluster it stands for.
    """

    name = "diverse"
    needs_scores = False
    needs_embeddings = True

    def select(self, scores: PoolScores, ctx: QueryContext) -> Queries:
        check_context(ctx)
        check_scores(scores)
        scores = canonical(scores)
        known = np.asarray(scores.known, dtype=bool)  # [n, L]
        open_rows = np.flatnonzero(~known.all(axis=1)) if known.shape[1] else np.zeros(0, np.int64)
        if ctx.batch <= 0 or not len(open_rows):
            return Queries.empty()
        unknown = (~known[open_rows]).sum(axis=1)  # [c] unknown cells per candidate
        if ctx.unit == "item":
            k = min(ctx.batch, len(open_rows))
        else:
            k = min(len(open_rows), math.ceil(ctx.batch / float(unknown.mean())))
        x = embeddings_of(scores, self.name, open_rows)  # [c, d]
        first = int(ctx.rng.integers(len(open_rows)))
        cluster, centres = kmeans(x, k, ctx.rng, first)
        diff = x - centres[cluster]
        dist = np.einsum("ij,ij->i", diff, diff)  # [c] squared distance to the own centre
        size = np.bincount(cluster, minlength=len(centres))[cluster].astype(np.float64)  # [c]
        order = round_robin(cluster, dist, -size)
        if ctx.unit == "item":
            take = order[: ctx.batch]
            return Queries(
                items=scores.items[open_rows[take]].astype(np.int64),
                labels=np.full(len(take), -1, dtype=np.int64),
                prob=np.ones(len(take)),
                score=size[take],
            )
        ends = np.cumsum(unknown[order])
        take = order[: int(np.searchsorted(ends, ctx.batch, side="left")) + 1]
        items, labels, score = [], [], []
        for c in take:
            cols = np.flatnonzero(~known[open_rows[c]])
            items.append(np.full(len(cols), scores.items[open_rows[c]], dtype=np.int64))
            labels.append(cols.astype(np.int64))
            score.append(np.full(len(cols), size[c]))
        n = min(ctx.batch, int(ends[-1]))
        return Queries(
            items=np.concatenate(items)[:n],
            labels=np.concatenate(labels)[:n],
            prob=np.ones(n),
            score=np.concatenate(score)[:n],
        )
