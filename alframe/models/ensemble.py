"""Committees as one batched module: stacked parameters, one forward for all members.

A committee of K members is not K models in a Python loop. Every per-member parameter carries
a leading member axis (``weight [K, in, out]``), so one ``bmm`` (or one matmul when the input is
shared) computes all members at once, and one optimiser step updates them all. Members differ
by their initialisation (drawn one after another from one seeded generator) and by the
resampling weights of :func:`member_multiplicity`.

:func:`member_network` cuts member k out of a committee into a single-member copy: the check
that the batched forward is exactly K separate models, and a way to export one member.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeVar

import numpy as np
import torch
from torch import nn

from alframe.plan import DIVERSITY  # the committee diversity choices, declared with the setting


class StackedLinear(nn.Module):
    """K independent linear maps ``in → out`` applied in one batched operation.

    Input ``[B, in]`` (shared by all members: one matmul against the members' weights laid side
    by side) or ``[B, K, in]`` (per member: one ``baddbmm``). Output ``[B, K, out]``.
    """

    def __init__(self, n_members: int, d_in: int, d_out: int) -> None:
        super().__init__()
        self.n_members, self.d_in, self.d_out = n_members, d_in, d_out
        self.weight = nn.Parameter(torch.empty(n_members, d_in, d_out))  # [K, in, out]
        self.bias = nn.Parameter(torch.empty(n_members, d_out))  # [K, out]
        self.reset_members(torch.Generator().manual_seed(0))

    def reset_members(self, gen: torch.Generator) -> None:
        """nn.Linear's default init (uniform ±1/sqrt(in)), member after member from ``gen``."""
        bound = 1.0 / math.sqrt(max(self.d_in, 1))
        with torch.no_grad():
            for k in range(self.n_members):
                self.weight[k].uniform_(-bound, bound, generator=gen)
                self.bias[k].uniform_(-bound, bound, generator=gen)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, d_in, d_out = self.n_members, self.d_in, self.d_out
        if x.dim() == 2:  # [B, in] shared input
            w = self.weight.permute(1, 0, 2).reshape(d_in, k * d_out)  # [in, K*out]
            y = torch.addmm(self.bias.reshape(1, k * d_out), x, w)  # [B, K*out]
            return y.view(x.shape[0], k, d_out)
        y = torch.baddbmm(self.bias.unsqueeze(1), x.transpose(0, 1), self.weight)  # [K, B, out]
        return y.transpose(0, 1)  # [B, K, out]

    def extra_repr(self) -> str:
        return f"members={self.n_members}, in={self.d_in}, out={self.d_out}"


def member_multiplicity(n: int, n_members: int, diversity: str, rng: np.random.Generator) -> np.ndarray:
    """How many times each member sees each labelled item this round: float32 [n, K].

    ``init``: all ones (members differ by initialisation only). ``bootstrap``: each member a
    bootstrap sample of the n items (multinomial counts, sum n; about 37% of items out of bag).
    ``poisson``: independent Poisson(1) counts, the streaming approximation of the bootstrap
    (Oza & Russell, Online Bagging and Boosting, 2001). A committee of one is never resampled:
    a lone member gains no diversity from it and would only lose data.
    """
    if diversity not in DIVERSITY:
        raise ValueError(f"diversity {diversity!r}: one of {DIVERSITY}")
    if n_members == 1 or diversity == "init" or n == 0:
        return np.ones((n, n_members), dtype=np.float32)
    if diversity == "bootstrap":
        counts = rng.multinomial(n, np.full(n, 1.0 / n), size=n_members)  # [K, n]
        return counts.T.astype(np.float32)
    return rng.poisson(1.0, size=(n, n_members)).astype(np.float32)


def reset_members(module: nn.Module, seed: int) -> None:
    """Re-initialise every parameter of ``module`` from ``seed``, deterministically.

    Modules of alframe expose ``reset_members(generator)`` and reset their own children; any
    other module with ``reset_parameters()`` (a plugin's) is reset under a forked, seeded global
    generator so the caller's random state is left as it was.
    """
    _reset_children(module, torch.Generator().manual_seed(int(seed)))


def _reset_children(module: nn.Module, gen: torch.Generator) -> None:
    for child in module.children():
        if hasattr(child, "reset_members"):
            child.reset_members(gen)  # type: ignore[operator]  # torch types Module attributes as Tensor | Module
            continue
        if hasattr(child, "reset_parameters"):
            sub_seed = int(torch.randint(0, 2**62, (1,), generator=gen))
            with torch.random.fork_rng(devices=cuda_devices()):
                torch.manual_seed(sub_seed)  # seeds the CUDA generators too: fork them all
                child.reset_parameters()  # type: ignore[operator]  # torch types Module attributes as Tensor | Module
        _reset_children(child, gen)


def member_state(
    full: dict[str, torch.Tensor], single: dict[str, torch.Tensor], k: int, n_members: int
) -> dict[str, torch.Tensor]:
    """Member k's slice of a committee's state dict, shaped like ``single`` (a K=1 network).

    The rule needs no knowledge of the layers: a tensor of the same shape in both is shared
    (copied whole); one whose first axis is K times longer holds the members one after another
    (stacked ``[K, ...]`` weights, or a per-member embedding table of K blocks of rows).
    """
    out: dict[str, torch.Tensor] = {}
    for name, ref in single.items():
        src = full[name]
        if src.shape == ref.shape:
            out[name] = src.clone()
        elif src.dim() >= 1 and src.shape[0] == ref.shape[0] * n_members and src.shape[1:] == ref.shape[1:]:
            rows = ref.shape[0]
            out[name] = src[k * rows : (k + 1) * rows].clone()
        else:
            raise ValueError(f"cannot slice member {k} of {name}: {tuple(src.shape)} vs {tuple(ref.shape)}")
    return out


_M = TypeVar("_M", bound=nn.Module)


def member_network(
    committee: nn.Module, k: int, n_members: int, build_single: Callable[[], _M]
) -> _M:
    """A single-member network holding exactly member k's parameters."""
    single = build_single()
    single.load_state_dict(member_state(committee.state_dict(), single.state_dict(), k, n_members))
    return single


def cuda_devices() -> list[int]:
    """Every CUDA device, so ``fork_rng`` restores their generators too (none on a CPU)."""
    return list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
