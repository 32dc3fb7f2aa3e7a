"""Adam for hashed tables, touching only the rows a batch used.

A batch of 64 items touches some ten thousand rows of a table of 2^18; the dense Adam step
over the whole table would cost more than the rest of the step. ``torch.optim.SparseAdam``
updates only the touched rows, but through generic sparse-tensor arithmetic (coalescing and
sparse ``add``/``mul`` on every state tensor), which measured about 80 % of a training step
here. :class:`RowAdam` does the same lazy-Adam update (the moments of a row move only when the
row is used; bias correction uses the optimiser's step count, as SparseAdam does) with dense
operations on the gathered rows: sum the gradient per distinct row, gather the two moments of
those rows, update, scatter back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import torch


class RowAdam(torch.optim.Optimizer):
    """Lazy Adam over parameters whose gradients are sparse (``nn.EmbeddingBag(sparse=True)``)
    or dense (updated in full)."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        if lr <= 0 or eps <= 0 or not (0.0 <= betas[0] < 1.0 and 0.0 <= betas[1] < 1.0):
            raise ValueError(f"RowAdam: bad lr {lr}, betas {betas} or eps {eps}")
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps})

    @torch.no_grad()
    def step(self, closure: Callable[[], float] | None = None) -> float | None:  # type: ignore[override]
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            beta1, beta2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["step"] = 0
                    state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                    state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["step"] += 1
                t = state["step"]
                step_size = group["lr"] * (1 - beta2**t) ** 0.5 / (1 - beta1**t)
                m, v = state["exp_avg"], state["exp_avg_sq"]
                grad = p.grad
                if not grad.is_sparse:
                    m.mul_(beta1).add_(grad, alpha=1 - beta1)
                    v.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
                    p.addcdiv_(m, v.sqrt().add_(group["eps"]), value=-step_size)
                    continue
                rows, inverse = torch.unique(grad._indices()[0], return_inverse=True)  # [u], [nnz]
                g = torch.zeros((rows.shape[0], *p.shape[1:]), dtype=p.dtype, device=p.device)
                g.index_add_(0, inverse, grad._values())  # [u, ...] summed per row
                m_rows = m.index_select(0, rows).mul_(beta1).add_(g, alpha=1 - beta1)
                v_rows = v.index_select(0, rows).mul_(beta2).addcmul_(g, g, value=1 - beta2)
                m.index_copy_(0, rows, m_rows)
                v.index_copy_(0, rows, v_rows)
                p.index_add_(0, rows, m_rows.div_(v_rows.sqrt_().add_(group["eps"])), alpha=-step_size)
        return loss
