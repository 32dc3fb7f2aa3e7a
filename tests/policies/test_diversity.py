"""Batch diversity (``diversity=badge|coreset|cluster``) and the ``diverse`` policy."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from policy_pools import available, ctx, fast, make_pool, pool_strategy
from test_policies_in_a_run import run

from alframe.errors import PluginError
from alframe.models.bundle import embed_items
from alframe.plugins import load
from alframe.policies import diversity as D
from alframe.policies.base import PoolScores, Queries

REGISTRY = load(autoload=False).registry

POLICIES: list[tuple[str, dict[str, Any]]] = [
    ("uncertainty", {"diversity": "badge"}),
    ("uncertainty", {"diversity": "cluster", "measure": "entropy", "aggregate": "max"}),
    ("uncertainty", {"diversity": "badge", "candidates": 1.5, "rare_bonus": 1.0}),
    ("disagreement", {"diversity": "badge", "measure": "kl"}),
    ("disagreement", {"diversity": "cluster", "candidates": 3.0}),
    ("bald", {"diversity": "cluster"}),
    ("bald", {"diversity": "badge", "aggregate": "sum"}),
    ("uncertainty", {"diversity": "coreset"}),
    ("disagreement", {"diversity": "coreset", "candidates": 2.0, "balance": "none"}),
    ("diverse", {}),
]


def with_embeddings(pool: PoolScores, seed: int, d: int = 4, groups: int = 0) -> PoolScores:
    """The pool with features; ``groups > 0`` gives only that many distinct rows (exact ties)."""
    rng = np.random.default_rng(seed + 1)
    n = len(pool.items)
    if groups:
        emb = rng.normal(size=(groups, d))[rng.integers(0, groups, size=n)]
    else:
        emb = rng.normal(size=(n, d))
    pool.embeddings = torch.tensor(emb, dtype=torch.float32).reshape(n, d)
    return pool


def make(seed: int, n: int, n_labels: int, members: int, known_frac: float, levels: int, groups: int) -> PoolScores:
    return with_embeddings(make_pool(seed, n, n_labels, members, known_frac, levels), seed, groups=groups)


def permuted(scores: PoolScores, order: np.ndarray) -> PoolScores:
    rows = torch.from_numpy(order)
    assert scores.embeddings is not None
    return PoolScores(
        items=scores.items[order],
        probs=scores.probs[rows],
        known=scores.known[order],
        label_positives=scores.label_positives,
        label_answered=scores.label_answered,
        thresholds=scores.thresholds,
        embeddings=scores.embeddings[rows],
    )


def build(name: str, args: dict[str, Any]) -> Any:
    return REGISTRY.build("policy", name, args)


def cells(q: Queries) -> set[tuple[int, int]]:
    return {(int(i), int(j)) for i, j in zip(q.items, q.labels)}


def check_valid(q: Queries, scores: PoolScores, unit: str) -> None:
    assert q.items.shape == q.labels.shape == q.prob.shape == q.score.shape
    assert np.all(q.prob == 1.0)
    row = {int(item): r for r, item in enumerate(scores.items)}
    keys = list(zip(q.items.tolist(), q.labels.tolist()))
    assert len(set(keys)) == len(keys), "a query appears twice"
    for item, label in keys:
        known = scores.known[row[item]]
        if unit == "item":
            assert label == -1 and not known.all()
        else:
            assert label >= 0 and not known[label], "an answered cell asked again"


pools = pool_strategy(make, 40, levels=st.sampled_from([0, 2, 3]), groups=st.sampled_from([0, 1, 3, 8]))
FAST = fast()


@FAST
@given(pool=pools, batch=st.integers(0, 30), unit=st.sampled_from(["item", "cell"]), seed=st.integers(0, 99))
def test_every_diversity_choice_keeps_the_policy_contract(pool: PoolScores, batch: int, unit: str, seed: int) -> None:
    order = np.random.default_rng(seed).permutation(len(pool.items))
    for name, args in POLICIES:
        q = build(name, args).select(pool, ctx(batch, unit, seed))
        check_valid(q, pool, unit)
        assert len(q) == min(batch, available(pool, unit)), (name, args)
        again = build(name, args).select(pool, ctx(batch, unit, seed))
        assert cells(again) == cells(q), f"{name}{args} is not deterministic for a seed"
        shuffled = build(name, args).select(permuted(pool, order), ctx(batch, unit, seed))
        assert cells(shuffled) == cells(q), f"{name}{args} depends on the order of the pool"


def planted(unit_labels: int, groups: int = 20, size: int = 10, d: int = 16) -> PoolScores:
    """``groups`` groups of ``size`` items with identical features, in consecutive item order,
    every cell exactly as uncertain as every other (probability 0.5)."""
    n = groups * size
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(groups, d)) * 3.0
    return PoolScores(
        items=np.arange(n, dtype=np.int64),
        probs=torch.full((n, unit_labels, 3), 0.5),
        known=np.zeros((n, unit_labels), dtype=bool),
        label_positives=np.full(unit_labels, 5, dtype=np.int64),
        label_answered=np.full(unit_labels, 10, dtype=np.int64),
        thresholds=np.full(unit_labels, 0.5, dtype=np.float32),
        embeddings=torch.tensor(np.repeat(centres, size, axis=0), dtype=torch.float32),
    )


@pytest.mark.parametrize("unit, n_labels", [("item", 1), ("item", 4), ("cell", 1)])
@pytest.mark.parametrize("diversity", ["badge", "coreset", "cluster"])
def test_a_batch_takes_one_of_each_planted_group(unit: str, n_labels: int, diversity: str) -> None:
    pool = planted(n_labels)
    groups = lambda q: sorted(int(i) // 10 for i in q.items)  # noqa: E731
    plain = build("uncertainty", {}).select(pool, ctx(20, unit))
    assert groups(plain) == [0] * 10 + [1] * 10, "without diversity the ties take duplicates"
    for seed in range(5):
        q = build("uncertainty", {"diversity": diversity}).select(pool, ctx(20, unit, seed))
        assert groups(q) == list(range(20)), (diversity, seed)


def test_diverse_takes_one_of_each_planted_group_and_asks_whole_items_for_cells() -> None:
    pool = planted(1)
    for seed in range(5):
        q = build("diverse", {}).select(pool, ctx(20, "item", seed))
        assert sorted(int(i) // 10 for i in q.items) == list(range(20))
    pool = planted(4)
    q = build("diverse", {}).select(pool, ctx(20, "cell", 1))  # 5 items' worth of cells
    assert len(q) == 20 and len(set(q.items.tolist())) == 5
    assert len({int(i) // 10 for i in q.items}) == 5, "the items are from different groups"


def test_diverse_needs_no_probabilities() -> None:
    """As the seed policy the scorer gives constant probabilities; only features matter."""
    policy = build("diverse", {})
    assert policy.needs_scores is False and policy.needs_embeddings is True
    pool = planted(2)
    pool.probs = torch.rand(pool.probs.shape)
    other = planted(2)
    assert cells(policy.select(pool, ctx(20, "item", 3))) == cells(policy.select(other, ctx(20, "item", 3)))


def test_the_kronecker_distance_equals_the_explicit_one() -> None:
    rng = np.random.default_rng(4)
    m, n_labels, d = 9, 3, 5
    r = rng.normal(size=(m, n_labels))
    h = rng.normal(size=(m, d))
    g = np.einsum("il,id->ild", r, h).reshape(m, n_labels * d)  # [m, L·d] explicit
    sq = np.einsum("ij,ij->i", r, r) * np.einsum("ij,ij->i", h, h)
    for c in range(m):
        fast = D._dist2(sq, lambda j: (r @ r[j]) * (h @ h[j]), c, 0.0)
        assert np.allclose(fast, ((g - g[c]) ** 2).sum(1), atol=1e-9)
    # cells: (i, l) is r_il e_l ⊗ h_i
    item = np.array([0, 0, 1, 2, 2, 2, 5, 8])
    labels = np.array([0, 2, 1, 0, 1, 2, 0, 0])
    rc = rng.normal(size=len(item))
    gc = np.zeros((len(item), n_labels, d))
    gc[np.arange(len(item)), labels] = rc[:, None] * h[item]
    gc = gc.reshape(len(item), -1)  # [cells, L·d] explicit
    sq_c = np.einsum("ij,ij->i", gc, gc)
    by_label = np.argsort(labels, kind="stable")  # badge_cells draws over the cells label by label
    gl, sql = gc[by_label], sq_c[by_label]
    for s in range(3):
        chosen = D.badge_cells(rc, labels, h, item, 5, np.random.default_rng(s))
        explicit = D.kmeanspp(sql, lambda j: gl @ gl[j], 5, np.random.default_rng(s), int(np.argmax(sql)))
        assert chosen.tolist() == by_label[explicit].tolist()
    assert gc[0] @ gc[1] == 0.0, "cells of different labels are orthogonal"


def test_badge_starts_at_the_largest_gradient_and_never_repeats_a_duplicate() -> None:
    r = np.array([[0.1], [0.5], [0.5], [0.2]])
    h = np.array([[1.0, 0.0], [0.0, 2.0], [0.0, 2.0], [3.0, 0.0]])
    chosen = D.badge_items(r, h, 4, np.random.default_rng(0))
    assert chosen[0] == 1  # |g|² = 0.25 · 4 = 1, the largest (ties: the lower position)
    assert 2 not in chosen.tolist() and len(chosen) == 3, "the duplicate of a centre has distance 0"


def test_farthest_first_starts_at_the_best_and_covers_the_farthest_next() -> None:
    h = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 0.0], [5.0, 0.0], [0.0, 3.0]])
    base = np.array([0.2, 0.9, 0.1, 0.5, 0.3])
    chosen = D.farthest_first(h, base, 5)
    # the best (1), then the farthest from it (2 and 3 tie at distance 4.9: 3 scores higher),
    # then (0, 3) the farthest from both; 2 sits on 3 and 0 next to 1: after them only
    # duplicates' distances would be left, and 2 is one
    assert chosen.tolist()[:3] == [1, 3, 4]
    assert 2 not in chosen.tolist() and chosen.tolist() == [1, 3, 4, 0]


def test_coreset_cells_keep_each_labels_share_and_spread_within_it() -> None:
    # label 0: four candidates, two of them on one point; label 1: two candidates on one item
    h = np.array([[0.0, 0.0], [0.0, 0.0], [4.0, 0.0], [0.0, 1.0]])
    item = np.array([0, 1, 2, 3, 0, 0])
    labels = np.array([0, 0, 0, 0, 1, 1])
    base = np.array([0.9, 0.8, 0.1, 0.2, 0.7, 0.6])  # the 3 best: cells 0, 1 (label 0), 4 (label 1)
    chosen = D.coreset_cells(h, item, labels, base, 3)
    assert sorted(chosen.tolist()) == [0, 2, 4], "label 0 takes 2 (its share): its best, then the farthest"


def test_round_robin_deals_each_clusters_best_first() -> None:
    cluster = np.array([0, 0, 1, 1, 1, 2])
    score = np.array([0.9, 0.8, 0.5, 0.7, 0.6, 0.1])
    order = D.round_robin(cluster, -score, -score)
    assert order.tolist() == [0, 3, 5, 1, 4, 2]


def test_a_missing_feature_source_is_named() -> None:
    pool = make_pool(1, n=30)
    with pytest.raises(PluginError, match="needs the model's features") as info:
        build("uncertainty", {"diversity": "badge"}).select(pool, ctx(5, "item"))
    assert info.value.hook == "alframe_score_pool"
    with pytest.raises(PluginError, match="has no embed"):
        embed_items(object(), np.arange(3))
    pool.embeddings = torch.zeros(29, 3)
    with pytest.raises(PluginError, match="embeddings must be a tensor"):
        build("uncertainty", {"diversity": "cluster"}).select(pool, ctx(5, "item"))


def test_bad_arguments_are_refused_in_python_too() -> None:
    with pytest.raises(ValueError, match="diversity"):
        build("uncertainty", {}).__class__(diversity="kmeans")
    with pytest.raises(ValueError, match="coreset"):  # the message lists the choices
        build("uncertainty", {}).__class__(diversity="core-set")
    with pytest.raises(ValueError, match="candidates"):
        build("bald", {}).__class__(diversity="badge", candidates=0.5)


# -- a real run ---------------------------------------------------------------------------------


def test_badge_after_a_diverse_seed_runs_end_to_end(tmp_path: Path) -> None:
    summary, answers = run(tmp_path, ensemble=1, seed="40 diverse", batch=20, unit="item",
                           policy="uncertainty(diversity=badge)")
    assert summary.rounds == 3 and not summary.interrupted
    items = [{a.item for a in answers if a.round == r} for r in range(3)]
    assert [len(s) for s in items] == [40, 20, 20]
    assert all(a.prob == 1.0 for a in answers)
    assert summary.metrics.get("micro_f1") is not None


def test_cluster_cells_after_a_diverse_seed_run_end_to_end(tmp_path: Path) -> None:
    summary, answers = run(tmp_path, ensemble=2, seed="60 diverse", batch=50, unit="cell",
                           policy="bald(diversity=cluster, candidates=4)")
    assert summary.rounds == 3 and not summary.interrupted
    per_round = [sum(a.round == r for a in answers) for r in range(3)]
    assert per_round == [60, 50, 50]
