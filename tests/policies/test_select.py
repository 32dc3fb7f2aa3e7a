"""Selection: bounded top-k, tie-breaking, aggregation, pool order."""

from __future__ import annotations

import numpy as np
import pytest
from policy_pools import ctx, make_pool, permuted

from alframe.errors import PluginError
from alframe.policies.random_policy import RandomPolicy
from alframe.policies.select import aggregate, canonical, kth_largest, top_k


def test_top_k_orders_by_value_then_position() -> None:
    v = np.array([0.5, 0.9, 0.5, -np.inf, 0.9, 0.1, 0.5])
    assert top_k(v, 4).tolist() == [1, 4, 0, 2]
    assert top_k(v, 100).tolist() == [1, 4, 0, 2, 6, 5]  # -inf is never chosen
    assert top_k(v, 0).tolist() == []
    assert top_k(np.array([]), 3).tolist() == []


def test_top_k_all_tied_takes_the_lowest_positions() -> None:
    v = np.zeros(1000, dtype=np.float32)
    assert top_k(v, 5).tolist() == [0, 1, 2, 3, 4]


def test_aggregate_marks_fully_known_items() -> None:
    cell = np.array([[0.2, 0.4], [0.1, 0.3]], dtype=np.float32)
    known = np.array([[False, True], [True, True]])
    for how, expected in (("mean", 0.2), ("max", 0.2), ("sum", 0.2)):
        out = aggregate(cell, known, how)
        assert out[0] == pytest.approx(expected) and out[1] == -np.inf


def test_canonical_sorts_rows_and_refuses_duplicate_items() -> None:
    pool = make_pool(0, n=10)
    order = np.random.default_rng(0).permutation(10)
    back = canonical(permuted(pool, order))
    assert back.items.tolist() == pool.items.tolist()
    assert np.array_equal(back.known, pool.known) and bool((back.probs == pool.probs).all())
    twice = permuted(pool, np.array([0, 1, 1, 2]))
    with pytest.raises(PluginError, match="twice"):
        canonical(twice)


def test_random_is_uniform_over_cells() -> None:
    pool = make_pool(4, n=6, n_labels=3, known_frac=0.3)
    n_free = int((~pool.known).sum())
    counts = np.zeros(pool.known.shape)
    trials = 3000
    for s in range(trials):
        q = RandomPolicy().select(pool, ctx(2, "cell", seed=s))
        rows = np.searchsorted(pool.items, q.items)
        counts[rows, q.labels] += 1
    assert counts[pool.known].sum() == 0
    rate = counts[~pool.known] / trials  # each free cell: 2 / n_free
    np.testing.assert_allclose(rate, 2 / n_free, atol=4 * np.sqrt((2 / n_free) / trials))


def test_a_whole_random_seed_asks_every_unknown_cell_of_random_items() -> None:
    """``whole`` (a cell run's seed): ⌈batch / u⌉ uniform items, each item's unknown cells in
    label order, cut at ``batch`` cells; with nothing known the items an item run draws first."""
    from dataclasses import replace

    pool = make_pool(2, n=30, n_labels=5, known_frac=0.0)
    pool.known[:] = False
    q = RandomPolicy().select(pool, replace(ctx(20, "cell", seed=3), whole=True))
    assert len(q) == 20 and (q.prob == 1).all()
    items = np.unique(q.items)
    assert len(items) == 4  # 20 cells of 5 labels: 4 whole items
    for it in items:
        assert q.labels[q.items == it].tolist() == [0, 1, 2, 3, 4]
    same = RandomPolicy().select(pool, ctx(4, "item", seed=3))
    assert sorted(same.items.tolist()) == items.tolist()
    # known cells are never asked, and the batch may end inside an item
    pool = make_pool(4, n=30, n_labels=5, known_frac=0.3)
    q = RandomPolicy().select(pool, replace(ctx(13, "cell", seed=1), whole=True))
    rows = np.searchsorted(pool.items, q.items)
    assert len(q) == 13 and not pool.known[rows, q.labels].any()
    assert len(set(zip(q.items.tolist(), q.labels.tolist()))) == 13
    for it in np.unique(q.items)[:-1]:  # every item but the last is asked whole
        r = int(np.searchsorted(pool.items, it))
        assert sorted(q.labels[q.items == it].tolist()) == np.flatnonzero(~pool.known[r]).tolist()
    scattered = RandomPolicy().select(pool, ctx(13, "cell", seed=1))
    assert len(np.unique(scattered.items)) > len(np.unique(q.items))


def test_random_needs_no_model_scores() -> None:
    import torch

    pool = make_pool(1, n=12)
    pool.probs = torch.zeros((12, pool.known.shape[1], 0))  # the seed set: no model yet
    q = RandomPolicy().select(pool, ctx(4, "item"))
    assert len(q) == 4 and RandomPolicy.needs_scores is False


@pytest.mark.parametrize("case", ["continuous", "tied_bulk", "tie_at_cut", "minus_inf_bulk", "all_equal"])
@pytest.mark.parametrize("k", [1, 37, 5000])
def test_kth_largest_on_large_pools_matches_a_full_sort(case: str, k: int) -> None:
    rng = np.random.default_rng(k)
    m = 600_000  # past the size where a sampled cut is used
    v = rng.random(m).astype(np.float32)
    if case == "tied_bulk":
        v[rng.random(m) < 0.95] = 0.02
    elif case == "tie_at_cut":
        v = np.round(v * 4).astype(np.float32) / 4  # five values only
    elif case == "minus_inf_bulk":
        v[rng.random(m) < 0.99] = -np.inf
    elif case == "all_equal":
        v[:] = 0.5
    expected = np.sort(v)[::-1][k - 1]
    assert kth_largest(v, k) == expected
    chosen = top_k(v, k)
    reference = np.lexsort((np.arange(m), -v))[:k]
    assert chosen.tolist() == reference.tolist()
