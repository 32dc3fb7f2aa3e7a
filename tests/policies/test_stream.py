"""The streamed choice (alframe.policies.stream) asks exactly what the whole-pool path asks, for
every built-in ranking policy, unit and balance it serves, whatever the chunk size, ties
included; and which policies the scorer may stream for."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from policy_pools import ctx, fast, make_pool

from alframe.plugins import load
from alframe.policies import measures
from alframe.policies.base import PoolScores
from alframe.policies.select import resolved_balance
from alframe.policies.stream import (
    StreamedArms,
    StreamedCells,
    StreamedChoice,
    StreamedScores,
    keeps_scores,
    streamable,
)

REGISTRY = load(autoload=False).registry

#: (policy, arguments, unit): every streamed combination of the built-in ranking policies
CASES = [
    ("uncertainty", {}, "item"),
    ("uncertainty", {"measure": "margin", "aggregate": "max"}, "item"),
    ("uncertainty", {"aggregate": "sum", "rare_bonus": 2.0}, "item"),
    ("uncertainty", {}, "cell"),  # balance auto: labels
    ("uncertainty", {"balance": "none", "measure": "entropy"}, "cell"),
    ("disagreement", {}, "item"),
    ("disagreement", {"measure": "kl"}, "cell"),
    ("disagreement", {"balance": "none"}, "cell"),
    ("bald", {"aggregate": "max"}, "item"),
    ("bald", {}, "cell"),
    ("uncertainty", {"diversity": "cluster"}, "item"),
    ("uncertainty", {"diversity": "badge", "candidates": 3.0}, "item"),
    ("bald", {"diversity": "badge"}, "item"),
    ("disagreement", {"diversity": "cluster", "candidates": 2.5, "aggregate": "max"}, "item"),
    ("uncertainty", {"diversity": "cluster"}, "cell"),  # balanced
    ("uncertainty", {"diversity": "badge", "candidates": 3.0}, "cell"),
    ("bald", {"diversity": "badge", "balance": "none"}, "cell"),
    ("disagreement", {"diversity": "cluster", "candidates": 2.5, "balance": "none"}, "cell"),
    ("uncertainty", {"diversity": "coreset"}, "item"),
    ("bald", {"diversity": "coreset", "candidates": 3.0}, "cell"),
    ("uncertainty", {"balance": "labels"}, "item"),  # every cell's score kept (StreamedScores)
    ("bald", {"balance": "labels", "aggregate": "max"}, "item"),
    ("adaptive", {}, "cell"),  # random and uncertainty, each arm its own reduction
    ("adaptive", {}, "item"),
    ("adaptive", {"arms": "every kind"}, "cell"),
    ("adaptive", {"arms": "every kind"}, "item"),
]


def build(name: str, args: dict[str, Any]) -> Any:
    """A policy as the registry builds it; ``adaptive`` over "every kind" of arm: uniform, a
    diversity step, every cell's score (balanced items), IWAL's cells."""
    if args.get("arms") != "every kind":
        return REGISTRY.build("policy", name, args)
    from alframe.policies.adaptive import AdaptivePolicy

    arms = [("random", {}), ("uncertainty", {"diversity": "cluster"}), ("bald", {"balance": "labels"}), ("iwal", {})]
    return AdaptivePolicy(arms=[(f"{a}{k}", REGISTRY.build("policy", a, k)) for a, k in arms])


def reduce(policy: Any, pool: PoolScores, batch: int, unit: str, chunk: int, n_seen: int = 100) -> PoolScores:
    """What the scorer does: the pool in chunks of ``chunk`` rows, reduced as they come."""
    from alframe.policies.adaptive import AdaptivePolicy
    from alframe.policies.iwal import IWALPolicy

    k = int(pool.probs.shape[2])
    if isinstance(policy, AdaptivePolicy):  # each scoring arm its own reduction
        own = {i: reduce(arm, pool, batch, unit, chunk, n_seen) for i, (_, arm) in enumerate(policy.arms)
               if arm.needs_scores}
        return PoolScores(pool.items, pool.probs[:, :, :0], pool.known, pool.label_positives, pool.label_answered,
                          pool.thresholds, streamed=StreamedArms(own))
    if isinstance(policy, IWALPolicy) or keeps_scores(policy, unit):  # every cell's number
        fn = policy.cell_fn(pool, k, n_seen) if isinstance(policy, IWALPolicy) else policy.cell_fn(pool, k)
        cell = np.zeros(pool.known.shape, dtype=np.float32)
        for s in range(0, len(pool.items), chunk):
            cell[s : s + chunk] = measures.map_rows(pool.probs[s : s + chunk], fn).numpy()
        kept = StreamedCells(cell, n_seen) if isinstance(policy, IWALPolicy) else StreamedScores(cell)
        return PoolScores(pool.items, pool.probs[:, :, :0], pool.known, pool.label_positives, pool.label_answered,
                          pool.thresholds, streamed=kept)
    choice = StreamedChoice(unit, batch, policy.aggregate, resolved_balance(policy.balance, unit), pool.known.shape[1],
                            policy.diversity, policy.candidates, policy.name)
    fn = policy.cell_fn(pool, k)
    for s in range(0, len(pool.items), chunk):
        probs = pool.probs[s : s + chunk]
        cell = measures.map_rows(probs, fn).numpy()
        choice.add(cell, pool.known[s : s + chunk], probs if policy.diversity != "none" else None)
    out = PoolScores(pool.items, pool.probs[:, :, :0], pool.known, pool.label_positives, pool.label_answered,
                     pool.thresholds, streamed=choice)
    if policy.diversity != "none":  # the scorer's features of the kept candidates only
        out.embeddings = pool.embeddings[torch.from_numpy(choice.candidate_items(np.arange(len(pool.items))))]
    return out


def streamed(policy: Any, pool: PoolScores, batch: int, unit: str, chunk: int) -> Any:
    return policy.select(reduce(policy, pool, batch, unit, chunk), ctx(batch, unit))


@pytest.mark.parametrize(("name", "args", "unit"), CASES, ids=[f"{n}-{u}-{a}" for n, a, u in CASES])
@fast(60)
@given(
    seed=st.integers(0, 2**31),
    n=st.integers(0, 60),
    n_labels=st.integers(1, 6),
    members=st.integers(1, 4),
    known_frac=st.sampled_from([0.0, 0.3, 0.9]),
    levels=st.sampled_from([0, 3, 5]),  # 3 or 5 probability levels: ties everywhere
    batch=st.integers(0, 40),
    chunk=st.integers(1, 70),
)
def test_the_streamed_choice_is_the_whole_pool_s(
    name: str, args: dict[str, Any], unit: str,
    seed: int, n: int, n_labels: int, members: int, known_frac: float, levels: int, batch: int, chunk: int,
) -> None:
    pool = make_pool(seed, n, n_labels, members, known_frac, levels)
    features = np.random.default_rng(seed).normal(size=(n, 3))
    features[1::3] = features[::3][: len(features[1::3])]  # duplicate items: k-means ties
    pool.embeddings = torch.tensor(features, dtype=torch.float32)
    policy, other = build(name, args), build(name, args)
    assert streamable(policy, unit)
    whole = other.select(pool, ctx(batch, unit))
    got = streamed(policy, pool, batch, unit, chunk)
    assert getattr(policy, "info", None) == getattr(other, "info", None)  # adaptive: the same arm, π, q
    np.testing.assert_array_equal(got.items, whole.items)
    np.testing.assert_array_equal(got.labels, whole.labels)
    np.testing.assert_array_equal(got.score, whole.score)
    np.testing.assert_array_equal(got.prob, whole.prob)


#: IWAL's streamed cases: its rules, bases, units, samplings and balances
IWAL_CASES = [
    ({}, "cell"),
    ({}, "item"),
    ({"rule": "threshold", "base": "bald"}, "cell"),
    ({"rule": "threshold", "base": "uncertainty", "combine": "mean"}, "item"),
    ({"base": "margin", "sampling": "systematic"}, "cell"),
    ({"balance": "labels"}, "cell"),
    ({"fit_batch": False, "floor": 0.3}, "cell"),
    ({"balance": "labels", "top": 0.8}, "cell"),
    ({"top": 0.5}, "item"),
]


def streamed_cells(policy: Any, pool: PoolScores, batch: int, unit: str, chunk: int, n_seen: int) -> Any:
    """What the scorer does for IWAL: its rule over each chunk, into the cells' p."""
    fn = policy.cell_fn(pool, int(pool.probs.shape[2]), n_seen)
    cell = np.zeros(pool.known.shape, dtype=np.float32)
    for s in range(0, len(pool.items), chunk):
        cell[s : s + chunk] = measures.map_rows(pool.probs[s : s + chunk], fn).numpy()
    out = PoolScores(pool.items, pool.probs[:, :, :0], pool.known, pool.label_positives, pool.label_answered,
                     pool.thresholds, streamed=StreamedCells(cell, n_seen))
    return policy.select(out, ctx(batch, unit, seed=5, n_seen=n_seen))


