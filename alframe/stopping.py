"""Stopping without a labelled test split: stabilising predictions and an estimate from the answers.

A person labelling their own data has no test split to say "good enough". Two signals need
none, and both are measured each round from the model *before* training (the previous round's
model, restored from its checkpoint after a resume) and the model after it:

- **stability** (Bloodgood & Vijay-Shanker, *A Method for Stopping Active Learning Based on
  Stabilizing Predictions*, CoNLL 2009): the agreement, as Cohen's kappa, between the two
  models' yes/no predictions (at the label thresholds) on a fixed *stop set* of pool items, the
  same sample every round. ``stop stable(window=3, agreement=0.99)`` stops once the mean over the
  last ``window`` rounds reaches ``agreement``. Kappa and not raw agreement: most cells of a
  multi-label pool are negative, so two models that agree on every negative cell and on none of
  the positive ones still agree on 95 % or more of the cells; kappa subtracts the agreement the
  two models' positive rates give by chance and reads 0 for them.
- **an importance-weighted estimate of micro-F1** from the answers: a round's answers were
  chosen by the model before training on them, so for that model they are held out. Each
  answered cell compared with that model's prediction counts into tp, fp or fn with weight
  ``1/p`` (its stored query probability); F1 = 2·tp / (2·tp + fp + fn) over the last
  :data:`ESTIMATE_ROUNDS` rounds (a ratio estimator). Under random sampling and IWAL the weighted
  counts estimate the pool's counts without bias (the ratio up to an O(1/n) term); a
  deterministic policy (``p = 1``) asks the items it finds hardest, so its estimate is biased
  toward hard items, i.e. pessimistic.

Everything here is a pure function of arrays; :mod:`alframe.builtin.stages` feeds it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

#: rounds whose weighted counts the estimate pools: one round's 200 answers give a noisy F1, many
#: rounds mix models far behind the current one
ESTIMATE_ROUNDS = 3
#: the name of the estimate in a round's metrics, and of the kappa between consecutive models
ESTIMATED = "estimated_micro_f1"
STABILITY = "stability"
#: the per-round training figures the estimate is pooled from (stored with every round)
COUNTS = ("iw_tp", "iw_fp", "iw_fn", "iw_cells")


def cohen_kappa(before: np.ndarray, after: np.ndarray) -> float:
    """Cohen's kappa between two boolean prediction arrays of the same shape (every cell one
    rating). Chance agreement is ``pe = qa·qb + (1−qa)(1−qb)`` with ``q`` each side's share of
    positive cells. Where ``pe = 1`` kappa's formula is 0/0: that happens only when both sides
    predict one and the same class in every cell (typically all negative early on), so the
    predictions did not change and kappa is defined as 1. An empty array also gives 1 (nothing
    changed)."""
    a = np.asarray(before, dtype=bool).ravel()
    b = np.asarray(after, dtype=bool).ravel()
    if a.shape != b.shape:
        raise ValueError(f"kappa of arrays of different sizes: {a.size} and {b.size}")
    n = a.size
    if n == 0:
        return 1.0
    qa, qb = float(a.sum()) / n, float(b.sum()) / n
    po = float((a == b).sum()) / n
    pe = qa * qb + (1.0 - qa) * (1.0 - qb)
    if pe >= 1.0:
        return 1.0
    return (po - pe) / (1.0 - pe)


def stable_reason(values: Sequence[float | None], window: int, agreement: float) -> str | None:
    """The stop reason when the mean of the last ``window`` kappas is at least ``agreement``.

    ``values`` are the rounds' kappas in round order, ``None`` for a round without one (round 0,
    whose model before training was untrained). The rule waits until the last ``window`` rounds
    all have one, so a single lucky round never stops a run with ``window > 1``.
    """
    if window < 1 or len(values) < window:
        return None
    last = values[-window:]
    if any(v is None for v in last):
        return None
    mean = float(np.mean([float(v) for v in last if v is not None]))
    if mean < agreement:
        return None
    rounds = "1 round" if window == 1 else f"{window} rounds"
    return f"predictions stable: agreement {mean:.3f} ≥ {agreement:g} over {rounds}"


def iw_counts(answers: np.ndarray, predicted: np.ndarray, prob: np.ndarray) -> dict[str, float]:
    """Importance-weighted tp, fp, fn of predictions against answers, over the answered cells.

    ``answers`` int [m, L] (1 yes, 0 no, −1 not answered), ``predicted`` bool [m, L] (the model's
    prediction before it trained on the answers), ``prob`` the cells' query probabilities in
    (0, 1]; each answered cell weighs ``1/p``. ``iw_cells`` is the number of answered cells.
    """
    ans = np.asarray(answers)
    pred = np.asarray(predicted, dtype=bool)
    w = np.where(ans >= 0, 1.0 / np.clip(np.asarray(prob, dtype=np.float64), 1e-12, 1.0), 0.0)
    yes, no = ans == 1, ans == 0
    return {
        "iw_tp": float(w[pred & yes].sum()),
        "iw_fp": float(w[pred & no].sum()),
        "iw_fn": float(w[~pred & yes].sum()),
        "iw_cells": int((ans >= 0).sum()),
    }


def iw_f1(rounds: Sequence[dict[str, Any]]) -> float | None:
    """Micro-F1 from the weighted counts pooled over ``rounds`` (dicts with :data:`COUNTS`;
    rounds without them are skipped). None when no answered cell is positive (the convention of
    the test metric ``micro_f1``: recall is undefined without positives)."""
    tp = fp = fn = 0.0
    for r in rounds:
        if r.get("iw_tp") is None:
            continue
        tp += float(r["iw_tp"])
        fp += float(r.get("iw_fp") or 0.0)
        fn += float(r.get("iw_fn") or 0.0)
    if tp + fn <= 0:
        return None
    return round(2.0 * tp / (2.0 * tp + fp + fn), 6)


def per_round(history: Sequence[Any], current_round: int, current: dict[str, Any]) -> list[dict[str, Any]]:
    """The training figures of every round up to ``current_round``, in round order: the stored
    ones of complete rounds (``history``, also after a resume) and ``current`` (the round's
    training figures, with the ``round`` they belong to: ``RunState.signals``) for the round
    under way."""
    by_round = {int(r.round): dict(r.train or {}) for r in history if r.round <= current_round}
    if current_round not in by_round:
        by_round[current_round] = dict(current) if current.get("round") == current_round else {}
    return [by_round[k] for k in sorted(by_round)]


def stability_series(figures: Sequence[dict[str, Any]]) -> list[float | None]:
    return [f.get(STABILITY) for f in figures]


def estimated_f1(figures: Sequence[dict[str, Any]], rounds: int = ESTIMATE_ROUNDS) -> float | None:
    """The estimate over the last ``rounds`` rounds that counted any answer."""
    counted = [f for f in figures if f.get("iw_tp") is not None and f.get("iw_cells")]
    return iw_f1(counted[-rounds:])
