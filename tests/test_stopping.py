"""Stopping without a test split (alframe.stopping): Cohen's kappa, the stabilising-predictions
window rule on hand-made prediction sequences, and the importance-weighted F1 estimate."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alframe.stopping import (
    cohen_kappa,
    estimated_f1,
    iw_counts,
    iw_f1,
    per_round,
    stability_series,
    stable_reason,
)

# ---- kappa --------------------------------------------------------------------------------


def test_kappa_of_a_hand_made_pair() -> None:
    a = np.array([1, 1, 0, 0], bool)
    b = np.array([1, 0, 0, 0], bool)
    # agreement 3/4; chance: ½·¼ + ½·¾ = ½; kappa = (¾ − ½) / (1 − ½)
    assert cohen_kappa(a, b) == pytest.approx(0.5)


def test_kappa_of_identical_and_of_opposite_predictions() -> None:
    a = np.array([[1, 0, 0], [0, 1, 0]], bool)
    assert cohen_kappa(a, a) == 1.0
    assert cohen_kappa(a, ~a) == pytest.approx(-0.8)  # po = 0, pe = 2·(1/3)(2/3)


def test_kappa_where_its_formula_is_undefined() -> None:
    """Both rounds predict no positive at all (early rounds of a sparse label space): the
    formula is 0/0; nothing changed, so kappa is 1. All negative against all positive is 0."""
    none = np.zeros((50, 4), bool)
    assert cohen_kappa(none, none) == 1.0
    assert cohen_kappa(~none, ~none) == 1.0
    assert cohen_kappa(none, ~none) == 0.0
    assert cohen_kappa(np.zeros(0, bool), np.zeros(0, bool)) == 1.0


def test_kappa_sees_what_raw_agreement_hides() -> None:
    """1,000 cells, 2 % positive on each side, never the same ones: raw agreement is 96 %,
    which a rule on raw agreement would take for stable; kappa is below 0."""
    a = np.zeros(1000, bool)
    b = np.zeros(1000, bool)
    a[:20] = True
    b[20:40] = True
    assert float((a == b).mean()) == pytest.approx(0.96)
    assert cohen_kappa(a, b) < 0


def test_kappa_refuses_arrays_of_different_sizes() -> None:
    with pytest.raises(ValueError):
        cohen_kappa(np.zeros(3, bool), np.zeros(4, bool))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.booleans()), min_size=1, max_size=60))
def test_kappa_is_symmetric_bounded_and_one_only_for_equal_predictions(pairs: list[tuple[bool, bool]]) -> None:
    a = np.array([p[0] for p in pairs], bool)
    b = np.array([p[1] for p in pairs], bool)
    k = cohen_kappa(a, b)
    assert k == pytest.approx(cohen_kappa(b, a))
    assert -1.0 - 1e-12 <= k <= 1.0 + 1e-12
    assert (k == pytest.approx(1.0)) == bool((a == b).all())


# ---- the window rule ----------------------------------------------------------------------


def test_rule_on_a_hand_made_prediction_sequence() -> None:
    """Six rounds of predictions on a 10 × 5 stop set that settle: each round flips fewer
    cells than the one before. Kappa of consecutive rounds rises, and the rule stops at the
    first round whose last-two mean reaches 0.9."""
    rng = np.random.default_rng(0)
    preds = [rng.random((10, 5)) < 0.3]
    for flips in (12, 8, 4, 1, 0):
        nxt = preds[-1].copy()
        cells = rng.choice(50, flips, replace=False)
        nxt.flat[cells] = ~nxt.flat[cells]
        preds.append(nxt)
    kappas: list[float | None] = [None] + [cohen_kappa(a, b) for a, b in zip(preds, preds[1:])]
    assert all(x < y for x, y in zip(kappas[1:], kappas[2:]))  # type: ignore[operator]
    stops = [r for r in range(len(kappas)) if stable_reason(kappas[: r + 1], 2, 0.9) is not None]
    expected = next(r for r in range(2, len(kappas)) if (kappas[r - 1] + kappas[r]) / 2 >= 0.9)  # type: ignore[operator]
    assert stops and stops[0] == expected
    assert stable_reason(kappas, 2, 0.9) == f"predictions stable: agreement {(kappas[-2] + kappas[-1]) / 2:.3f} ≥ 0.9 over 2 rounds"  # type: ignore[operator]


def test_rule_reads_well_and_waits_for_a_full_window() -> None:
    series = [None, 0.5, 0.99, 0.995, 0.995]
    assert stable_reason(series, 3, 0.99) == "predictions stable: agreement 0.993 ≥ 0.99 over 3 rounds"
    assert stable_reason(series[:4], 3, 0.99) is None  # 0.5 is in the window
    assert stable_reason([None, 1.0], 2, 0.99) is None  # round 0 has no kappa: not a full window
    assert stable_reason([None, 1.0], 1, 0.99) == "predictions stable: agreement 1.000 ≥ 0.99 over 1 round"
    assert stable_reason([0.99], 2, 0.5) is None  # fewer rounds than the window
    assert stable_reason([0.98, 0.99], 2, 0.99) is None  # a mean of 0.985 is below 0.99


def test_the_series_comes_from_stored_rounds_and_the_round_under_way() -> None:
    """After a resume the complete rounds' figures come from the store (``history``); the train
    stage's signals count only for the round they were measured in."""
    history = [SimpleNamespace(round=0, train={}), SimpleNamespace(round=1, train={"stability": 0.97}),
               SimpleNamespace(round=2, train={"stability": 0.99})]
    assert stability_series(per_round(history, 3, {"round": 3, "stability": 1.0})) == [None, 0.97, 0.99, 1.0]
    assert stability_series(per_round(history, 3, {"round": 2, "stability": 1.0})) == [None, 0.97, 0.99, None]
    # a finished run asked again: its last round is already stored, and wins over stale signals
    assert stability_series(per_round(history, 2, {"round": 2, "stability": 0.5})) == [None, 0.97, 0.99]