@pytest.mark.parametrize(("args", "unit"), IWAL_CASES, ids=[f"iwal-{u}-{a}" for a, u in IWAL_CASES])
@fast(40)
@given(
    seed=st.integers(0, 2**31),
    n=st.integers(0, 60),
    n_labels=st.integers(1, 6),
    members=st.integers(1, 4),
    known_frac=st.sampled_from([0.0, 0.3, 0.9]),
    levels=st.sampled_from([0, 3, 5]),
    batch=st.integers(0, 40),
    chunk=st.integers(1, 70),
    n_seen=st.integers(0, 500),
)
def test_iwals_streamed_cells_ask_what_the_whole_pool_asks(
    args: dict[str, Any], unit: str,
    seed: int, n: int, n_labels: int, members: int, known_frac: float, levels: int, batch: int, chunk: int,
    n_seen: int,
) -> None:
    """The same coins against the same p: identical queries, probabilities and scores."""
    pool = make_pool(seed, n, n_labels, members, known_frac, levels)
    policy = REGISTRY.build("policy", "iwal", args)
    assert streamable(policy, unit)
    whole = REGISTRY.build("policy", "iwal", args).select(pool, ctx(batch, unit, seed=5, n_seen=n_seen))
    got = streamed_cells(policy, pool, batch, unit, chunk, n_seen)
    np.testing.assert_array_equal(got.items, whole.items)
    np.testing.assert_array_equal(got.labels, whole.labels)
    np.testing.assert_array_equal(got.prob, whole.prob)
    np.testing.assert_array_equal(got.score, whole.score)


