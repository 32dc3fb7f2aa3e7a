from __future__ import annotations

import numpy as np
import pytest

from alframe.models.thresholds import BOUNDS, tune_thresholds, weighted_f1


def _skewed(n: int, rates: list[float], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Rare labels whose scores are informative but far below 0.5 (an uncalibrated model)."""
    rng = np.random.default_rng(seed)
    y = (rng.random((n, len(rates))) < np.asarray(rates)).astype(np.int8)  # [n, L]
    logit = -3.0 + 2.0 * y + rng.normal(0, 0.8, y.shape)
    return 1 / (1 + np.exp(-logit)), y


def test_tuned_thresholds_improve_f1_on_a_skewed_set() -> None:
    rates = [0.02, 0.05, 0.1, 0.3]
    p_tune, y_tune = _skewed(4000, rates, seed=0)
    p_test, y_test = _skewed(4000, rates, seed=1)
    thr = tune_thresholds(p_tune, y_tune, np.ones(y_tune.shape), fallback=0.5)
    assert thr.shape == (4,) and thr.dtype == np.float32
    assert (thr < 0.5).all()
    fixed = weighted_f1(p_test >= 0.5, y_test)
    tuned = weighted_f1(p_test >= thr, y_test)
    assert tuned > fixed + 0.2
    for j in range(4):  # per label too
        assert weighted_f1(p_test[:, j] >= thr[j], y_test[:, j]) >= weighted_f1(p_test[:, j] >= 0.5, y_test[:, j])


def test_threshold_is_the_best_cut_found_by_brute_force() -> None:
    rng = np.random.default_rng(3)
    p = rng.random((60, 3))
    y = (rng.random((60, 3)) < 0.3).astype(np.int8)
    y[rng.random((60, 3)) < 0.2] = -1  # some unknown cells
    w = rng.uniform(0.5, 4.0, (60, 3))
    thr = tune_thresholds(p, y, w, fallback=0.5)
    for j in range(3):
        known = y[:, j] >= 0
        best = max(weighted_f1(p[known, j] >= t, y[known, j], w[known, j]) for t in p[known, j])
        got = weighted_f1(p[known, j] >= thr[j], y[known, j], w[known, j])
        assert got == pytest.approx(best)


def test_importance_weights_move_the_threshold() -> None:
    p = np.array([[0.9], [0.6], [0.5], [0.4], [0.2]])
    y = np.array([[1], [0], [0], [1], [0]], dtype=np.int8)
    light = tune_thresholds(p, y, np.ones((5, 1)), fallback=0.5, min_positives=1)
    # the positive at 0.4 stands for many pool cells: include it
    heavy = tune_thresholds(p, y, np.array([[1.0], [1.0], [1.0], [10.0], [1.0]]), fallback=0.5, min_positives=1)
    assert light[0] > 0.6 and 0.2 < heavy[0] < 0.4


def test_labels_without_a_held_out_positive_keep_the_fixed_threshold() -> None:
    p = np.array([[0.9, 0.2, 0.3], [0.1, 0.7, 0.3]])
    y = np.array([[1, 0, -1], [0, 0, -1]], dtype=np.int8)
    thr = tune_thresholds(p, y, np.ones((2, 3)), fallback=0.4, min_positives=1)
    assert thr[1] == pytest.approx(0.4) and thr[2] == pytest.approx(0.4)
    assert 0.1 < thr[0] <= 0.9
    assert tune_thresholds(np.zeros((0, 2)), np.zeros((0, 2), np.int8), np.zeros((0, 2)), 0.5).tolist() == [0.5, 0.5]


def test_ties_are_never_split() -> None:
    p = np.array([[0.5], [0.5], [0.5], [0.1]])
    y = np.array([[1], [0], [1], [0]], dtype=np.int8)
    thr = tune_thresholds(p, y, np.ones((4, 1)), fallback=0.9, min_positives=1)
    assert 0.1 < thr[0] <= 0.5  # all three tied items on the positive side


def test_few_held_out_positives_keep_the_fixed_threshold_and_cuts_are_bounded() -> None:
    # two positives scored 0.02 and 0.03 among negatives below them: the best cut is about 0.02
    p = np.array([[0.03], [0.02], [0.01], [0.005], [0.001], [0.6]])
    y = np.array([[1], [1], [0], [0], [0], [0]], dtype=np.int8)
    assert tune_thresholds(p, y, np.ones(p.shape), fallback=0.5).tolist() == [0.5]  # 2 < MIN_POSITIVES
    few = tune_thresholds(p, y, np.ones(p.shape), fallback=0.5, min_positives=2, bounds=(0.0, 1.0))
    assert few[0] < 0.03
    bounded = tune_thresholds(p, y, np.ones(p.shape), fallback=0.5, min_positives=2)
    assert bounded[0] == pytest.approx(BOUNDS[0])
    # positives that carry no weight are not counted (cells of a weighting that zeroed them)
    w = np.array([[0.0], [0.0], [1.0], [1.0], [1.0], [1.0]])
    assert tune_thresholds(p, y, w, fallback=0.5, min_positives=1).tolist() == [0.5]


def test_expected_f1_threshold_is_the_best_cut_of_calibrated_probabilities() -> None:
    from alframe.models.thresholds import expected_f1_threshold

    rng = np.random.default_rng(3)
    probs = rng.beta(0.3, 6.0, size=(4000, 20))  # skewed: most cells unlikely
    truth = rng.random(probs.shape) < probs  # the probabilities are calibrated
    t = expected_f1_threshold(probs)
    assert 0.05 <= t < 0.5

    def f1(cut: float) -> float:
        pred = probs >= cut
        tp = (pred & truth).sum()
        return 2 * tp / (pred.sum() + truth.sum())

    best = max(np.arange(0.05, 0.5, 0.01), key=f1)
    assert abs(t - best) < 0.05  # the label-free cut is near the cut the truth would choose
    assert f1(t) > f1(0.5) + 0.02  # and beats the fixed 0.5 on such probabilities
    assert abs(t - f1(t) / 2) < 0.05  # the F1/2 rule


def test_expected_f1_threshold_without_probability_mass_falls_back_to_the_top() -> None:
    from alframe.models.thresholds import EXPECTED_BOUNDS, expected_f1_threshold

    assert expected_f1_threshold(np.zeros((10, 3))) == EXPECTED_BOUNDS[1]
    assert expected_f1_threshold(np.zeros((0, 3))) == EXPECTED_BOUNDS[1]
