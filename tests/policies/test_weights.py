"""Importance weights, and the bias that clipping and normalising cost."""

from __future__ import annotations

import numpy as np
import pytest

from alframe.errors import RunError
from alframe.policies.weights import bias_table, importance_weights


def test_weights_are_one_over_p_and_zero_without_an_answer() -> None:
    p = np.array([[1.0, 0.5], [0.0, 0.1]])
    w = importance_weights(p)
    assert w.dtype == np.float32 and w.shape == (2, 2)
    assert w.ravel().tolist() == pytest.approx([1.0, 2.0, 0.0, 10.0])


def test_clipping_then_normalising_to_mean_one() -> None:
    p = np.array([1.0, 0.5, 0.0, 0.1])
    assert importance_weights(p, clip=4.0).tolist() == pytest.approx([1.0, 2.0, 0.0, 4.0])
    w = importance_weights(p, clip=4.0, normalize=True)
    assert w[[0, 1, 3]].mean() == pytest.approx(1.0) and w[2] == 0.0
    assert w[3] / w[0] == pytest.approx(4.0)


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_probabilities_outside_the_unit_interval_are_refused(bad: float) -> None:
    with pytest.raises(RunError, match=r"\(0, 1\]"):
        importance_weights(np.array([0.5, bad]))


def test_clip_must_be_positive() -> None:
    with pytest.raises(RunError, match="clip"):
        importance_weights(np.array([0.5]), clip=0.0)


def test_clipping_costs_bias_and_buys_variance() -> None:
    rows = {r.label: r for r in bias_table(n_cells=5000, batch=200, trials=300, seed=1)}
    plain, clipped = rows["1/p"], rows["1/p, clip 10"]
    assert abs(plain.rel_bias) < 3 * plain.rel_sd / np.sqrt(300) + 0.01
    assert rows["unweighted"].rel_bias > 0.3  # the policy asks where losses are large
    assert clipped.rel_bias < -0.2 and clipped.rel_sd < plain.rel_sd
    assert clipped.max_weight == 10.0
