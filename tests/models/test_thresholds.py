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


def _progressive(p: np.ndarray, y: np.ndarray, w: np.ndarray) -> float | None:
    from alframe.models.thresholds import fresh_counts, progressive_threshold

    return progressive_threshold(fresh_counts(p, y, w))


def test_progressive_threshold_is_the_best_weighted_grid_cut_found_by_brute_force() -> None:
    from alframe.models.thresholds import FRESH_GRID

    rng = np.random.default_rng(5)
    y = (rng.random(400) < 0.2).astype(np.int8)
    p = np.clip(0.15 * y + rng.random(400) * 0.5, 0.0, 1.0)
    w = rng.uniform(0.5, 3.0, 400)
    cut = _progressive(p, y, w)
    assert cut is not None and cut in FRESH_GRID
    best = max(weighted_f1(p >= t, y, w) for t in FRESH_GRID)
    assert weighted_f1(p >= cut, y, w) == pytest.approx(best)
    # the weights count: the same cells with every negative weighed 20 times cut higher
    heavy = _progressive(p, y, np.where(y == 0, 20.0, 1.0))
    assert heavy is not None and heavy > _progressive(p, y, np.ones(400))  # type: ignore[operator]


def test_fresh_counts_of_several_rounds_add_up_to_the_counts_of_their_cells() -> None:
    from alframe.models.thresholds import add_counts, fresh_counts

    rng = np.random.default_rng(2)
    p, y, w = rng.random(300), (rng.random(300) < 0.3).astype(np.int8), rng.uniform(1, 2, 300)
    whole = fresh_counts(p, y, w)
    parts = add_counts([fresh_counts(p[:100], y[:100], w[:100]), {"iw_tp": 1.0}, fresh_counts(p[100:], y[100:], w[100:])])
    assert parts is not None and add_counts([{"iw_tp": 1.0}]) is None
    for k in ("fresh_tp", "fresh_fp"):
        np.testing.assert_allclose(parts[k], whole[k], atol=1e-4)
    assert (parts["fresh_pos"], parts["fresh_n_pos"], parts["fresh_cells"]) == pytest.approx(
        (whole["fresh_pos"], whole["fresh_n_pos"], 300))
    # tp at a cut is the weight of the positives at or above it
    from alframe.models.thresholds import FRESH_GRID

    g = 100
    assert whole["fresh_tp"][g] == pytest.approx(float((w * ((p >= FRESH_GRID[g]) & (y == 1))).sum()), abs=1e-4)


def test_progressive_threshold_follows_an_under_confident_model_below_the_expected_cut() -> None:
    """The failure it replaces: a network that trained on half the pool is sure of those cells
    (0.97 / 0.01) and under-confident on the rest (its positives near 0.1). The expected cut,
    reading the pool's probabilities as truth, rates the model highly and cuts high; the cut on
    fresh cells (the unseen half, answered) goes down to where their positives are."""
    from alframe.models.thresholds import expected_f1_threshold

    rng = np.random.default_rng(0)
    y = (rng.random((2, 20_000)) < 0.03).astype(np.int8)
    seen = np.where(y[0] == 1, 0.97, 0.01)
    unseen = np.where(y[1] == 1, rng.uniform(0.04, 0.3, y[1].size), rng.uniform(0.0, 0.08, y[1].size))
    expected = expected_f1_threshold(np.concatenate([seen, unseen]).reshape(-1, 1))
    cut = _progressive(unseen, y[1], np.ones(y[1].size))
    assert cut is not None and cut < 0.1 < expected
    assert weighted_f1(unseen >= cut, y[1]) > weighted_f1(unseen >= expected, y[1]) + 0.2


def test_progressive_threshold_needs_enough_fresh_positives() -> None:
    from alframe.models.thresholds import fresh_counts, progressive_threshold

    y = np.zeros(100, dtype=np.int8)
    y[:19] = 1
    p = np.linspace(1.0, 0.0, 100)
    assert _progressive(p, y, np.ones(100)) is None  # 19 < 20
    assert progressive_threshold(None) is None
    y[19] = 1
    assert _progressive(p, y, np.ones(100)) is not None
    assert progressive_threshold(fresh_counts(p, y, np.ones(100)), min_positives=50) is None
    # unknown answers, NaN probabilities and zero weights are not cells
    y2, p2, w2 = y.copy(), p.copy(), np.ones(100)
    y2[:5], p2[5:8], w2[8:10] = -1, np.nan, 0.0
    assert _progressive(p2, y2, w2) is None
    assert fresh_counts(p2, y2, w2)["fresh_cells"] == 90
