"""Importance weights for answers obtained by a randomised policy, and what taming them costs.

An answer asked with probability ``p`` stands for ``1/p`` candidates like it: weighting its loss
by ``1/p`` (Horvitz & Thompson, *A generalization of sampling without replacement from a finite
universe*, JASA 1952) makes the weighted loss an unbiased estimate of the loss over the whole
pool — the reason importance-weighted active learning works (Beygelzimer, Dasgupta & Langford,
*Importance Weighted Active Learning*, ICML 2009).

Large weights make mini-batch gradients noisy, so two remedies are offered, each at a price:

- **clipping** ``w = min(1/p, c)`` bounds the variance but under-counts the rarely asked cells
  (a bias toward the cells the policy likes);
- **normalising** to mean 1 (the self-normalised, Hájek estimator) makes the loss scale
  independent of the batch fitting, at an O(1/m) bias.

:func:`estimator_bias` measures both on a pool whose losses are known;
``python -m alframe.policies.weights`` prints the table quoted in ``docs/strategies.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from alframe.errors import RunError


def importance_weights(prob: np.ndarray, clip: float | None = None, normalize: bool = False) -> np.ndarray:
    """Loss weights ``1/p`` for answers asked with probability ``p``; float32, same shape.

    ``p = 0`` marks a cell without an answer: its weight is 0 and it takes no part in the
    normalisation, so a ``[n_items, n_labels]`` matrix of probabilities can be passed as is.

    :param prob: query probabilities in ``[0, 1]`` (seed answers have ``p = 1``).
    :param clip: cap on a weight (``None``: no cap); must be positive.
    :param normalize: rescale the answered cells' weights to mean 1 (after clipping).
    """
    p = np.asarray(prob, dtype=np.float64)
    bad = ~((p >= 0.0) & (p <= 1.0))  # NaN fails both comparisons
    if bad.any():
        first = p[bad].ravel()[0]
        raise RunError(
            f"query probabilities must lie in (0, 1] (0: no answer); {int(bad.sum())} do not, e.g. {first!r}",
            code="R210",
        )
    if clip is not None and not clip > 0:
        raise RunError(f"importance weight clip must be positive, got {clip!r}", code="R211")
    answered = p > 0.0
    w = np.zeros_like(p)
    np.divide(1.0, p, out=w, where=answered)
    if clip is not None:
        np.minimum(w, clip, out=w, where=answered)
    if normalize and answered.any():
        w *= answered.sum() / w.sum()
    return w.astype(np.float32)


@dataclass(frozen=True)
class EstimatorBias:
    """How well the weighted mean loss over the asked cells estimates the pool's mean loss."""

    label: str
    rel_bias: float  # (E[estimate] − truth) / truth
    rel_sd: float  # standard deviation of the estimate / truth
    max_weight: float  # the largest weight any answer can get


def synthetic_pool(
    n_cells: int, batch: int, rng: np.random.Generator, floor: float = 0.02
) -> tuple[np.ndarray, np.ndarray]:
    """Per-cell losses and IWAL query probabilities for a calibrated model's pool.

    The model's probabilities are mostly confident (Beta(0.3, 0.3)); the truth is drawn from
    them, so confident-but-wrong cells exist and carry the largest losses. ``p`` follows the
    floor rule on the margin, fitted to ``batch`` expected queries — the situation in which a
    small ``p`` meets a large loss and clipping hurts.

    :returns: ``loss`` ``[n_cells]`` (binary cross-entropy) and ``p`` ``[n_cells]``.
    """
    from alframe.policies.iwal import fit_to_batch, floor_probability

    q = np.clip(rng.beta(0.3, 0.3, size=n_cells), 1e-4, 1 - 1e-4)  # [m] model probabilities
    y = rng.random(n_cells) < q  # [m] truth, calibrated to q
    loss = -np.where(y, np.log(q), np.log1p(-q))  # [m]
    p = fit_to_batch(floor_probability(1.0 - np.abs(2.0 * q - 1.0), floor, 1.0), batch)
    return loss, p


def estimator_bias(
    loss: np.ndarray,
    p: np.ndarray,
    *,
    clip: float | None,
    normalize: bool,
    weighted: bool = True,
    trials: int = 400,
    rng: np.random.Generator,
    label: str = "",
) -> EstimatorBias:
    """Monte Carlo over independent coins: the estimate's relative bias and spread.

    Unnormalised: ``Σ_asked w·ℓ / N``; normalised: ``Σ_asked w·ℓ / Σ_asked w``; unweighted
    (``weighted=False``): the plain mean loss of the asked cells.
    """
    truth = float(loss.mean())
    w = importance_weights(p, clip, False).astype(np.float64) if weighted else np.ones_like(p)
    estimates = np.empty(trials)
    for t in range(trials):
        asked = rng.random(p.shape[0]) < p  # [m]
        wl = float((w[asked] * loss[asked]).sum())
        estimates[t] = wl / max(float(w[asked].sum()), 1e-300) if normalize or not weighted else wl / len(loss)
    return EstimatorBias(
        label=label,
        rel_bias=float(estimates.mean() / truth - 1.0),
        rel_sd=float(estimates.std() / truth),
        max_weight=float(w[p > 0].max()) if weighted else 1.0,
    )


def bias_table(
    n_cells: int = 20000, batch: int = 500, trials: int = 1000, seed: int = 0
) -> list[EstimatorBias]:
    """The rows quoted in the docs: no weights, plain 1/p, clipped at several caps, normalised."""
    rng = np.random.default_rng(seed)
    loss, p = synthetic_pool(n_cells, batch, rng)
    common: dict[str, Any] = {"trials": trials, "rng": rng}
    rows = [estimator_bias(loss, p, clip=None, normalize=False, weighted=False, label="unweighted", **common)]
    for clip in (None, 100.0, 30.0, 10.0, 3.0):
        for normalize in (False, True):
            name = f"1/p{'' if clip is None else f', clip {clip:g}'}{', normalised' if normalize else ''}"
            rows.append(estimator_bias(loss, p, clip=clip, normalize=normalize, label=name, **common))
    return rows


def format_table(rows: list[EstimatorBias]) -> str:
    lines = ["| weights | relative bias | relative sd | largest weight |", "| --- | ---: | ---: | ---: |"]
    for r in rows:
        lines.append(f"| {r.label} | {r.rel_bias:+.1%} | {r.rel_sd:.1%} | {_fmt_weight(r.max_weight)} |")
    return "\n".join(lines)


def _fmt_weight(w: float) -> str:
    return f"{w:.0f}" if math.isfinite(w) else "∞"


if __name__ == "__main__":
    print(format_table(bias_table()))
