"""Uncertainty sampling: measures on the consensus, thresholds, aggregation, the rare bonus."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from policy_pools import ctx

from alframe.errors import PluginError
from alframe.policies.base import PoolScores
from alframe.policies.uncertainty import UncertaintyPolicy


def pool(p: list[list[float]], known: list[list[bool]] | None = None, thresholds: list[float] | None = None,
         positives: list[int] | None = None, answered: list[int] | None = None) -> PoolScores:
    probs = torch.tensor(p, dtype=torch.float32)[..., None]  # [n, L, 1]
    n, n_labels, _ = probs.shape
    return PoolScores(
        items=np.arange(n, dtype=np.int64) * 10,
        probs=probs,
        known=np.zeros((n, n_labels), dtype=bool) if known is None else np.array(known),
        label_positives=np.array(positives or [0] * n_labels, dtype=np.int64),
        label_answered=np.array(answered or [0] * n_labels, dtype=np.int64),
        thresholds=np.array(thresholds or [0.5] * n_labels, dtype=np.float32),
    )


def test_cells_closest_to_one_half_come_first() -> None:
    q = UncertaintyPolicy(balance="none").select(pool([[0.9, 0.45], [0.6, 0.1]]), ctx(3, "cell"))
    assert list(zip(q.items.tolist(), q.labels.tolist())) == [(0, 1), (10, 0), (0, 0)]
    assert q.score.tolist() == pytest.approx([0.45, 0.4, 0.1], abs=1e-6)
    assert np.all(q.prob == 1.0)


def test_uncertainty_is_measured_against_each_labels_threshold() -> None:
    scores = pool([[0.2, 0.5]], thresholds=[0.2, 0.9])
    q = UncertaintyPolicy(balance="none").select(scores, ctx(1, "cell"))
    assert q.labels.tolist() == [0]  # 0.2 sits on its threshold; 0.5 is far below 0.9


def test_aggregates_skip_known_cells() -> None:
    # item 0: one very uncertain cell already answered; item 1: moderately uncertain cells
    scores = pool([[0.5, 0.99], [0.7, 0.7]], known=[[True, False], [False, False]])
    for how in ("mean", "max", "sum"):
        q = UncertaintyPolicy(aggregate=how).select(scores, ctx(2, "item"))
        assert q.items.tolist() == [10, 0], how
    assert UncertaintyPolicy(aggregate="mean").select(scores, ctx(2, "item")).score.tolist() == pytest.approx(
        [0.3, 0.01], abs=1e-6
    )


def test_fully_known_items_are_not_candidates() -> None:
    scores = pool([[0.5, 0.5], [0.9, 0.9]], known=[[True, True], [False, False]])
    q = UncertaintyPolicy().select(scores, ctx(5, "item"))
    assert q.items.tolist() == [10] and q.labels.tolist() == [-1]


def test_rare_bonus_lifts_likely_positives_of_a_rare_label() -> None:
    # label 0 is rare (1 positive in 100), label 1 common (50 in 100); both cells equally uncertain
    # around the threshold, but the rare one is on the positive side
    scores = pool([[0.6, 0.4]], positives=[1, 50], answered=[100, 100])
    plain = UncertaintyPolicy(balance="none").select(scores, ctx(1, "cell"))
    boosted = UncertaintyPolicy(rare_bonus=2.0, balance="none").select(scores, ctx(1, "cell"))
    assert plain.labels.tolist() == [0]  # a tie, broken by label index
    scores = pool([[0.4, 0.6]], positives=[50, 1], answered=[100, 100])
    assert UncertaintyPolicy(balance="none").select(scores, ctx(1, "cell")).labels.tolist() == [0]
    assert UncertaintyPolicy(rare_bonus=2.0, balance="none").select(scores, ctx(1, "cell")).labels.tolist() == [1]
    assert boosted.labels.tolist() == [0]


def test_nan_probabilities_are_refused_naming_the_scorer() -> None:
    scores = pool([[0.5, float("nan")]])
    with pytest.raises(PluginError) as err:
        UncertaintyPolicy().select(scores, ctx(1, "cell"))
    assert "alframe_score_pool" in err.value.render()


def test_malformed_scores_are_refused() -> None:
    scores = pool([[0.5, 0.2]])
    scores.known = np.zeros((2, 2), dtype=bool)
    with pytest.raises(PluginError, match="known mask"):
        UncertaintyPolicy().select(scores, ctx(1, "cell"))


@pytest.mark.parametrize("bad", [1.5, -0.1])
def test_out_of_range_probabilities_are_refused(bad: float) -> None:
    with pytest.raises(PluginError, match=r"outside \[0, 1\]"):
        UncertaintyPolicy().select(pool([[0.5, bad]]), ctx(1, "cell"))


@pytest.mark.parametrize("aggregate", ["mean", "max", "sum"])
@pytest.mark.parametrize("unit", ["item", "cell"])
def test_margin_asks_exactly_what_least_confidence_asks(aggregate: str, unit: str) -> None:
    """margin = 2 × least confidence per cell, and every aggregate keeps the factor: the two
    names are one choice (docs/strategies.md says so); entropy is the one that differs."""
    from policy_pools import make_pool

    for seed in range(5):
        scores = make_pool(seed, n=60, n_labels=7, members=1)
        a = UncertaintyPolicy("margin", aggregate, balance="none").select(scores, ctx(9, unit))
        b = UncertaintyPolicy("least_confidence", aggregate, balance="none").select(scores, ctx(9, unit))
        assert a.items.tolist() == b.items.tolist() and a.labels.tolist() == b.labels.tolist()
        np.testing.assert_allclose(a.score, 2.0 * b.score, rtol=1e-6)
    entropy = [UncertaintyPolicy("entropy", "mean").select(make_pool(s, n=60, n_labels=7, members=1), ctx(9, "item"))
               for s in range(5)]
    lc = [UncertaintyPolicy("least_confidence", "mean").select(make_pool(s, n=60, n_labels=7, members=1), ctx(9, "item"))
          for s in range(5)]
    assert any(e.items.tolist() != c.items.tolist() for e, c in zip(entropy, lc))
