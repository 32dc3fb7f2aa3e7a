from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from alframe.report.complexity import (
    area_under_curve,
    common_range,
    labels_to_target,
    mean_curve,
    mean_sd,
    paired_ratio,
)


def test_first_round_at_or_above_the_target_no_interpolation() -> None:
    labels = [10, 20, 30, 40]
    values = [0.2, 0.49, 0.61, 0.7]
    assert labels_to_target(labels, values, 0.5) == 30  # not 21-ish: no interpolation
    assert labels_to_target(labels, values, 0.61) == 30  # equal counts as reached (a tie with the target)
    assert labels_to_target(labels, values, 0.2) == 10
    assert labels_to_target(labels, values, 0.71) is None  # not reached
    assert labels_to_target([], [], 0.1) is None


def test_first_crossing_wins_even_if_the_curve_dips_later() -> None:
    assert labels_to_target([10, 20, 30, 40], [0.1, 0.6, 0.4, 0.9], 0.5) == 20


def test_rounds_with_the_same_labels_count_and_undefined_values() -> None:
    # a round that added no label repeats the count; an undefined metric (NaN) never reaches
    assert labels_to_target([10, 20, 20, 30], [0.1, 0.3, 0.55, 0.6], 0.5) == 20
    assert labels_to_target([10, 20, 30], [float("nan"), 0.9, 0.9], 0.5) == 20
    with pytest.raises(ValueError):
        labels_to_target([1, 2], [0.1], 0.5)


def test_area_by_hand() -> None:
    # trapezoids: (10→20) mean 0.3, (20→40) mean 0.6 → (10*0.3 + 20*0.6) / 30 = 0.5
    assert area_under_curve([10, 20, 40], [0.2, 0.4, 0.8]) == pytest.approx(0.5)
    # a common range cuts with linear interpolation: [20, 30] → values 0.4..0.6 → 0.5
    assert area_under_curve([10, 20, 40], [0.2, 0.4, 0.8], 20, 30) == pytest.approx(0.5)
    assert area_under_curve([10], [0.7]) == pytest.approx(0.7)
    assert area_under_curve([], []) is None
    assert area_under_curve([10, 20], [0.1, 0.2], 5, 20) is None  # range outside the curve
    # a constant curve has its own value as area whatever the range
    assert area_under_curve([1, 5, 9], [0.3, 0.3, 0.3], 2, 7) == pytest.approx(0.3)


def test_area_keeps_the_last_value_of_a_repeated_count() -> None:
    assert area_under_curve([0, 10, 10, 20], [0.0, 0.2, 0.4, 0.4]) == pytest.approx((10 * 0.2 + 10 * 0.4) / 20)


@given(st.lists(st.floats(0, 1), min_size=2, max_size=20))
def test_area_of_a_01_metric_stays_in_01(values: list[float]) -> None:
    labels = np.cumsum(np.arange(1, len(values) + 1))
    a = area_under_curve(labels, values)
    assert a is not None and min(values) - 1e-9 <= a <= max(values) + 1e-9


def test_mean_and_sd_skip_undefined() -> None:
    s = mean_sd([100, None, 300])
    assert (s.mean, s.n, s.total) == (200, 2, 3)
    assert s.sd == pytest.approx(math.sqrt(20000))
    assert not s.complete
    assert mean_sd([None, None]).mean is None
    one = mean_sd([5])
    assert (one.mean, one.sd, one.complete) == (5, 0.0, True)


def test_paired_ratio_pairs_by_repeat_and_drops_unreached() -> None:
    random = [200, 300, None]
    setting = [100, 100, 50]
    s = paired_ratio(random, setting)  # 2.0, 3.0; repeat 3 unpaired (random not reached)
    assert (s.mean, s.n, s.total) == (2.5, 2, 3)
    assert paired_ratio([None], [100]).mean is None
    tie = paired_ratio([120, 120], [120, 120])
    assert (tie.mean, tie.sd) == (1.0, 0.0)


def test_common_range_and_mean_curve() -> None:
    a = (np.array([10.0, 20, 30]), np.array([0.1, 0.2, 0.3]))
    b = (np.array([15.0, 25, 40]), np.array([0.3, 0.4, 0.5]))
    assert common_range([a, b]) == (15.0, 30.0)
    grid, mean, sd = mean_curve([a, b])
    assert grid[0] == 15 and grid[-1] == 30
    at20 = list(grid).index(20.0)
    assert mean[at20] == pytest.approx((0.2 + 0.35) / 2)
    assert sd[at20] > 0
    x, m, s = mean_curve([a])
    assert list(x) == [10, 20, 30] and not s.any()
    assert mean_curve([]) is None
    assert common_range([(np.array([1.0, 2]), np.array([0, 0])), (np.array([5.0, 6]), np.array([0, 0]))]) is None
