"""The wide path's exact solve (alframe.models.wide_fit): it finds the penalised optimum of the
weighted logistic loss, leaves unused buckets at zero, and honours cell weights."""

from __future__ import annotations

import numpy as np
import torch

from alframe.models.wide_fit import WideProblem, solve


def _problem(seed: int = 0, m: int = 60, buckets: int = 40, n_labels: int = 3, unknown: float = 0.0):
    rng = np.random.default_rng(seed)
    lens = rng.integers(1, 6, m)
    values = torch.as_tensor(rng.integers(0, buckets, int(lens.sum())), dtype=torch.int64)
    starts = torch.as_tensor(np.concatenate([[0], np.cumsum(lens)[:-1]]), dtype=torch.int64)
    bag_w = torch.as_tensor(rng.uniform(0.2, 1.0, int(lens.sum())), dtype=torch.float32)
    truth = rng.normal(size=(buckets, n_labels))
    dense = np.zeros((m, buckets))
    for i in range(m):
        s, e = int(starts[i]), int(starts[i]) + int(lens[i])
        np.add.at(dense[i], values[s:e].numpy(), bag_w[s:e].numpy())
    y = (dense @ truth + rng.normal(scale=0.5, size=(m, n_labels)) > 0).astype(np.int8)
    y[rng.random(y.shape) < unknown] = -1
    targets = torch.as_tensor(y)
    weights = (targets >= 0).float()
    return values, starts, bag_w, buckets, targets, weights, dense


def _gradient(dense: np.ndarray, y: np.ndarray, w: np.ndarray, big_w: np.ndarray, b: np.ndarray, c: float):
    z = dense @ big_w + b
    dz = c * w * (1 / (1 + np.exp(-z)) - (y > 0))
    return dense.T @ dz + big_w, dz.sum(0) + b


def test_the_solve_reaches_the_penalised_optimum() -> None:
    values, starts, bag_w, buckets, targets, weights, dense = _problem()
    p = WideProblem.build(values, starts, bag_w, buckets, targets, weights)
    big_w, b, calls = solve(p, c=1.0, max_iter=200)
    full = np.zeros((buckets, targets.shape[1]))
    full[p.columns.numpy()] = big_w.numpy()
    gw, gb = _gradient(dense, targets.numpy(), weights.numpy(), full, b.numpy(), 1.0)
    used = np.zeros(buckets, dtype=bool)
    used[p.columns.numpy()] = True
    assert calls > 1
    assert np.abs(gw[used]).max() < 1e-2 and np.abs(gb).max() < 1e-2  # stationary: the optimum
    assert np.abs(full).max() > 0.1  # and not the trivial zero


def test_buckets_no_row_uses_are_not_solved_for() -> None:
    values, starts, bag_w, buckets, targets, weights, _ = _problem()
    values = values % 20  # only the first half of 40 buckets occurs
    p = WideProblem.build(values, starts, bag_w, buckets, targets, weights)
    assert int(p.columns.max()) < 20 and p.x.shape[1] == len(p.columns)


def test_an_unknown_cell_counts_as_absent() -> None:
    values, starts, bag_w, buckets, targets, weights, _ = _problem(unknown=0.3)
    p = WideProblem.build(values, starts, bag_w, buckets, targets, weights)
    w1, b1, _ = solve(p, 1.0, max_iter=200)
    flipped = torch.where(targets < 0, torch.ones_like(targets), targets)  # unknown cells now "1"…
    p2 = WideProblem.build(values, starts, bag_w, buckets, flipped, weights)  # …with weight 0
    w2, b2, _ = solve(p2, 1.0, max_iter=200)
    assert torch.allclose(w1, w2, atol=1e-3) and torch.allclose(b1, b2, atol=1e-3)


def test_the_penalty_weighs_against_the_cell_weights() -> None:
    values, starts, bag_w, buckets, targets, weights, _ = _problem()
    p = WideProblem.build(values, starts, bag_w, buckets, targets, weights)
    doubled = WideProblem.build(values, starts, bag_w, buckets, targets, 2 * weights)
    twice, _, _ = solve(doubled, 1.0, max_iter=200)
    c2, _, _ = solve(p, 2.0, max_iter=200)  # every cell weighing 2 is C doubled
    once, _, _ = solve(p, 1.0, max_iter=200)
    assert torch.allclose(twice, c2, atol=1e-3)
    assert not torch.allclose(twice, once, atol=1e-2)


def test_a_warm_start_at_the_optimum_stays_there() -> None:
    values, starts, bag_w, buckets, targets, weights, _ = _problem()
    p = WideProblem.build(values, starts, bag_w, buckets, targets, weights)
    w, b, cold = solve(p, 1.0, max_iter=300)
    w2, b2, calls = solve(p, 1.0, start=(w, b), max_iter=300)
    assert calls < cold / 2
    assert torch.allclose(w, w2, atol=1e-3) and torch.allclose(b, b2, atol=1e-3)


def test_labels_solved_in_blocks_reach_the_same_optimum(monkeypatch) -> None:
    from alframe.models import wide_fit

    values, starts, bag_w, buckets, targets, weights, dense = _problem(n_labels=10, unknown=0.2)
    p = WideProblem.build(values, starts, bag_w, buckets, targets, weights)
    monkeypatch.setattr(wide_fit, "LABEL_BLOCK", 3)  # blocks of 3, 3, 3 and 1 label
    big_w, b, _ = solve(p, 1.0, max_iter=300)
    monkeypatch.setattr(wide_fit, "LABEL_BLOCK", 100)  # all ten at once
    joint_w, joint_b, _ = solve(p, 1.0, max_iter=300)
    assert torch.allclose(big_w, joint_w, atol=1e-3) and torch.allclose(b, joint_b, atol=1e-3)
    full = np.zeros((buckets, 10))
    full[p.columns.numpy()] = big_w.numpy()
    gw, gb = _gradient(dense, targets.numpy(), weights.numpy(), full, b.numpy(), 1.0)
    assert np.abs(gw[p.columns.numpy()]).max() < 2e-2 and np.abs(gb).max() < 2e-2  # every label
    # a warm start is taken per block too: from the optimum, each block stops at once
    _, _, calls = solve(p, 1.0, start=(big_w, b), max_iter=300)
    assert calls <= 4 * 3
