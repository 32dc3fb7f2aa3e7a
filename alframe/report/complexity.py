"""Label complexity: how many labels a setting needs, computed from learning curves.

Pure functions on arrays, so they are easy to check by hand:

- :func:`labels_to_target`: the labels count of the **first evaluated round** whose metric is at
  or above the target. No interpolation between rounds: a run is credited only with a model it
  actually trained, and the answer is a labels count that really occurred. ``None`` means
  "not reached". :func:`spent_to_target` reads the same round on another axis (the cost of a
  ``cost { item … cell … }`` model).
- :func:`area_under_curve`: the trapezoid area under metric-vs-labels divided by the labels
  range, i.e. the mean metric over the labels spent (0..1 for a 0..1 metric). Runs are compared
  over a common range (:func:`common_range`), cut with linear interpolation at its ends, so a
  run that went further is not credited for labels the others never had.
- :func:`paired_ratio`: a saving such as ``labels_random / labels_setting`` computed per repeat
  (repeat ``r`` of both settings shares its seed and test split) and then averaged; repeats
  where either side did not reach the target are left out, and with none left the saving is
  undefined.
- :func:`mean_curve`: several repeats' curves on one labels grid, for a mean line and a band.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Stat:
    """Mean and sample standard deviation of the defined values among ``total``."""

    mean: float | None
    sd: float | None
    n: int  # values that were defined (reached, finite)
    total: int  # values asked for (repeats)

    @property
    def complete(self) -> bool:
        return self.n == self.total and self.total > 0

    def to_dict(self) -> dict[str, float | int | None]:
        return {"mean": self.mean, "sd": self.sd, "n": self.n, "of": self.total}


def labels_to_target(labels: Sequence[float] | np.ndarray, values: Sequence[float] | np.ndarray, target: float) -> int | None:
    """Labels used at the first point whose value is ≥ ``target``; ``None`` if none is.

    :param labels: labels used at each evaluated round, in round order (non-decreasing).
    :param values: the metric at those rounds (NaN entries never count as reaching).
    """
    spent = spent_to_target(labels, values, target)
    return None if spent is None else int(spent)


def spent_to_target(spent: Sequence[float] | np.ndarray, values: Sequence[float] | np.ndarray, target: float) -> float | None:
    """What was spent (answered cells, or a cost) at the first point whose value is ≥
    ``target``; ``None`` if none is. The same first evaluated round as
    :func:`labels_to_target`, read on another axis: cost to target is the cost of that round."""
    xs = np.asarray(spent, dtype=np.float64)
    ys = np.asarray(values, dtype=np.float64)
    if xs.shape != ys.shape:
        raise ValueError(f"labels {xs.shape} and values {ys.shape} differ in shape")
    hit = np.flatnonzero(np.nan_to_num(ys, nan=-np.inf) >= target)
    if hit.size == 0:
        return None
    return float(xs[hit[0]])


def common_range(curves: Sequence[tuple[np.ndarray, np.ndarray]]) -> tuple[float, float] | None:
    """The labels range every curve covers: (latest start, earliest end); None if empty."""
    spans = [(float(x[0]), float(x[-1])) for x, _ in curves if len(x)]
    if not spans:
        return None
    lo, hi = max(s for s, _ in spans), min(e for _, e in spans)
    return (lo, hi) if hi >= lo else None


def area_under_curve(
    labels: Sequence[float] | np.ndarray,
    values: Sequence[float] | np.ndarray,
    lo: float | None = None,
    hi: float | None = None,
) -> float | None:
    """Trapezoid area under values-vs-labels over [lo, hi], divided by ``hi - lo``.

    The curve is cut at ``lo``/``hi`` by linear interpolation (the default range is the curve's
    own). A single point (or a zero-width range) gives that point's value; no point gives None.
    """
    xs = np.asarray(labels, dtype=np.float64)
    ys = np.asarray(values, dtype=np.float64)
    keep = np.isfinite(ys)
    xs, ys = xs[keep], ys[keep]
    if xs.size == 0:
        return None
    xs, ys = _dedupe_last(xs, ys)
    lo = float(xs[0]) if lo is None else float(lo)
    hi = float(xs[-1]) if hi is None else float(hi)
    if hi < lo or lo < xs[0] or hi > xs[-1]:
        return None
    if hi == lo:
        return float(np.interp(lo, xs, ys))
    inside = (xs > lo) & (xs < hi)
    gx = np.concatenate([[lo], xs[inside], [hi]])
    gy = np.interp(gx, xs, ys)
    area = float(np.sum((gx[1:] - gx[:-1]) * (gy[1:] + gy[:-1]) / 2.0))
    return area / (hi - lo)


def _dedupe_last(xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rounds that added no label share a labels count: keep the last value of each count."""
    if xs.size < 2 or np.all(np.diff(xs) > 0):
        return xs, ys
    order = np.argsort(xs, kind="stable")
    xs, ys = xs[order], ys[order]
    last = np.r_[xs[1:] != xs[:-1], True]
    return xs[last], ys[last]


def mean_sd(values: Sequence[float | None]) -> Stat:
    """Mean and sample sd (ddof 1; 0 for one value) of the values that are not None/NaN."""
    vals = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not vals:
        return Stat(None, None, 0, len(values))
    arr = np.asarray(vals)
    sd = float(arr.std(ddof=1)) if arr.size > 1 else 0.0
    return Stat(float(arr.mean()), sd, len(vals), len(values))


def paired_ratio(numerator: Sequence[float | None], denominator: Sequence[float | None]) -> Stat:
    """Mean ± sd of ``numerator[r] / denominator[r]`` over repeats where both are defined.

    For a saving against random: ``paired_ratio(labels_random, labels_setting)`` (above 1: the
    setting needed fewer labels). ``total`` is the number of repeats paired.
    """
    n = min(len(numerator), len(denominator))
    ratios: list[float | None] = []
    for a, b in zip(numerator[:n], denominator[:n]):
        if a is None or b is None or not b:
            ratios.append(None)
        else:
            ratios.append(float(a) / float(b))
    return mean_sd(ratios)


def mean_curve(
    curves: Sequence[tuple[np.ndarray, np.ndarray]], points: int = 200
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(grid, mean, sd) of several curves over the range all of them cover.

    One curve is returned as it is (sd 0). Repeats of item queries share their labels counts;
    IWAL's random query counts do not, so the curves are interpolated onto one grid (the union
    of their labels counts inside the common range, thinned to ``points``).
    """
    curves = [(x, y) for x, y in curves if len(x)]
    if not curves:
        return None
    if len(curves) == 1:
        x, y = _dedupe_last(*curves[0])
        return x, y, np.zeros_like(y)
    rng = common_range(curves)
    if rng is None:
        return None
    lo, hi = rng
    grid = np.unique(np.concatenate([x[(x >= lo) & (x <= hi)] for x, _ in curves] + [np.array([lo, hi])]))
    if grid.size > points:
        grid = np.unique(np.quantile(grid, np.linspace(0, 1, points)))
    stack = np.stack([np.interp(grid, *_dedupe_last(x, y)) for x, y in curves])
    return grid, stack.mean(axis=0), stack.std(axis=0, ddof=1)
