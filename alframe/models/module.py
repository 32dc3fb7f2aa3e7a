"""The network (encoder → trunk → heads, all members at once) and its LightningModule.

:class:`CommitteeNet` is a plain ``nn.Module``: ``forward(batch) -> logits [B, K, L]``.
:class:`CommitteeModule` trains it under a Lightning ``Trainer`` with **manual optimisation**:
the sparse embedding tables take :class:`~alframe.models.optim.RowAdam` (lazy Adam) and the
dense parameters Adam/AdamW/SGD, and
Lightning 2.x runs two optimisers only in manual mode. ``manual_backward`` and the wrapped
optimisers' ``step`` keep mixed precision (gradient scaling) and distributed strategies in
Lightning's hands.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pytorch_lightning as pl
import torch
from torch import nn

from alframe.models.encoders import sparse_groups
from alframe.models.losses import LabelCounts, masked_loss
from alframe.models.optim import RowAdam

SCHEDULES = ("cosine", "constant")
#: share of a round's steps over which the learning rate rises linearly from near zero
WARMUP_FRACTION = 0.05


class CommitteeNet(nn.Module):
    """``batch → [B, K, L]`` logits of K members for L labels."""

    def __init__(
        self,
        encoder: nn.Module,
        trunk: nn.Module | None,
        heads: nn.Module,
        dropout: float,
        n_members: int,
        n_labels: int,
        wide: nn.Module | None = None,
    ) -> None:
        super().__init__()
        self.encoder, self.heads = encoder, heads
        self.trunk = trunk
        self.wide = wide
        self.input_drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.n_members, self.n_labels = n_members, n_labels

    def hidden(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        """The heads' input, the deep path's penultimate features: the trunk's output
        ``[B, K, H]``, or the encoder's ``[B, D]`` / ``[B, K, D]`` for heads that read it."""
        z = self.input_drop(self.encoder(batch))  # [B, D] | [B, K, D]
        return self.trunk(z) if self.trunk is not None else z  # [B, K, H] | [B, D]

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        h = self.hidden(batch)  # [B, K, H] | [B, D]
        logits = self.heads(h)  # [B, K, L]
        if logits.dim() == 2:  # a head without a member axis (a plugin's, K = 1)
            logits = logits.unsqueeze(1)
        if self.wide is not None:
            logits = logits + self.wide(batch).to(logits.dtype)  # [B, K, L]
        return logits

    @property
    def width(self) -> int:
        """Floats per item of the widest intermediate (sizes inference batches)."""
        return int(getattr(self.heads, "width", self.n_members * self.n_labels))


@dataclass(frozen=True)
class OptimConfig:
    name: str = "adam"  # adam | adamw | sgd (dense parameters)
    lr: float = 1e-3
    weight_decay: float = 0.0
    schedule: str = "cosine"  # cosine | constant, over each round's steps


def lr_factor(step: int, total: int, schedule: str, warmup: float = WARMUP_FRACTION) -> float:
    """The learning rate's multiplier at ``step`` of a round of ``total`` steps.

    ``cosine``: a linear warm-up over the first ``warmup`` share of the steps, then a cosine
    decay to zero at the last step. Every round (a fresh ``Trainer``, fresh optimiser state)
    runs the whole schedule again, so a warm-started model is never trained round after round
    at the full rate on a growing set: each round ends at a small rate, where the weights
    settle, and the next restarts from them (warm restarts, Loshchilov & Hutter 2017).
    ``constant``: 1 throughout.
    """
    if schedule == "constant" or total <= 0:
        return 1.0
    if schedule != "cosine":
        raise ValueError(f"schedule {schedule!r}: one of {SCHEDULES}")
    n_warm = max(1, int(round(warmup * total)))
    if step < n_warm:
        return (step + 1) / n_warm
    progress = (step - n_warm) / max(total - n_warm, 1)
    return 0.5 * (1.0 + math.cos(math.pi * min(progress, 1.0)))


