"""The wide path solved to its optimum: an L2-penalised logistic regression per label.

Why not train it with the rest by minibatch steps: beside the deep path, under Adam, the wide
path (the linear model from the hashed TF-IDF bag to every label) reached a macro-AP of 0.25 at
1,000 labelled packages of the shipped catalogue, where scikit-learn's logistic regression on
the *same* hashed features reaches 0.33. Adam's per-coordinate step moves the weight of a rare
n-gram as far as a common one's (a sign-like update), and nothing penalises the weights, so the
rare labels' rankings are the first to suffer. Solved to the optimum of the penalised, weighted
logistic loss, the same linear model reproduces the logistic regression exactly (0.33), and
the problem is convex: one answer per labelled set, found by full-batch L-BFGS, and a round
that starts from the last round's solution needs few iterations.

The loss is

    C · Σ_i Σ_j  w_ij · ℓ(y_ij, x_i · W_j + b_j)  +  ½ (‖W‖² + ‖b‖²)

with ``w`` the cell weights (0 for an unknown cell, importance weights where the policy gives
them) and ``ℓ`` the logistic loss (the members of a committee share the solution:
:meth:`alframe.models.encoders.WideModule.solve` says why); ``C`` is scikit-learn's inverse penalty (liblinear also penalises the
intercept). Only the buckets that occur in the labelled items are solved for: any other weight's
gradient is its penalty alone, so its optimum is zero.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import torch

#: most L-BFGS iterations of a solve from zero, and of one from the last round's optimum
#: (measured on 6,000 labelled packages: 30 iterations from zero left the test macro-AP at
#: 0.43, 100 reached 0.46; on all 24,234 pool packages 100 left it at 0.568 and 300 reached
#: 0.582, above the logistic regression's 0.572; a small labelled set stops at the tolerance
#: long before; a round that adds 200 packages starts next to its optimum)
MAX_ITER = 300
MAX_ITER_WARM = 30
#: L-BFGS memory (pairs of vectors kept)
HISTORY = 5
#: labels solved together (one L-BFGS run per block; measured on 6,000 labelled packages and
#: 131 labels from zero: all at once 107 s, blocks of 32 50 s, of 16 53 s, of 8 32 s on a busy
#: core, with the same test macro-AP, 0.4644 to 0.4647)
LABEL_BLOCK = 16


@dataclass
class WideProblem:
    """The labelled rows of one round, as a sparse design matrix over the buckets they use.

    ``columns`` (int64 [u]) are the buckets that occur, ``x`` the CSR matrix ``[m, u]`` of
    bag weights (a bucket hit twice in an item sums), ``xt`` its transpose (CSR too: the
    gradient is a second sparse product).
    """

    columns: torch.Tensor
    x: torch.Tensor
    xt: torch.Tensor
    targets: torch.Tensor  # float32 [m, L], 0 where unknown
    weights: torch.Tensor  # float32 [m, L] cell weights, 0 where unknown

    @classmethod
    def build(
        cls,
        values: torch.Tensor,
        starts: torch.Tensor,
        bag_weights: torch.Tensor,
        buckets: int,
        targets: torch.Tensor,
        weights: torch.Tensor,
    ) -> WideProblem:
        """From a batch's bag (``values`` [nnz], ``starts`` [m], ``bag_weights`` [nnz]) and its
        targets (int8 1/0/-1) and cell weights, both ``[m, L]``."""
        m = int(starts.shape[0])
        values = torch.remainder(values, buckets)
        columns, col = torch.unique(values, return_inverse=True)
        lens = torch.diff(torch.cat([starts, starts.new_tensor([values.shape[0]])]))
        row = torch.repeat_interleave(torch.arange(m), lens)
        with warnings.catch_warnings():  # torch calls its CSR support beta, on every use
            warnings.filterwarnings("ignore", message=".*Sparse CSR tensor support is in beta.*")
            coo = torch.sparse_coo_tensor(
                torch.stack([row, col]), bag_weights.float(), (m, int(columns.shape[0])), check_invariants=False
            ).coalesce()
            x, xt = coo.to_sparse_csr(), coo.t().coalesce().to_sparse_csr()
        known = targets >= 0
        return cls(
            columns=columns,
            x=x,
            xt=xt,
            targets=(targets > 0).float(),
            weights=torch.where(known, weights.float(), torch.zeros(())),
        )


def solve(
    problem: WideProblem,
    c: float,
    start: tuple[torch.Tensor, torch.Tensor] | None = None,
    max_iter: int = MAX_ITER,
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """The penalised optimum ``(W [u, L], b [L], evaluations)``.

    ``start`` is the point to start from (the last round's weights of these buckets), zeros
    without it. The loss is a sum of one term per label, so the labels are solved in blocks of
    :data:`LABEL_BLOCK`, each its own L-BFGS run: a block stops when *its* gradient is small
    (an easy label no longer waits for the hardest one), and the optimiser's memory is that of
    a block, not of the whole label space.
    """
    w = problem.weights * c  # [m, L]
    u, n_labels = int(problem.columns.shape[0]), int(problem.targets.shape[1])
    big_w, bias, calls = torch.zeros(u, n_labels), torch.zeros(n_labels), 0
    for lo in range(0, n_labels, LABEL_BLOCK):
        cols = slice(lo, min(lo + LABEL_BLOCK, n_labels))
        begin = None if start is None else (start[0][:, cols], start[1][cols])
        bw, bb, n = _solve_block(problem, problem.targets[:, cols].contiguous(), w[:, cols].contiguous(), begin,
                                 max_iter)
        big_w[:, cols], bias[cols], calls = bw, bb, calls + n
    return big_w, bias, calls


def _solve_block(
    problem: WideProblem,
    y: torch.Tensor,
    w: torch.Tensor,
    start: tuple[torch.Tensor, torch.Tensor] | None,
    max_iter: int,
) -> tuple[torch.Tensor, torch.Tensor, int]:
    """One block of labels: targets ``y`` and scaled cell weights ``w``, both ``[m, l]``.

    The gradient is written by hand (two sparse products), which measured less than half of
    autograd's time through a sparse matrix product.
    """
    x, xt = problem.x, problem.xt
    u, n_labels = int(problem.columns.shape[0]), int(y.shape[1])
    theta = torch.zeros(u * n_labels + n_labels)
    if start is not None:
        theta[: u * n_labels] = start[0].reshape(-1)
        theta[u * n_labels :] = start[1]
    theta.requires_grad_(True)
    opt = torch.optim.LBFGS(
        [theta],
        lr=1.0,
        max_iter=max_iter,
        history_size=HISTORY,
        line_search_fn="strong_wolfe",
        tolerance_grad=1e-4,
        tolerance_change=1e-7,
    )
    calls = 0

    def closure() -> torch.Tensor:
        nonlocal calls
        calls += 1
        with torch.no_grad():
            big_w = theta[: u * n_labels].view(u, n_labels)
            b = theta[u * n_labels :]
            z = (x @ big_w + b) if u else b.expand(y.shape[0], n_labels)
            # ℓ(y, z) = softplus(z) − y·z; its derivative σ(z) − y
            loss = (w * (torch.nn.functional.softplus(z) - y * z)).sum()
            loss = loss + 0.5 * theta.dot(theta)
            dz = w * (torch.sigmoid(z) - y)  # [m, l]
            grad = theta.detach().clone()  # the penalty's gradient
            if u:
                grad[: u * n_labels] += (xt @ dz).reshape(-1)
            grad[u * n_labels :] += dz.sum(0)
        theta.grad = grad
        return loss

    opt.step(closure)
    out = theta.detach()
    return out[: u * n_labels].view(u, n_labels).clone(), out[u * n_labels :].clone(), calls
