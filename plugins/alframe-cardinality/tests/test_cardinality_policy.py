"""The cardinality policy against its formula (computed by hand, item by item) and against
the policy contract of alframe/policies/base.py."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from alframe.policies.base import PoolScores, QueryContext
from alframe_cardinality.policy import CardinalityPolicy


def pool(probs: list[list[float]], known: list[list[bool]] | None = None, *, items: list[int] | None = None,
         positives: list[int] | None = None, answered: list[int] | None = None,
         thresholds: list[float] | None = None, members: int = 1) -> PoolScores:
    p = np.asarray(probs, dtype=np.float32)  # [n, L]
    n, n_labels = p.shape
    return PoolScores(
        items=np.asarray(items if items is not None else range(n), dtype=np.int64),
        probs=torch.from_numpy(np.repeat(p[:, :, None], members, axis=2)),  # [n, L, K]
        known=np.asarray(known if known is not None else np.zeros((n, n_labels), bool), dtype=bool),
        label_positives=np.asarray(positives if positives is not None else [0] * n_labels, dtype=np.int64),
        label_answered=np.asarray(answered if answered is not None else [0] * n_labels, dtype=np.int64),
        thresholds=np.asarray(thresholds if thresholds is not None else [0.5] * n_labels, dtype=np.float32),
    )


def ctx(batch: int, unit: str = "item") -> QueryContext:
    return QueryContext(batch=batch, unit=unit, rng=np.random.default_rng(0), n_seen=10, round=1)


def logit(x: float) -> float:
    x = min(max(x, 1e-7), 1 - 1e-7)
    return math.log(x / (1 - x))


def by_hand(probs: list[list[float]], mean_card: float, beta: float) -> list[float]:
    """The paper's score, one item at a time, with plain floats."""
    out = []
    for row in probs:
        f = [logit(p) - logit(0.5) for p in row]
        pos = [v for v in f if v >= 0]
        neg = [v for v in f if v < 0]
        margin = (min(pos) if pos else 0.0) - (max(neg) if neg else 0.0)
        u = 1.0 / (margin + 1e-6)
        c = abs(len(pos) - mean_card)
        out.append(u**beta * c ** (1 - beta))
    return out


PROBS = [
    [0.9, 0.8, 0.7, 0.6],   # 4 predicted positives: far above the usual cardinality
    [0.55, 0.45, 0.1, 0.1],  # 1 positive, both sides near the boundary
    [0.99, 0.01, 0.02, 0.03],  # 1 positive, confident
    [0.2, 0.3, 0.1, 0.05],  # 0 positives
    [0.51, 0.49, 0.9, 0.2],  # 2 positives, very uncertain
]
# labelled so far: label rates 0.5, 0.25, 0.25, 0 → mean cardinality 1.0
POS, ANS = [10, 5, 5, 0], [20, 20, 20, 20]


@pytest.mark.parametrize("beta", [0.0, 0.3, 0.5, 1.0])
def test_item_scores_match_the_formula(beta: float) -> None:
    q = CardinalityPolicy(beta=beta).select(pool(PROBS, positives=POS, answered=ANS), ctx(5))
    expected = by_hand(PROBS, 1.0, beta)
    got = dict(zip(q.items.tolist(), q.score.tolist()))
    for i, want in enumerate(expected):
        assert got[i] == pytest.approx(want, rel=1e-5)
    assert list(q.score) == sorted(q.score, reverse=True)
    assert np.all(q.labels == -1) and np.all(q.prob == 1.0)


def test_beta_moves_between_cardinality_and_uncertainty() -> None:
    scores = pool(PROBS, positives=POS, answered=ANS)
    assert CardinalityPolicy(beta=0.0).select(scores, ctx(1)).items.tolist() == [0]  # |4 - 1| = 3
    assert CardinalityPolicy(beta=1.0).select(scores, ctx(1)).items.tolist() == [4]  # margin ≈ 0.08


def test_mean_cardinality_falls_back_to_the_pool_for_unanswered_labels() -> None:
    # no label has an answer: the mean cardinality is the pool's mean probability summed (1.5 here)
    probs = [[1.0, 0.0], [1.0, 1.0], [0.0, 1.0], [1.0, 1.0]]
    q = CardinalityPolicy(beta=0.0).select(pool(probs), ctx(4))
    assert dict(zip(q.items.tolist(), q.score.tolist())) == pytest.approx({0: 0.5, 1: 0.5, 2: 0.5, 3: 0.5})
    assert q.items.tolist() == [0, 1, 2, 3]  # all tied: item order