# ---- the importance-weighted estimate -----------------------------------------------------


def test_iw_counts_and_f1_on_a_hand_made_case() -> None:
    answers = np.array([[1, 0], [1, -1], [0, 1]])
    predicted = np.array([[1, 1], [0, 1], [0, 1]], bool)
    prob = np.array([[0.5, 0.5], [1.0, 1.0], [0.25, 0.25]])
    c = iw_counts(answers, predicted, prob)
    # weights 2, 2 | 1, (unanswered) | 4, 4
    assert c == {"iw_tp": 2 + 4, "iw_fp": 2, "iw_fn": 1, "iw_cells": 5}
    assert iw_f1([c]) == pytest.approx(2 * 6 / (2 * 6 + 2 + 1))


def test_iw_f1_pools_rounds_and_is_undefined_without_positives() -> None:
    r1 = {"iw_tp": 1.0, "iw_fp": 1.0, "iw_fn": 0.0, "iw_cells": 2}
    r2 = {"iw_tp": 0.0, "iw_fp": 0.0, "iw_fn": 2.0, "iw_cells": 2}
    assert iw_f1([r1, r2]) == pytest.approx(2 / (2 + 1 + 2))
    assert iw_f1([{"iw_tp": 0.0, "iw_fp": 3.0, "iw_fn": 0.0, "iw_cells": 3}]) is None  # as micro_f1
    assert iw_f1([{}]) is None


def test_estimate_uses_the_last_rounds_that_counted_answers() -> None:
    good = {"iw_tp": 9.0, "iw_fp": 1.0, "iw_fn": 0.0, "iw_cells": 10}
    bad = {"iw_tp": 0.0, "iw_fp": 5.0, "iw_fn": 5.0, "iw_cells": 10}
    figures = [{}, bad, good, {"stability": 1.0}, good, good]  # round 0, and a round that counted nothing
    assert estimated_f1(figures, rounds=3) == pytest.approx(18 / 19)
    assert estimated_f1(figures, rounds=4) == pytest.approx(2 * 27 / (2 * 27 + 3 + 5 + 5))


