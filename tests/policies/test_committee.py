"""Committee policies: disagreement and BALD, including the one-member fallback."""

from __future__ import annotations

import numpy as np
import torch
from policy_pools import ctx, make_pool

from alframe.policies.base import PoolScores
from alframe.policies.committee import BaldPolicy, DisagreementPolicy
from alframe.policies.uncertainty import UncertaintyPolicy


def pool_from(probs: list[list[list[float]]]) -> PoolScores:
    p = torch.tensor(probs, dtype=torch.float32)  # [n, L, K]
    n, n_labels, _ = p.shape
    return PoolScores(
        items=np.arange(n, dtype=np.int64),
        probs=p,
        known=np.zeros((n, n_labels), dtype=bool),
        label_positives=np.zeros(n_labels, dtype=np.int64),
        label_answered=np.zeros(n_labels, dtype=np.int64),
        thresholds=np.full(n_labels, 0.5, dtype=np.float32),
    )


def test_disagreement_prefers_split_votes_over_confident_agreement() -> None:
    pool = pool_from([[[0.9, 0.95, 0.9]], [[0.9, 0.1, 0.8]], [[0.55, 0.6, 0.52]]])
    q = DisagreementPolicy().select(pool, ctx(1, "item"))
    assert q.items.tolist() == [1]


def test_bald_ignores_agreed_uncertainty_that_uncertainty_sampling_chases() -> None:
    # item 0: every member says 0.5 (noise, nothing to learn); item 1: confident members disagree
    pool = pool_from([[[0.5, 0.5, 0.5]], [[0.95, 0.05, 0.9]]])
    assert BaldPolicy().select(pool, ctx(1, "cell")).items.tolist() == [1]
    assert UncertaintyPolicy().select(pool, ctx(1, "cell")).items.tolist() == [0]


def test_bald_scores_zero_when_members_agree() -> None:
    pool = pool_from([[[0.3, 0.3], [0.8, 0.8]], [[0.5, 0.5], [0.1, 0.1]]])
    assert np.all(BaldPolicy().cell_scores(pool) == 0.0)


def test_bald_asks_the_scorer_for_mc_dropout_samples() -> None:
    assert BaldPolicy(mc_dropout=16).mc_samples == 16
    assert BaldPolicy().mc_samples == 0
    assert DisagreementPolicy().mc_samples == 0


def test_one_member_falls_back_to_entropy_with_a_warning() -> None:
    pool = make_pool(2, n=30, members=1, known_frac=0.2)
    for policy in (DisagreementPolicy(), DisagreementPolicy(measure="kl"), BaldPolicy()):
        assert policy.warning is None
        q = policy.select(pool, ctx(8, "cell"))
        assert policy.warning is not None and "one member" in policy.warning
        expected = UncertaintyPolicy(measure="entropy").select(pool, ctx(8, "cell"))
        assert q.items.tolist() == expected.items.tolist()
        assert q.labels.tolist() == expected.labels.tolist()
        first = policy.warning
        policy.select(pool, ctx(8, "cell"))
        assert policy.warning == first


def test_no_warning_with_a_committee() -> None:
    policy = DisagreementPolicy()
    policy.select(make_pool(2, members=4), ctx(5, "item"))
    assert policy.warning is None