def test_known_cells_are_never_asked_and_full_items_never_chosen() -> None:
    known = [[True] * 4, [False, True, True, True], [False] * 4, [True] * 4, [False] * 4]
    scores = pool(PROBS, known, positives=POS, answered=ANS)
    items = CardinalityPolicy().select(scores, ctx(10))
    assert set(items.items.tolist()) == {1, 2, 4}
    cells = CardinalityPolicy().select(scores, ctx(100, "cell"))
    asked = set(zip(cells.items.tolist(), cells.labels.tolist()))
    assert len(asked) == len(cells) == int((~np.asarray(known)).sum())
    assert all(not known[i][j] for i, j in asked)


def test_cell_scores_use_the_cells_own_margin() -> None:
    scores = pool(PROBS, positives=POS, answered=ANS)
    q = CardinalityPolicy(beta=1.0).select(scores, ctx(1, "cell"))
    assert (q.items.tolist(), q.labels.tolist()) == ([4], [0])  # p = 0.51 is the closest to 0.5 (tied with 0.49: lower label)
    c = CardinalityPolicy(beta=0.5).select(scores, ctx(3, "cell"))
    f = abs(logit(0.51))
    assert c.score[0] == pytest.approx((1 / (f + 1e-6)) ** 0.5 * abs(2 - 1.0) ** 0.5, rel=1e-5)


def test_ties_go_to_the_lower_item_then_label_whatever_the_pool_order() -> None:
    probs = [[0.6, 0.6]] * 6
    items = [11, 3, 7, 5, 9, 1]
    for unit, want in (("item", [(1, -1), (3, -1), (5, -1)]), ("cell", [(1, 0), (1, 1), (3, 0)])):
        q = CardinalityPolicy().select(pool(probs, items=items), ctx(3, unit))
        assert list(zip(q.items.tolist(), q.labels.tolist())) == want


def test_at_most_batch_and_empty_cases() -> None:
    scores = pool(PROBS, positives=POS, answered=ANS)
    assert len(CardinalityPolicy().select(scores, ctx(2))) == 2
    assert len(CardinalityPolicy().select(scores, ctx(0))) == 0
    assert len(CardinalityPolicy().select(pool([[0.5]], [[True]]), ctx(3))) == 0


def test_bad_arguments_and_inputs_are_refused() -> None:
    with pytest.raises(ValueError):
        CardinalityPolicy(beta=1.5)
    with pytest.raises(ValueError):
        CardinalityPolicy(count="median")
    from alframe.errors import PluginError

    bad = pool(PROBS)
    bad.probs[0, 0, 0] = float("nan")
    with pytest.raises(PluginError, match="NaN"):
        CardinalityPolicy().select(bad, ctx(1))
    with pytest.raises(PluginError, match="unit"):
        CardinalityPolicy().select(pool(PROBS), ctx(1, "label"))


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    n=st.integers(1, 30),
    n_labels=st.integers(1, 6),
    members=st.integers(1, 3),
    batch=st.integers(1, 40),
    unit=st.sampled_from(["item", "cell"]),
    beta=st.sampled_from([0.0, 0.5, 1.0]),
    count=st.sampled_from(["hard", "soft"]),
)
def test_contract_on_random_pools(seed: int, n: int, n_labels: int, members: int, batch: int, unit: str,
                                  beta: float, count: str) -> None:
    rng = np.random.default_rng(seed)
    probs = np.round(rng.random((n, n_labels, members)), 1).astype(np.float32)  # rounded: many ties
    known = rng.random((n, n_labels)) < 0.4
    items = rng.permutation(n * 3)[:n].astype(np.int64)
    scores = PoolScores(items, torch.from_numpy(probs), known, rng.integers(0, 5, n_labels),
                        np.full(n_labels, 5), np.full(n_labels, 0.5, dtype=np.float32))
    policy = CardinalityPolicy(beta=beta, count=count)
    q = policy.select(scores, ctx(batch, unit))
    candidates = int((~known.all(axis=1)).sum()) if unit == "item" else int((~known).sum())
    assert len(q) == min(batch, candidates)
    assert np.all(q.prob == 1.0) and np.all(np.isfinite(q.score))
    row = {int(item): r for r, item in enumerate(items)}
    pairs = list(zip(q.items.tolist(), q.labels.tolist()))
    assert len(set(pairs)) == len(pairs)
    for item, label in pairs:
        assert not known[row[item]].all() if label < 0 else not known[row[item], label]
    order = rng.permutation(n)
    shuffled = PoolScores(items[order], torch.from_numpy(probs[order]), known[order],
                          scores.label_positives, scores.label_answered, scores.thresholds)
    again = policy.select(shuffled, ctx(batch, unit))
    assert pairs == list(zip(again.items.tolist(), again.labels.tolist()))
