"""``balance=labels``: cells ranked within their own label first (round-robin over labels)."""

from __future__ import annotations

import numpy as np
import torch
from policy_pools import ctx

from alframe.policies.base import PoolScores
from alframe.policies.committee import BaldPolicy
from alframe.policies.select import label_balanced
from alframe.policies.uncertainty import UncertaintyPolicy


def pool(p: np.ndarray, known: np.ndarray | None = None) -> PoolScores:
    n, n_labels = p.shape
    return PoolScores(
        items=np.arange(n, dtype=np.int64),
        probs=torch.tensor(p, dtype=torch.float32)[..., None],
        known=np.zeros((n, n_labels), dtype=bool) if known is None else known,
        label_positives=np.zeros(n_labels, dtype=np.int64),
        label_answered=np.zeros(n_labels, dtype=np.int64),
        thresholds=np.full(n_labels, 0.5, dtype=np.float32),
    )


def test_standing_is_one_for_each_labels_best_cell_and_minus_inf_when_known() -> None:
    cell = np.array([[0.1, 0.9], [0.3, 0.2], [0.3, 0.5]], dtype=np.float32)
    known = np.array([[False, True], [False, False], [False, False]])
    out = label_balanced(cell, known)
    # label 0: rows 1 and 2 tie at 0.3 → the lower position first; label 1: row 0 is known
    np.testing.assert_allclose(out[:, 0], [1 / 3, 1.0, 2 / 3])
    assert out[0, 1] == -np.inf
    np.testing.assert_allclose(out[1:, 1], [0.5, 1.0])


def test_a_rare_label_gets_its_share_of_cells() -> None:
    """Label 0 (a frequent label) holds every near-threshold cell; label 1 (a rare label) looks
    sure everywhere. Plain uncertainty spends the whole batch on label 0; balanced, each label
    gets half, label 1's least sure cells first."""
    rng = np.random.default_rng(0)
    p = np.stack([rng.uniform(0.35, 0.65, 50), rng.uniform(0.001, 0.05, 50)], axis=1)
    plain = UncertaintyPolicy(balance="none").select(pool(p), ctx(10, "cell"))
    assert set(plain.labels.tolist()) == {0}
    fair = UncertaintyPolicy(balance="labels").select(pool(p), ctx(10, "cell"))
    assert sorted(fair.labels.tolist()) == [0] * 5 + [1] * 5
    auto = UncertaintyPolicy().select(pool(p), ctx(10, "cell"))  # balance=auto: labels with cells
    assert np.array_equal(auto.items, fair.items) and np.array_equal(auto.labels, fair.labels)
    ones = fair.items[fair.labels == 1]
    assert set(ones.tolist()) == set(np.argsort(-p[:, 1], kind="stable")[:5].tolist())


def test_items_that_are_some_labels_top_choice_come_first_with_max() -> None:
    p = np.full((6, 3), 0.02)
    p[0, 0] = 0.5  # label 0's best
    p[1, 0] = 0.45
    p[4, 2] = 0.2  # label 2's best (far from 0.5, yet its label's least sure)
    q = UncertaintyPolicy(aggregate="max", balance="labels").select(pool(p), ctx(2, "item"))
    assert q.items.tolist() == [0, 4]  # item 1 (0.45) would come before item 4 unbalanced
    assert UncertaintyPolicy(aggregate="max").select(pool(p), ctx(2, "item")).items.tolist() == [0, 1]  # auto: none with items


def test_committee_policies_balance_too() -> None:
    rng = np.random.default_rng(1)
    probs = np.stack([rng.uniform(0.3, 0.7, (40, 5)), rng.uniform(0.0, 0.02, (40, 5))], axis=1)  # [n, 2, K]
    scores = PoolScores(
        items=np.arange(40, dtype=np.int64),
        probs=torch.tensor(probs, dtype=torch.float32),
        known=np.zeros((40, 2), dtype=bool),
        label_positives=np.zeros(2, dtype=np.int64),
        label_answered=np.zeros(2, dtype=np.int64),
        thresholds=np.full(2, 0.5, dtype=np.float32),
    )
    assert set(BaldPolicy(balance="none").select(scores, ctx(8, "cell")).labels.tolist()) == {0}
    assert sorted(BaldPolicy().select(scores, ctx(8, "cell")).labels.tolist()) == [0] * 4 + [1] * 4  # auto
    assert sorted(BaldPolicy(balance="labels").select(scores, ctx(8, "cell")).labels.tolist()) == [0] * 4 + [1] * 4
