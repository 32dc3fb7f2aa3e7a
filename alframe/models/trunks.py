"""Trunks: the shared layers between the encoder and the ``joint`` heads.

A trunk component is built from the spec's arguments; ``build(d_in, n_members)`` returns a
module taking ``[B, D]`` (encoder shared by the members) or ``[B, K, D]`` and returning
``[B, K, H]`` (or ``[B, D]`` unchanged for the identity), with ``out_dim``. Every member has its
own trunk: the layers are stacked, not shared, so members stay diverse above a shared table.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from alframe.models.args import MLPArgs
from alframe.models.ensemble import StackedLinear


@dataclass(frozen=True)
class MLPTrunk(MLPArgs):
    """``layers`` × (linear → ReLU → dropout), ``hidden`` wide, one stack per member."""

    def build(self, d_in: int, n_members: int) -> nn.Module:
        if self.layers == 0:
            return IdentityModule(d_in)
        return MLPModule(d_in, self.hidden, self.layers, self.dropout, n_members)


@dataclass(frozen=True)
class IdentityTrunk:
    """No trunk: the heads read the encoder's output."""

    def build(self, d_in: int, n_members: int) -> nn.Module:
        return IdentityModule(d_in)


class IdentityModule(nn.Module):
    def __init__(self, d_in: int) -> None:
        super().__init__()
        self.out_dim = d_in

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


class MLPModule(nn.Module):
    """``[B, D] | [B, K, D] → [B, K, hidden]`` through stacked per-member layers."""

    def __init__(self, d_in: int, hidden: int, layers: int, dropout: float, n_members: int) -> None:
        super().__init__()
        self.out_dim = hidden
        dims = [d_in] + [hidden] * layers
        self.layers = nn.ModuleList(StackedLinear(n_members, a, b) for a, b in zip(dims, dims[1:]))
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()

    def reset_members(self, gen: torch.Generator) -> None:
        for layer in self.layers:
            layer.reset_members(gen)  # type: ignore[operator]  # a StackedLinear; torch types it as Module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.layers:
            x = self.drop(torch.relu(layer(x)))  # [B, K, hidden]
        return x
