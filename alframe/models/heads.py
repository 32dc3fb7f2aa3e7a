"""Heads: one logit per label and member, ``[B, K, L]``.

Three ways to share (or not) the layers between labels, from most to least shared:

- ``joint``: one shared trunk, then one linear layer for all labels (one matmul).
- ``grouped``: one small trunk per group of labels (groups by a name prefix such as
  ``facet::``), then a linear output per label; labels share only within their group.
- ``independent``: one small hidden layer and output per label; no parameter is shared between
  labels, so the gradient of label j's loss never reaches label i's parameters.

``grouped`` and ``independent`` read the *encoder's* output and replace the shared trunk (their
per-group / per-label layers are the trunk). The encoder (the hashed table) stays shared: one
table per label would cost L times its memory. Both are computed as batched operations over a
``[K, units, ...]`` parameter stack, never as a Python loop over labels.

A heads component says what it ``reads`` (``"trunk"`` or ``"encoder"``; a plugin's without the
attribute reads the trunk); its ``build(d_in, label_names, n_members)`` returns a module mapping
``[B, D] | [B, K, D]`` to ``[B, K, L]``, with ``width`` (floats per item of its widest
intermediate, which sizes inference batches).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from alframe.models.args import GroupedHeadsArgs, IndependentHeadsArgs
from alframe.models.ensemble import StackedLinear


@dataclass(frozen=True)
class JointHeads:
    reads: ClassVar[str] = "trunk"

    def build(self, d_in: int, label_names: list[str], n_members: int) -> nn.Module:
        return JointModule(d_in, len(label_names), n_members)


@dataclass(frozen=True)
class IndependentHeads(IndependentHeadsArgs):
    reads: ClassVar[str] = "encoder"

    def build(self, d_in: int, label_names: list[str], n_members: int) -> nn.Module:
        n = len(label_names)
        return GroupedModule(d_in, self.hidden, [[j] for j in range(n)], [str(x) for x in label_names],
                             n_members, self.dropout)


@dataclass(frozen=True)
class GroupedHeads(GroupedHeadsArgs):
    reads: ClassVar[str] = "encoder"

    def build(self, d_in: int, label_names: list[str], n_members: int) -> nn.Module:
        groups = label_groups(label_names, self.separator)
        return GroupedModule(d_in, self.hidden, [g for _, g in groups], [name for name, _ in groups],
                             n_members, self.dropout)


def label_groups(label_names: list[str], separator: str) -> list[tuple[str, list[int]]]:
    """Labels grouped by the text before the first ``separator``, groups in first-seen order.

    Labels without the separator form one group named ``""``.
    """
    groups: dict[str, list[int]] = {}
    for j, name in enumerate(label_names):
        prefix = name.split(separator, 1)[0] if separator and separator in name else ""
        groups.setdefault(prefix, []).append(j)
    return list(groups.items())


class JointModule(nn.Module):
    """``[B, H] | [B, K, H] → [B, K, L]``: one stacked linear layer."""

    reads = "trunk"

    def __init__(self, d_in: int, n_labels: int, n_members: int) -> None:
        super().__init__()
        self.out = StackedLinear(n_members, d_in, n_labels)
        self.width = n_members * n_labels

    def reset_members(self, gen: torch.Generator) -> None:
        self.out.reset_members(gen)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(x)  # [B, K, L]


class GroupedModule(nn.Module):
    """G units (groups; a group of one label each for ``independent``), each a hidden layer
    over the encoder output and a linear output for each of its labels.

    Parameters (every one per member and per unit, nothing shared across units)::

        w1 [K, G, D, h]   b1 [K, G, h]   w2 [K, G, h, M]   b2 [K, G, M]

    where M is the largest group; label j is slot ``slot[j]`` of its group's M outputs (the
    padding slots get no gradient). Forward: one matmul (or bmm) for all hidden layers, one bmm
    for all outputs, one gather into label order.
    """

    reads = "encoder"
    pos: torch.Tensor  # a buffer (registered in __init__)

    def __init__(
        self, d_in: int, hidden: int, groups: list[list[int]], names: list[str], n_members: int, dropout: float
    ) -> None:
        super().__init__()
        k, g = n_members, len(groups)
        m = max((len(x) for x in groups), default=1)
        n_labels = sum(len(x) for x in groups)
        self.n_members, self.d_in, self.hidden, self.n_groups, self.slots = k, d_in, hidden, g, m
        self.group_names = names
        self.groups = [list(x) for x in groups]
        self.width = k * g * hidden
        self.w1 = nn.Parameter(torch.empty(k, g, d_in, hidden))
        self.b1 = nn.Parameter(torch.empty(k, g, hidden))
        self.w2 = nn.Parameter(torch.empty(k, g, hidden, m))
        self.b2 = nn.Parameter(torch.empty(k, g, m))
        pos = torch.empty(n_labels, dtype=torch.int64)  # [L] position of label j in [G*M]
        for gi, members in enumerate(groups):
            for slot, j in enumerate(members):
                pos[j] = gi * m + slot
        self.register_buffer("pos", pos, persistent=False)
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()
        self.reset_members(torch.Generator().manual_seed(0))

    def reset_members(self, gen: torch.Generator) -> None:
        b_in, b_hid = 1.0 / math.sqrt(max(self.d_in, 1)), 1.0 / math.sqrt(max(self.hidden, 1))
        with torch.no_grad():
            for k in range(self.n_members):
                self.w1[k].uniform_(-b_in, b_in, generator=gen)
                self.b1[k].uniform_(-b_in, b_in, generator=gen)
                self.w2[k].uniform_(-b_hid, b_hid, generator=gen)
                self.b2[k].uniform_(-b_hid, b_hid, generator=gen)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Scoring the pool runs this over every item, and at ``K·G·h`` floats per item (20,960
        for independent heads of 32 units, 5 members and 131 labels) its intermediates are
        big: without autograd (inference) the bias, the ReLU and the output weights are
        applied in place, which made scoring the catalogue's pool 2.7× faster than one new
        tensor per step."""
        k, g, d, h, m = self.n_members, self.n_groups, self.d_in, self.hidden, self.slots
        b = x.shape[0]
        if x.dim() == 2:  # [B, D] shared encoder
            w = self.w1.permute(2, 0, 1, 3).reshape(d, k * g * h)  # [D, K*G*h]
            hid = torch.addmm(self.b1.reshape(-1), x, w).view(b, k, g, h)  # [B, K, G, h]
        else:  # [B, K, D] per-member encoder
            w = self.w1.permute(0, 2, 1, 3).reshape(k, d, g * h)  # [K, D, G*h]
            hid = torch.baddbmm(self.b1.reshape(k, 1, g * h), x.transpose(0, 1), w)  # [K, B, G*h]
            hid = hid.view(k, b, g, h).transpose(0, 1)  # [B, K, G, h]
        in_place = not torch.is_grad_enabled()
        hid = self.drop(hid.relu_() if in_place else torch.relu(hid))
        if m == 1:  # one label per unit (independent): a weighted sum, no tiny matmuls
            w2 = self.w2.squeeze(3)
            out1 = (hid.mul_(w2) if in_place else hid * w2).sum(3) + self.b2.squeeze(2)  # [B, K, G]
            return out1.index_select(2, self.pos)  # [B, K, L]
        hid = hid.permute(1, 2, 0, 3).reshape(k * g, b, h)  # [K*G, B, h]
        out = torch.bmm(hid, self.w2.reshape(k * g, h, m))  # [K*G, B, M]
        out = out.view(k, g, b, m).permute(2, 0, 1, 3) + self.b2  # [B, K, G, M]
        return out.reshape(b, k, g * m).index_select(2, self.pos)  # [B, K, L]
