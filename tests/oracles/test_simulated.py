"""The simulated oracle: hidden truth, unknown cells, noise at the requested rate."""

from __future__ import annotations

import numpy as np
import pytest
from oracle_data import big_dataset, small_dataset

from alframe.errors import PluginError
from alframe.oracles.simulated import SimulatedOracle


def test_answers_are_the_hidden_labels() -> None:
    ds = small_dataset()
    items, labels = np.array([1, 2, 5, 0]), np.array([0, 2, 1, 0])
    out = SimulatedOracle().answer(ds, items, labels, np.random.default_rng(0))
    assert out.dtype == np.int8
    assert out.tolist() == ds.labels[items, labels].tolist()
    assert out[3] == -1  # the data set does not know that cell: no answer


def test_unknown_cells_stay_unknown_under_noise() -> None:
    ds = small_dataset()
    zeros = np.zeros(200, dtype=np.int64)
    out = SimulatedOracle(noise=0.5).answer(ds, zeros, zeros, np.random.default_rng(1))
    assert np.all(out == -1)


@pytest.mark.parametrize("noise", [0.05, 0.2, 0.5])
def test_noise_rate_is_the_requested_one(noise: float) -> None:
    ds = big_dataset(2000, 20)
    items = np.repeat(np.arange(2000), 20)
    labels = np.tile(np.arange(20), 2000)
    out = SimulatedOracle(noise).answer(ds, items, labels, np.random.default_rng(3))
    rate = float((out != ds.labels[items, labels]).mean())
    assert abs(rate - noise) < 4 * np.sqrt(noise * (1 - noise) / len(items))


def test_noise_is_deterministic_for_a_seed() -> None:
    ds = big_dataset(100, 5)
    items, labels = np.arange(100), np.arange(100) % 5
    a = SimulatedOracle(0.3).answer(ds, items, labels, np.random.default_rng(7))
    b = SimulatedOracle(0.3).answer(ds, items, labels, np.random.default_rng(7))
    c = SimulatedOracle(0.3).answer(ds, items, labels, np.random.default_rng(8))
    assert a.tolist() == b.tolist() and a.tolist() != c.tolist()


def test_an_item_query_must_be_expanded_first() -> None:
    with pytest.raises(PluginError, match="expand"):
        SimulatedOracle().answer(small_dataset(), np.array([1]), np.array([-1]), np.random.default_rng(0))


def test_noisy_answers_do_not_depend_on_how_cells_are_batched() -> None:
    """A resumed round asks its remaining cells alone: they must get the same answers."""
    ds = small_dataset()
    items = np.repeat(np.arange(ds.n_items), ds.n_labels)
    labels = np.tile(np.arange(ds.n_labels), ds.n_items)
    oracle = SimulatedOracle(0.4)
    whole = oracle.answer(ds, items, labels, np.random.default_rng(11))
    order = np.random.default_rng(0).permutation(len(items))
    parts = np.empty_like(whole)
    for chunk in np.array_split(order, 3):
        parts[chunk] = oracle.answer(ds, items[chunk], labels[chunk], np.random.default_rng(11))
    assert (whole == parts).all()
