"""Measures against values computed by hand."""

from __future__ import annotations

import math

import pytest
import torch

from alframe.policies import measures


def t(*values: float) -> torch.Tensor:
    return torch.tensor(values, dtype=torch.float64)


def h(p: float) -> float:
    return -(p * math.log(p) + (1 - p) * math.log(1 - p))


def test_uncertainty_measures_by_hand() -> None:
    p = t(0.8, 0.5, 0.0, 1.0)
    assert measures.least_confidence(p).tolist() == pytest.approx([0.2, 0.5, 0.0, 0.0])
    assert measures.margin(p).tolist() == pytest.approx([0.4, 1.0, 0.0, 0.0])
    assert measures.entropy(p).tolist() == pytest.approx([h(0.8), math.log(2), 0.0, 0.0])


def test_recentre_puts_the_threshold_at_one_half() -> None:
    p = torch.tensor([[0.1, 0.6, 0.2]], dtype=torch.float64)  # [1, 3]
    thresholds = torch.tensor([0.2, 0.2, 0.2])
    out = measures.recentre(p, thresholds)
    assert out.tolist()[0] == pytest.approx([0.25, 0.5 + 0.4 / 1.6, 0.5])
    assert torch.equal(measures.recentre(p, None), p)
    assert measures.recentre(p, torch.full((3,), 0.5)).tolist()[0] == pytest.approx(p.tolist()[0])


def test_vote_entropy_by_hand() -> None:
    probs = t(0.9, 0.8, 0.3, 0.1).reshape(1, 1, 4)  # [n=1, L=1, K=4]
    assert measures.vote_entropy(probs).item() == pytest.approx(math.log(2))
    high = torch.tensor([0.85])
    assert measures.vote_entropy(probs, high).item() == pytest.approx(h(0.25))


def test_vote_entropy_of_one_member_is_zero() -> None:
    probs = t(0.5, 0.49, 0.9).reshape(3, 1, 1)  # K = 1
    assert measures.vote_entropy(probs).tolist() == [[0.0], [0.0], [0.0]]


def test_kl_to_consensus_and_bald_by_hand() -> None:
    probs = t(0.2, 0.6).reshape(1, 1, 2)
    kl_a = 0.2 * math.log(0.2 / 0.4) + 0.8 * math.log(0.8 / 0.6)
    kl_b = 0.6 * math.log(0.6 / 0.4) + 0.4 * math.log(0.4 / 0.6)
    assert measures.kl_to_consensus(probs).item() == pytest.approx((kl_a + kl_b) / 2)
    assert measures.mutual_information(probs).item() == pytest.approx(h(0.4) - (h(0.2) + h(0.6)) / 2)


def test_kl_to_consensus_equals_mutual_information() -> None:
    probs = torch.rand(50, 4, 5, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    assert torch.allclose(measures.kl_to_consensus(probs), measures.mutual_information(probs), atol=1e-12)


@pytest.mark.parametrize("value", [0.0, 0.3, 0.5, 1.0])
def test_bald_is_zero_when_members_agree(value: float) -> None:
    probs = torch.full((3, 2, 4), value)
    assert torch.equal(measures.mutual_information(probs), torch.zeros(3, 2))
    assert torch.equal(measures.kl_to_consensus(probs), torch.zeros(3, 2))


def test_bald_is_large_when_confident_members_contradict() -> None:
    probs = t(0.999, 0.001).reshape(1, 1, 2)
    assert measures.mutual_information(probs).item() > 0.98 * math.log(2)


def test_gaps_by_hand() -> None:
    probs = t(0.6, 0.8).reshape(1, 1, 2)  # mean 0.7, population sd 0.1
    assert measures.committee_gap(probs, torch.tensor([0.5]), eps=0.0).item() == pytest.approx(2.0)
    assert measures.margin_gap(t(0.7, 0.5, 0.1)).tolist() == pytest.approx([0.4, 0.0, 0.8])


def test_map_rows_matches_one_pass_and_chunks() -> None:
    probs = torch.rand(1001, 7, 3, generator=torch.Generator().manual_seed(1))
    whole = measures.mutual_information(probs)
    chunked = measures.map_rows(probs, measures.mutual_information, chunk_cells=100)
    assert chunked.shape == (1001, 7)
    assert torch.allclose(whole, chunked)


def test_map_rows_takes_half_precision_scores_as_float32() -> None:
    probs = torch.rand(64, 3, 4, generator=torch.Generator().manual_seed(2)).to(torch.bfloat16)
    out = measures.map_rows(probs, measures.mutual_information)
    assert out.dtype == torch.float32
    assert torch.equal(out, measures.mutual_information(probs.float()))
