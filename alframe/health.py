"""Learning-curve health: a metric that falls as labels arrive is reported, never left to a plot.

More labels should never make the model worse by more than the noise of one round. The rule,
applied to each metric's evaluated rounds in order:

- the *noise* of the curve is the median absolute distance of a value from the midpoint of its
  two neighbours (a robust scale that a steady rise or fall does not inflate, and a few big
  steps do not either);
- a round is *below* when its value lies more than ``max(MIN_DROP, NOISE_FACTOR × noise)``
  under the best value of any earlier round;
- a *fall* is a stretch of at least ``MIN_ROUNDS`` consecutive evaluated rounds below: one
  unlucky round is noise, two in a row are a trend.

The live view, the end-of-run summary and the report all call :func:`falls`, so they agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: smallest drop that counts (metric units: F1 and AP lie in 0..1)
MIN_DROP = 0.01
#: a drop must also exceed this many times the curve's own round-to-round noise
NOISE_FACTOR = 2.0
#: consecutive evaluated rounds below the earlier best that make a fall
MIN_ROUNDS = 2


@dataclass(frozen=True)
class Fall:
    """``metric`` was ``best`` at ``best_round`` and stayed lower through ``to_round``."""

    metric: str
    best_round: int
    best: float
    from_round: int  # the first round below
    to_round: int  # the last round below (so far)
    value: float  # the value at ``to_round``

    def text(self) -> str:
        return (
            f"{self.metric} is falling: {self.best:.3f} at round {self.best_round}, "
            f"{self.value:.3f} at round {self.to_round} (below since round {self.from_round})"
        )


def falls(metric: str, rounds: Sequence[int], values: Sequence[float]) -> list[Fall]:
    """Every fall of one metric's curve (``rounds`` and ``values`` in round order)."""
    v = np.asarray(values, dtype=np.float64)
    if len(v) < MIN_ROUNDS + 1:
        return []
    noise = float(np.median(np.abs(v[1:-1] - (v[:-2] + v[2:]) / 2.0)))
    tol = max(MIN_DROP, NOISE_FACTOR * noise)
    out: list[Fall] = []
    best, best_at = v[0], 0
    start: int | None = None
    for i in range(1, len(v) + 1):
        below = i < len(v) and best - v[i] > tol
        if below and start is None:
            start = i
        if not below and start is not None:
            if i - start >= MIN_ROUNDS:
                out.append(Fall(metric, int(rounds[best_at]), float(best), int(rounds[start]), int(rounds[i - 1]), float(v[i - 1])))
            start = None
        if i < len(v) and v[i] > best:
            best, best_at = v[i], i
    return out


def curve_falls(records: Iterable[Any], metrics: Sequence[str]) -> list[Fall]:
    """Falls of every metric over rounds records (anything with ``round`` and ``metrics``);
    rounds without a value for a metric (not evaluated) are skipped."""
    rows = list(records)
    out: list[Fall] = []
    for name in metrics:
        pts = [(r.round, r.metrics.get(name)) for r in rows if _number(r.metrics.get(name))]
        out.extend(falls(name, [p[0] for p in pts], [float(p[1]) for p in pts]))
    return out


def ongoing(found: Sequence[Fall], last_round: int) -> list[Fall]:
    """The falls still under way at ``last_round`` (what a live view flags now)."""
    return [f for f in found if f.to_round == last_round]


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and np.isfinite(x)