def _pool(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A pool of cells with true answers and a model's predictions, and query probabilities
    that are high where the model is wrong (what an informative policy does)."""
    rng = np.random.default_rng(seed)
    answers = (rng.random(n) < 0.2).astype(np.int8)
    predicted = np.where(rng.random(n) < 0.8, answers == 1, answers == 0)
    wrong = predicted != (answers == 1)
    prob = np.where(wrong, 0.6, 0.05)
    return answers, predicted, prob


def test_the_weighted_estimate_finds_the_pool_f1_where_the_unweighted_one_does_not() -> None:
    """Poisson sampling with p favouring the model's mistakes: the weighted counts are unbiased
    for the pool's counts, so the ratio lands near the pool's F1 (within Monte-Carlo error);
    counting the same answers with weight 1 is far too pessimistic (the bias the docs state for
    deterministic policies)."""
    answers, predicted, prob = _pool(20_000, 1)
    truth = iw_f1([iw_counts(answers, predicted, np.ones_like(prob))])
    assert truth is not None
    rng = np.random.default_rng(2)
    weighted, plain = [], []
    for _ in range(200):
        asked = rng.random(len(answers)) < prob
        ans = np.where(asked, answers, -1)
        weighted.append(iw_f1([iw_counts(ans, predicted, prob)]))
        plain.append(iw_f1([iw_counts(ans, predicted, np.ones_like(prob))]))
    assert np.mean(weighted) == pytest.approx(truth, abs=0.01)
    assert np.mean(plain) < truth - 0.15


# ---- shown beside the test metrics --------------------------------------------------------


def _shown(*metrics: dict) -> list[str]:  # type: ignore[type-arg]
    from alframe.display.progress import shown_metric_names

    plan = SimpleNamespace(evaluate=SimpleNamespace(metrics=("micro_f1", "macro_f1")))
    history = [SimpleNamespace(round=i, metrics=m) for i, m in enumerate(metrics)]
    return shown_metric_names(SimpleNamespace(plan=plan, history=history))  # type: ignore[arg-type]


def test_the_live_view_shows_the_estimates_beside_the_test_metrics_from_round_1() -> None:
    from alframe.display.fit import metric_text

    r0 = {"micro_f1": 0.5, "macro_f1": 0.3}
    r1 = {**r0, "estimated_micro_f1": 0.45, "expected_micro_f1": 0.7, "stability": 0.9}
    assert _shown(r0) == ["micro_f1", "macro_f1"]
    shown = _shown(r0, r1, {})  # the last round not evaluated: the last evaluated one decides
    assert shown == ["micro_f1", "macro_f1", "estimated_micro_f1 (est.)", "expected_micro_f1 (est.)", "stability"]
    assert [metric_text(r1, n) for n in shown] == ["0.5000", "0.3000", "0.4500", "0.7000", "0.9000"]
    # a cold start: the model's expected F1 once (from its estimate), then the other two
    cold = {"micro_f1": None, "estimate": {"expected_micro_f1": 0.6}, "estimated_micro_f1": None,
            "expected_micro_f1": 0.6, "stability": 1.0}
    assert _shown(cold) == ["expected_micro_f1 (est.)", "estimated_micro_f1 (est.)", "stability"]
    assert [metric_text(cold, n) for n in _shown(cold)] == ["0.6000", "undefined", "1.0000"]


def test_round_0_shows_no_estimate_rather_than_an_undefined_one() -> None:
    from alframe.display.fit import metric_text

    r0 = {"micro_f1": None, "macro_f1": 0.3}
    assert [metric_text(r0, n) for n in ("micro_f1", "estimated_micro_f1 (est.)", "stability")] == ["undefined", "–", "–"]
    assert metric_text({"estimate": {"expected_micro_f1": None}}, "expected_micro_f1 (est.)") == "undefined"