class CommitteeModule(pl.LightningModule):
    """Trains a :class:`CommitteeNet` on masked, weighted, member-resampled cells."""

    label_pos: torch.Tensor  # buffers (registered in __init__)
    label_neg: torch.Tensor

    def __init__(self, net: CommitteeNet, imbalance: Any, optim: OptimConfig) -> None:
        super().__init__()
        self.automatic_optimization = False
        self.net = net
        self.imbalance = imbalance
        self.optim = optim
        n_labels = net.n_labels
        self.register_buffer("label_pos", torch.zeros(n_labels), persistent=False)
        self.register_buffer("label_neg", torch.zeros(n_labels), persistent=False)
        self.keep_best = False
        self.best_val = math.inf
        self.best_state: dict[str, torch.Tensor] | None = None
        self.epoch_losses: list[float] = []
        self.val_losses: list[float] = []
        self.steps = 0
        self.total_steps = 0  # of this round's fit (set by the caller; 0: no schedule)
        self._sum: torch.Tensor | float = 0.0
        self._rows = 0
        self._vsum: torch.Tensor | float = 0.0
        self._vrows = 0

    def set_label_counts(self, counts: LabelCounts) -> None:
        self.label_pos.copy_(counts.pos)
        self.label_neg.copy_(counts.neg)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.net(batch)

    def batch_loss(self, batch: dict[str, torch.Tensor], use_mult: bool = True) -> torch.Tensor:
        logits = self.net(batch).float()  # [B, K, L]; the loss in float32 under mixed precision
        counts = LabelCounts(self.label_pos, self.label_neg)
        cell = self.imbalance.cell_loss(logits, batch["targets"], counts)  # [B, K, L]
        mult = batch.get("mult") if use_mult else None
        return masked_loss(cell, batch["targets"], batch["weights"], mult)

    # -- training ---------------------------------------------------------------------------

    def on_train_epoch_start(self) -> None:
        self._sum, self._rows = 0.0, 0

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        opts = self.optimizers()
        opts = opts if isinstance(opts, list) else [opts]
        factor = lr_factor(self.steps, self.total_steps, self.optim.schedule)
        for opt in opts:
            for group in opt.optimizer.param_groups:
                group["lr"] = group["base_lr"] * factor
        loss = self.batch_loss(batch)
        for opt in opts:
            opt.zero_grad()
        self.manual_backward(loss)
        for opt in opts:
            opt.step()
        rows = int(batch["targets"].shape[0])
        self._sum = self._sum + loss.detach() * rows
        self._rows += rows
        self.steps += 1

    def on_train_epoch_end(self) -> None:
        per_member = float(self._sum) / max(self._rows, 1) / self.net.n_members
        self.epoch_losses.append(per_member)
        self.log("train_loss", per_member, prog_bar=True)

    # -- held-out loss, early stopping, best weights ----------------------------------------

    def on_validation_epoch_start(self) -> None:
        self._vsum, self._vrows = 0.0, 0

    def validation_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        loss = self.batch_loss(batch, use_mult=False)
        rows = int(batch["targets"].shape[0])
        self._vsum = self._vsum + loss.detach() * rows
        self._vrows += rows

    def on_validation_epoch_end(self) -> None:
        value = float(self._vsum) / max(self._vrows, 1) / self.net.n_members
        self.val_losses.append(value)
        self.log("val_loss", value, prog_bar=True)
        if self.keep_best and value < self.best_val:
            self.best_val = value
            self.best_state = {k: v.detach().clone() for k, v in self.net.state_dict().items()}

    # -- what a fit leaves besides the weights -------------------------------------------------

    def get_extra_state(self) -> dict[str, Any]:
        """The fit's figures and best weights, carried in the state dict: under a strategy that
        trains in forked or spawned processes (``ddp_fork``, ``ddp_spawn``) Lightning hands the
        main process rank 0's state dict and nothing else, and without these the round would
        read no training loss."""
        return {"epoch_losses": list(self.epoch_losses), "val_losses": list(self.val_losses), "steps": int(self.steps),
                "best_val": float(self.best_val), "best_state": self.best_state}

    def set_extra_state(self, state: Any) -> None:
        if not isinstance(state, dict):
            return
        self.epoch_losses = [float(x) for x in state.get("epoch_losses", [])]
        self.val_losses = [float(x) for x in state.get("val_losses", [])]
        self.steps = int(state.get("steps", 0))
        self.best_val = float(state.get("best_val", math.inf))
        self.best_state = state.get("best_state")

    def restore_best(self) -> None:
        """Load the weights of the epoch with the lowest held-out loss (early stopping)."""
        if self.best_state is not None:
            self.net.load_state_dict(self.best_state)
        self.best_state, self.best_val = None, math.inf

    # -- optimisers -------------------------------------------------------------------------

    def configure_optimizers(self) -> list[torch.optim.Optimizer]:
        """RowAdam over the sparse tables (one group per lr scale), the dense optimiser over the
        rest; every group remembers its ``base_lr`` for the schedule."""
        groups = sparse_groups(self.net)
        sparse_ids = {id(p) for _, params in groups for p in params}
        dense = [p for p in self.net.parameters() if p.requires_grad and id(p) not in sparse_ids]
        cfg = self.optim
        opts: list[torch.optim.Optimizer] = []
        if groups:
            opts.append(RowAdam([{"params": params, "lr": cfg.lr * scale} for scale, params in groups], lr=cfg.lr))
        if dense:
            opts.append(dense_optimizer(dense, cfg))
        for opt in opts:
            for group in opt.param_groups:
                group["base_lr"] = group["lr"]
        return opts


def dense_optimizer(params: list[nn.Parameter], cfg: OptimConfig) -> torch.optim.Optimizer:
    """Adam, AdamW or SGD (momentum 0.9) over the dense parameters."""
    if cfg.name == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.name == "adamw":
        return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)
    if cfg.name == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, momentum=0.9, weight_decay=cfg.weight_decay)
    raise ValueError(f"optimizer {cfg.name!r}: one of adam, adamw, sgd")
