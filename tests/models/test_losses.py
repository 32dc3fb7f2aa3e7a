from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from alframe.models.losses import (
    Focal,
    LabelCounts,
    LogitAdjust,
    NoCorrection,
    PosWeight,
    log_prior_odds,
    masked_loss,
    pos_weights,
)

METHODS = [NoCorrection(), PosWeight("sqrt", 50.0), PosWeight("ratio", 50.0), Focal(2.0, 0.25), LogitAdjust(1.0)]


def _counts(pos: list[float], neg: list[float]) -> LabelCounts:
    return LabelCounts(torch.tensor(pos), torch.tensor(neg))


def _loss(method: object, logits: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    counts = _counts([3.0, 1.0, 0.0], [5.0, 0.0, 4.0])
    return masked_loss(method.cell_loss(logits, targets, counts), targets, weights)


@pytest.mark.parametrize("method", METHODS, ids=lambda m: type(m).__name__)
def test_unknown_cells_contribute_exactly_nothing(method: object) -> None:
    torch.manual_seed(0)
    logits = torch.randn(4, 2, 3, requires_grad=True)  # [B, K, L]
    targets = torch.tensor([[1, 0, -1], [-1, 1, 0], [0, -1, -1], [1, 1, 1]], dtype=torch.int8)
    weights = torch.where(targets >= 0, 1.0, 0.0)
    base = _loss(method, logits, targets, weights)
    base.backward()
    unknown = (targets < 0).unsqueeze(1).expand(4, 2, 3)
    assert (logits.grad[unknown] == 0).all() and (logits.grad[~unknown] != 0).all()
    # garbage weights on unknown cells, and other logits there: the same loss
    noisy_w = torch.where(targets >= 0, weights, 123.0)
    moved = logits.detach().clone()
    moved[unknown] = 50.0
    assert _loss(method, moved, targets, noisy_w).item() == pytest.approx(base.item(), rel=0, abs=0)


@pytest.mark.parametrize("method", METHODS, ids=lambda m: type(m).__name__)
def test_cell_weights_scale_the_loss(method: object) -> None:
    torch.manual_seed(1)
    logits = torch.randn(3, 1, 3)
    targets = torch.tensor([[1, 0, 0], [0, 1, -1], [0, 0, 1]], dtype=torch.int8)
    ones = (targets >= 0).float()
    base = _loss(method, logits, targets, ones)
    assert _loss(method, logits, targets, 2.5 * ones).item() == pytest.approx(2.5 * base.item())
    # one cell's weight doubled adds exactly that cell's loss once more
    counts = _counts([3.0, 1.0, 0.0], [5.0, 0.0, 4.0])
    cell = method.cell_loss(logits, targets, counts)[1, 0, 1].item()
    heavier = ones.clone()
    heavier[1, 1] = 2.0
    assert _loss(method, logits, targets, heavier).item() == pytest.approx(base.item() + cell / 9)


def test_normaliser_does_not_depend_on_the_weights() -> None:
    """Sum of weighted cell losses over B·L, members summed: an unbiased, not a ratio, estimate."""
    cell = torch.ones(2, 3, 4)  # [B, K, L]
    targets = torch.zeros(2, 4, dtype=torch.int8)
    weights = torch.full((2, 4), 5.0)
    assert masked_loss(cell, targets, weights).item() == pytest.approx(5.0 * 3)
    mult = torch.tensor([[1.0, 0.0, 2.0], [1.0, 0.0, 2.0]])
    assert masked_loss(cell, targets, weights, mult).item() == pytest.approx(5.0 * 3)


def test_pos_weight_values_and_safety() -> None:
    counts = _counts([10.0, 0.0, 5.0, 0.0, 1.0], [90.0, 40.0, 0.0, 0.0, 1e6])
    ratio = pos_weights(counts, "ratio", 50.0)
    assert ratio.tolist() == pytest.approx([9.0, 50.0, 1.0, 1.0, 50.0])
    root = pos_weights(counts, "sqrt", 50.0)
    assert root.tolist() == pytest.approx([3.0, 50.0, 1.0, 1.0, 50.0])  # clipped after the root
    assert pos_weights(_counts([4.0], [100.0]), "sqrt", 50.0).tolist() == pytest.approx([5.0])
    assert pos_weights(_counts([90.0], [10.0]), "ratio", 4.0).tolist() == pytest.approx([0.25])
    logits = torch.tensor([[[0.0, 30.0, -30.0, 0.0, 5.0]]])
    targets = torch.tensor([[1, 1, 0, 1, 0]], dtype=torch.int8)
    cell = PosWeight("ratio", 50.0).cell_loss(logits, targets, counts)
    assert torch.isfinite(cell).all()
    assert cell[0, 0, 0].item() == pytest.approx(9.0 * math.log(2.0))


def test_focal_by_hand() -> None:
    logits = torch.tensor([[[0.0, 0.0, 2.0]]])
    targets = torch.tensor([[1, 0, 1]], dtype=torch.int8)
    cell = Focal(gamma=2.0, alpha=0.25).cell_loss(logits, targets, _counts([0, 0, 0], [0, 0, 0]))[0, 0]
    ln2 = math.log(2.0)
    p = 1 / (1 + math.exp(-2.0))
    assert cell.tolist() == pytest.approx([0.25 * 0.25 * ln2, 0.75 * 0.25 * ln2, 0.25 * (1 - p) ** 2 * -math.log(p)])
    half = Focal(gamma=0.0, alpha=0.5).cell_loss(logits, targets, _counts([0, 0, 0], [0, 0, 0]))
    plain = NoCorrection().cell_loss(logits, targets, _counts([0, 0, 0], [0, 0, 0]))
    torch.testing.assert_close(half, plain / 2)
    extreme = Focal(2.0, 0.25).cell_loss(torch.tensor([[[80.0, -80.0]]]), torch.tensor([[1, 1]], dtype=torch.int8),
                                         _counts([0, 0], [0, 0]))
    assert torch.isfinite(extreme).all() and extreme[0, 0, 0] < 1e-30


def test_logit_adjust_by_hand() -> None:
    counts = _counts([1.0, 0.0, 9.0], [3.0, 10.0, 0.0])
    shift = log_prior_odds(counts)
    assert shift.tolist() == pytest.approx([math.log(2 / 4), math.log(1 / 11), math.log(10 / 1)])
    logits = torch.tensor([[[0.5, 0.5, 0.5]]])
    targets = torch.tensor([[1, 0, 1]], dtype=torch.int8)
    cell = LogitAdjust(tau=2.0).cell_loss(logits, targets, counts)
    want = F.binary_cross_entropy_with_logits(logits + 2.0 * shift, torch.tensor([[[1.0, 0.0, 1.0]]]), reduction="none")
    torch.testing.assert_close(cell, want)
    assert torch.isfinite(cell).all()
    torch.testing.assert_close(LogitAdjust(tau=0.0).cell_loss(logits, targets, counts),
                               NoCorrection().cell_loss(logits, targets, counts))


def test_label_counts_are_importance_weighted() -> None:
    targets = np.array([[1, 0], [0, -1], [1, 1]], dtype=np.int8)
    weights = np.array([[2.0, 1.0], [3.0, 9.0], [1.0, 4.0]], dtype=np.float32)
    counts = LabelCounts.from_cells(targets, weights)
    assert counts.pos.tolist() == [3.0, 4.0] and counts.neg.tolist() == [3.0, 1.0]


def test_importance_weighted_loss_is_unbiased_for_the_full_pool() -> None:
    """Ask each cell with probability p, weight its answer 1/p: the mean loss over many draws is
    the loss with every cell known (the divisor must not depend on the weights)."""
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(40, 1, 5, generator=gen)
    full_targets = (torch.rand(40, 5, generator=gen) < 0.3).to(torch.int8)
    p = torch.rand(40, 5, generator=gen) * 0.8 + 0.1  # query probabilities in [0.1, 0.9]
    method = PosWeight("ratio", 50.0)
    counts = _counts([1.0] * 5, [3.0] * 5)
    full = masked_loss(method.cell_loss(logits, full_targets, counts), full_targets, torch.ones(40, 5))
    draws = []
    for _ in range(3000):
        asked = torch.rand(40, 5, generator=gen) < p
        targets = torch.where(asked, full_targets, torch.tensor(-1, dtype=torch.int8))
        weights = torch.where(asked, 1.0 / p, 0.0)
        draws.append(masked_loss(method.cell_loss(logits, targets, counts), targets, weights).item())
    mean = float(np.mean(draws))
    stderr = float(np.std(draws)) / math.sqrt(len(draws))
    assert abs(mean - full.item()) < 4 * stderr
    assert stderr < 0.01 * full.item()  # the check is sharp: within a few tenths of a percent