def test_iwals_streamed_cells_refuse_another_count_of_candidates_seen() -> None:
    from alframe.errors import PluginError

    pool = make_pool(1, 20, 3, 2, 0.3, 0)
    policy = REGISTRY.build("policy", "iwal", {"rule": "threshold"})
    with pytest.raises(PluginError, match="streamed for 7 candidates seen"):
        policy.select(PoolScores(pool.items, pool.probs[:, :, :0], pool.known, pool.label_positives,
                                 pool.label_answered, pool.thresholds,
                                 streamed=StreamedCells(np.zeros(pool.known.shape, np.float32), 7)),
                      ctx(5, "cell", n_seen=8))


def test_what_is_kept_is_bounded_by_the_batch_not_the_pool() -> None:
    """Per label ``batch`` cells at most (balance labels), ``batch`` candidates otherwise."""
    pool = make_pool(3, n=600, n_labels=4, members=3, known_frac=0.3)
    for unit, args in (("item", {}), ("cell", {}), ("cell", {"balance": "none"})):
        policy = REGISTRY.build("policy", "uncertainty", args)
        choice = StreamedChoice(unit, 7, policy.aggregate, resolved_balance(policy.balance, unit), 4)
        fn = policy.cell_fn(pool, 3)
        for s in range(0, 600, 50):
            choice.add(measures.map_rows(pool.probs[s : s + 50], fn).numpy(), pool.known[s : s + 50])
            assert len(choice.pos) <= 7 and all(len(r) <= 7 for r in choice.label_rows)
        assert choice.rows == 600


def test_which_policies_are_streamed() -> None:
    build = REGISTRY.build
    assert streamable(build("policy", "uncertainty", {}), "item")
    assert streamable(build("policy", "bald", {}), "cell")
    assert streamable(build("policy", "uncertainty", {"balance": "labels"}), "item")  # every cell's score kept
    assert not streamable(build("policy", "uncertainty", {"balance": "labels", "diversity": "badge"}), "item")
    assert streamable(build("policy", "uncertainty", {"diversity": "cluster"}), "item")  # on its candidates
    assert streamable(build("policy", "uncertainty", {"diversity": "cluster"}), "cell")  # on its candidate cells
    assert streamable(build("policy", "iwal", {}), "item")  # into every candidate's p, not the probabilities
    assert not streamable(build("policy", "random", {}), "item")

    from alframe.policies.uncertainty import UncertaintyPolicy

    class OwnScores(UncertaintyPolicy):  # a plugin's subclass that reads the probabilities itself
        def cell_scores(self, scores: PoolScores) -> np.ndarray:
            return scores.probs.mean(2).numpy()

    assert not streamable(OwnScores(), "item")


def test_iwals_coins_drawn_a_block_at_a_time_are_the_coins_of_one_draw(monkeypatch: pytest.MonkeyPatch) -> None:
    """Poisson coins in blocks of COIN_BLOCK uniforms: the same positions as one draw of the
    whole pool's (so runs ask what they asked), in a block's memory."""
    from alframe.policies import iwal

    p = np.random.default_rng(2).random(1000).astype(np.float32) * 0.2
    want = np.flatnonzero(np.random.default_rng(9).random(1000) < p)
    monkeypatch.setattr(iwal, "COIN_BLOCK", 7)
    np.testing.assert_array_equal(iwal.draw(p, np.random.default_rng(9), "poisson"), want)
    assert iwal.draw(p[:0], np.random.default_rng(9), "poisson").size == 0


def test_candidates_seen_are_counted_from_the_answered_rows() -> None:
    """IWAL's k, as the streamed scorer and the query stage both count it: answered items or
    answered cells, read from the answered items' rows only."""
    from alframe.builtin.stages import _label_counts, _n_seen
    from alframe.state import new_answers

    dense = np.where(np.random.default_rng(4).random((103, 5)) < 0.2, 1, -1).astype(np.int8)
    dense[7] = 0
    answers = new_answers(103, 5)
    for i, j in zip(*np.nonzero(dense >= 0)):
        answers[i, j] = dense[i, j]
    assert _n_seen(answers, "item") == int((dense >= 0).any(axis=1).sum())
    assert _n_seen(answers, "cell") == int((dense >= 0).sum())
    positives, answered = _label_counts(answers)
    np.testing.assert_array_equal(positives, (dense == 1).sum(axis=0))
    np.testing.assert_array_equal(answered, (dense >= 0).sum(axis=0))
