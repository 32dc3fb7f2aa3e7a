"""The learning-curve health rule: falls are found, noise and single dips are not."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from alframe.health import MIN_DROP, curve_falls, falls, ongoing


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0.2, 0.3, 0.4, 0.5, 0.55, 0.6], []),  # rising
        ([0.5, 0.51, 0.505, 0.512, 0.508, 0.511], []),  # flat within noise
        ([0.2, 0.4, 0.5, 0.3, 0.52, 0.55], []),  # one bad round: noise, not a trend
        ([0.2, 0.4, 0.5, 0.45, 0.41, 0.38], [(2, 4, 5, 0.38)]),  # falls and keeps falling
        (  # two falls on a steady curve
            [0.2, 0.3, 0.4, 0.5, 0.5, 0.5, 0.4, 0.39, 0.5, 0.55, 0.6, 0.6, 0.6, 0.5, 0.49],
            [(3, 6, 7, 0.39), (10, 13, 14, 0.49)],
        ),
    ],
)
def test_falls(values: list[float], expected: list[tuple[int, int, int, float]]) -> None:
    got = falls("micro_f1", list(range(len(values))), values)
    assert [(f.best_round, f.from_round, f.to_round, round(f.value, 3)) for f in got] == expected


def test_a_noisy_curve_needs_a_bigger_drop() -> None:
    # swings of ±0.1 round to round: a drop of 0.05 under the best is within that noise
    values = [0.3, 0.4, 0.3, 0.4, 0.35, 0.35, 0.35]
    assert falls("m", list(range(len(values))), values) == []
    steady = [0.3, 0.4, 0.4, 0.4, 0.34, 0.34, 0.34]
    assert len(falls("m", list(range(len(steady))), steady)) == 1


def test_smallest_drop_and_short_curves() -> None:
    assert falls("m", [0, 1], [0.5, 0.1]) == []  # too few rounds to call a trend
    just = [0.5, 0.5, 0.5 - MIN_DROP * 0.9, 0.5 - MIN_DROP * 0.9]
    assert falls("m", list(range(4)), just) == []


@dataclass
class _Rec:
    round: int
    metrics: dict[str, Any] = field(default_factory=dict)


def test_curve_falls_skips_unevaluated_rounds_and_names_the_metric() -> None:
    recs = [_Rec(0, {"micro_f1": 0.4}), _Rec(1, {}), _Rec(2, {"micro_f1": 0.5}), _Rec(3, {"micro_f1": 0.5}),
            _Rec(4, {"micro_f1": 0.5}), _Rec(5, {"micro_f1": 0.45}), _Rec(6, {"micro_f1": 0.44, "macro_ap": 0.3})]
    found = curve_falls(recs, ["micro_f1", "macro_ap"])
    assert [(f.metric, f.best_round, f.from_round, f.to_round) for f in found] == [("micro_f1", 2, 5, 6)]
    assert "micro_f1 is falling: 0.500 at round 2, 0.440 at round 6" in found[0].text()
    assert ongoing(found, 6) == found and ongoing(found, 7) == []
