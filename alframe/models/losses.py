"""Masked, per-cell weighted binary cross-entropy, with class-imbalance corrections.

The loss of a batch is

    loss = Σ_{b,k,l} known[b,l] · w[b,l] · r[b,k] · ℓ(z[b,k,l], y[b,l]) / (B · L)

with ``known`` the answered cells (an unknown cell contributes exactly nothing, whatever its
target holds), ``w`` the per-cell weights from the weighting stage (importance weights 1/p),
``r`` member k's resampling multiplicity of item b, and ℓ the per-cell loss of the imbalance
method. The divisor B·L does not depend on the weights, so the importance-weighted sum stays an
unbiased estimate of the full pool's loss (dividing by Σw instead would make it a ratio
estimator: biased, and it would undo the importance weights' scale). Members are summed, so each
member's parameters get exactly the gradient they would get alone.

An imbalance method is an object with ``cell_loss(logits, targets, counts) -> [B, K, L]``; the
counts are the importance-weighted positives and negatives per label in this round's training
cells (:class:`LabelCounts`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from alframe.models.args import FocalArgs, LogitAdjustArgs, PosWeightArgs


@dataclass
class LabelCounts:
    """Importance-weighted positive and negative cells per label, float32 [L] each."""

    pos: torch.Tensor
    neg: torch.Tensor

    @staticmethod
    def from_cells(targets: np.ndarray, weights: np.ndarray) -> LabelCounts:
        """Counts over ``targets`` int8 [m, L] (1/0/-1) weighted by ``weights`` [m, L]."""
        w = np.where(targets >= 0, weights, 0.0).astype(np.float64)
        pos = (w * (targets == 1)).sum(0)
        neg = (w * (targets == 0)).sum(0)
        return LabelCounts(torch.from_numpy(pos.astype(np.float32)), torch.from_numpy(neg.astype(np.float32)))

    def to(self, device: torch.device | str) -> LabelCounts:
        return LabelCounts(self.pos.to(device), self.neg.to(device))


def masked_loss(
    cell: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor, mult: torch.Tensor | None = None
) -> torch.Tensor:
    """Σ over known cells and members of weighted ``cell`` losses, divided by B·L.

    :param cell: float [B, K, L] per-cell loss.
    :param targets: int [B, L]: 1, 0, or -1 (unknown).
    :param weights: float [B, L] per-cell weights.
    :param mult: float [B, K] member multiplicities, or None for all ones.
    """
    b, _, n_labels = cell.shape
    w = torch.where(targets >= 0, weights.to(cell.dtype), 0.0).unsqueeze(1)  # [B, 1, L]
    if mult is not None:
        w = w * mult.to(cell.dtype).unsqueeze(2)  # [B, K, L]
    known = (targets >= 0).unsqueeze(1)  # [B, 1, L]
    total = torch.where(known, cell * w, 0.0).sum()
    return total / max(b * n_labels, 1)


def binary_targets(targets: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """0/1 floats ``[B, 1, L]`` (unknown cells read as 0; they are masked out anyway)."""
    return (targets == 1).to(like.dtype).unsqueeze(1)


@dataclass(frozen=True)
class NoCorrection:
    """ℓ = BCE(z, y)."""

    def cell_loss(self, logits: torch.Tensor, targets: torch.Tensor, counts: LabelCounts) -> torch.Tensor:
        y = binary_targets(targets, logits).expand_as(logits)
        return F.binary_cross_entropy_with_logits(logits, y, reduction="none")


def pos_weights(counts: LabelCounts, mode: str, cap: float) -> torch.Tensor:
    """Per-label weight of positive cells: negatives/positives (or its square root), clipped.

    A label with no positive yet gets the cap (finite); one with no negative gets 1 (nothing to
    balance against). The result lies in [1/cap, cap].
    """
    pos, neg = counts.pos.double(), counts.neg.double()
    ratio = neg / pos.clamp(min=1e-12)
    if mode == "sqrt":
        ratio = ratio.sqrt()
    ratio = torch.where(pos > 0, ratio, torch.full_like(pos, cap))
    ratio = torch.where(neg > 0, ratio, torch.ones_like(ratio))
    return ratio.clamp(1.0 / cap, cap).float()


@dataclass(frozen=True)
class PosWeight(PosWeightArgs):
    """ℓ = -[p · y log σ(z) + (1 - y) log(1 - σ(z))], p = (neg/pos)^(1 or ½) clipped."""


    def cell_loss(self, logits: torch.Tensor, targets: torch.Tensor, counts: LabelCounts) -> torch.Tensor:
        y = binary_targets(targets, logits).expand_as(logits)
        pw = pos_weights(counts, self.mode, self.max).to(logits.device, logits.dtype)  # [L]
        return F.binary_cross_entropy_with_logits(logits, y, pos_weight=pw, reduction="none")


@dataclass(frozen=True)
class Focal(FocalArgs):
    """ℓ = -α_t (1 - p_t)^γ log p_t with p_t = σ(z) for positives, 1 - σ(z) for negatives,
    α_t = α for positives and 1 - α for negatives (Lin et al., 2017). γ = 0, α = ½ is half the
    BCE."""


    def cell_loss(self, logits: torch.Tensor, targets: torch.Tensor, counts: LabelCounts) -> torch.Tensor:
        y = binary_targets(targets, logits).expand_as(logits)
        bce = F.binary_cross_entropy_with_logits(logits, y, reduction="none")  # -log p_t
        one_minus_pt = -torch.expm1(-bce)  # 1 - p_t, exact for small bce
        alpha_t = self.alpha * y + (1.0 - self.alpha) * (1.0 - y)
        return alpha_t * one_minus_pt.pow(self.gamma) * bce


def log_prior_odds(counts: LabelCounts) -> torch.Tensor:
    """log(π / (1 - π)) per label, π the Laplace-smoothed positive rate (finite at 0 or all)."""
    pos, neg = counts.pos.double(), counts.neg.double()
    return (torch.log(pos + 1.0) - torch.log(neg + 1.0)).float()


@dataclass(frozen=True)
class LogitAdjust(LogitAdjustArgs):
    """ℓ = BCE(z + τ · log(π/(1-π)), y): the logit-adjusted loss of Menon et al. (2021) for a
    binary label. Training adds the prior's log-odds; prediction uses z alone, which moves the
    decision boundary toward the rare class by τ times its log-odds."""


    def cell_loss(self, logits: torch.Tensor, targets: torch.Tensor, counts: LabelCounts) -> torch.Tensor:
        y = binary_targets(targets, logits).expand_as(logits)
        shift = self.tau * log_prior_odds(counts).to(logits.device, logits.dtype)  # [L]
        return F.binary_cross_entropy_with_logits(logits + shift, y, reduction="none")

