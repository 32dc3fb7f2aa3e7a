"""Properties every built-in policy keeps, for both query units (hypothesis)."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from policy_pools import available, ctx, fast, make_pool, permuted, pool_strategy

from alframe.plugins import load
from alframe.policies.base import PoolScores, Queries

REGISTRY = load(autoload=False).registry

#: (registered name, arguments): every policy, and the variants that change the code path
POLICIES: list[tuple[str, dict[str, Any]]] = [
    ("random", {}),
    ("uncertainty", {}),
    ("uncertainty", {"measure": "entropy", "aggregate": "max", "rare_bonus": 2.0}),
    ("uncertainty", {"measure": "margin", "aggregate": "sum"}),
    ("disagreement", {}),
    ("disagreement", {"measure": "kl", "aggregate": "max"}),
    ("bald", {"rare_bonus": 1.0}),
    ("uncertainty", {"balance": "labels"}),
    ("bald", {"balance": "labels", "aggregate": "max"}),
    ("iwal", {}),
    ("iwal", {"base": "bald", "sampling": "systematic"}),
    ("iwal", {"base": "margin", "rule": "threshold", "combine": "mean"}),
    ("iwal", {"base": "disagreement", "rule": "threshold", "c0": 1.0}),
    ("iwal", {"base": "uncertainty", "fit_batch": False, "floor": 0.3}),
    ("iwal", {"base": "uncertainty", "balance": "labels", "top": 0.9}),
    ("adaptive", {}),
]

pools = pool_strategy(levels=st.sampled_from([0, 2, 3]))
FAST = fast()


def build(name: str, args: dict[str, Any]) -> Any:
    return REGISTRY.build("policy", name, args)


def cells(q: Queries) -> set[tuple[int, int, float]]:
    return {(int(i), int(j), round(float(p), 12)) for i, j, p in zip(q.items, q.labels, q.prob)}


def check_valid(q: Queries, scores: PoolScores, unit: str) -> None:
    assert q.items.shape == q.labels.shape == q.prob.shape == q.score.shape
    assert np.all((q.prob > 0) & (q.prob <= 1))
    row = {int(item): r for r, item in enumerate(scores.items)}
    keys = list(zip(q.items.tolist(), q.labels.tolist()))
    assert len(set(keys)) == len(keys), "a query appears twice"
    for item, label in keys:
        known = scores.known[row[item]]
        if unit == "item":
            assert label == -1 and not known.all(), "an item with nothing left to ask"
        else:
            assert label >= 0 and not known[label], "an answered cell asked again"


def is_deterministic(name: str) -> bool:
    return name not in ("iwal",)


@FAST
@given(pool=pools, batch=st.integers(0, 30), unit=st.sampled_from(["item", "cell"]), seed=st.integers(0, 99))
def test_every_policy_keeps_the_contract(pool: PoolScores, batch: int, unit: str, seed: int) -> None:
    order = np.random.default_rng(seed).permutation(len(pool.items))
    for name, args in POLICIES:
        q = build(name, args).select(pool, ctx(batch, unit, seed))
        check_valid(q, pool, unit)
        if name != "iwal":
            assert len(q) == min(batch, available(pool, unit)), name
        again = build(name, args).select(pool, ctx(batch, unit, seed))
        assert cells(again) == cells(q), f"{name} is not deterministic for a seed"
        shuffled = build(name, args).select(permuted(pool, order), ctx(batch, unit, seed))
        assert cells(shuffled) == cells(q), f"{name} depends on the order of the pool"


@FAST
@given(pool=pools, unit=st.sampled_from(["item", "cell"]))
def test_ranking_policies_return_best_first_with_ties_by_item_then_label(pool: PoolScores, unit: str) -> None:
    for name, args in POLICIES:
        if name in ("random", "iwal", "adaptive"):  # adaptive: whichever arm the round draws
            continue
        q = build(name, args).select(pool, ctx(1000, unit))
        key = list(zip((-q.score).tolist(), q.items.tolist(), q.labels.tolist()))
        assert key == sorted(key), name


def test_iwal_expected_count_is_the_batch() -> None:
    pool = make_pool(3, n=200, n_labels=6, members=5, known_frac=0.2)
    for unit, batch in (("item", 20), ("cell", 60)):
        counts = [len(build("iwal", {}).select(pool, ctx(batch, unit, seed))) for seed in range(300)]
        mean, se = float(np.mean(counts)), float(np.std(counts) / np.sqrt(len(counts)))
        assert abs(mean - batch) < 4 * se + 0.05, (unit, mean, batch)
        systematic = build("iwal", {"sampling": "systematic"})
        exact = {len(systematic.select(pool, ctx(batch, unit, s))) for s in range(30)}
        assert exact == {batch}


@FAST
@given(pool=pools, unit=st.sampled_from(["item", "cell"]), batch=st.integers(1, 12))
def test_a_smaller_batch_is_a_prefix_of_the_full_ranking(pool: PoolScores, unit: str, batch: int) -> None:
    """Ties at the cut are broken by item index then label index, never by partition order."""
    for name, args in POLICIES:
        if name in ("random", "iwal", "adaptive"):  # adaptive: whichever arm the round draws
            continue
        full = build(name, args).select(pool, ctx(10_000, unit))
        part = build(name, args).select(pool, ctx(batch, unit))
        assert part.items.tolist() == full.items[:batch].tolist(), name
        assert part.labels.tolist() == full.labels[:batch].tolist(), name
