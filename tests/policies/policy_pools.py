"""Small synthetic pools for policy tests: real PoolScores, built from a seed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from alframe.policies.base import PoolScores, QueryContext


def make_pool(
    seed: int,
    n: int = 40,
    n_labels: int = 5,
    members: int = 3,
    known_frac: float = 0.3,
    levels: int = 0,
    spread: float = 1.0,
) -> PoolScores:
    """A pool with random probabilities; ``levels > 0`` rounds them to that many values (ties).

    Items are every other index (so item index ≠ position) and a few items are fully known.
    """
    rng = np.random.default_rng(seed)
    centre = rng.normal(0.0, 2.0, size=(n, n_labels, 1))  # [n, L, 1] logits
    logits = centre + rng.normal(0.0, spread, size=(n, n_labels, members))  # [n, L, K]
    probs = 1.0 / (1.0 + np.exp(-logits))
    if levels:
        probs = np.round(probs * (levels - 1)) / (levels - 1)
    known = rng.random((n, n_labels)) < known_frac  # [n, L]
    if n:
        known[rng.random(n) < 0.1] = True
    answered = np.full(n_labels, 20, dtype=np.int64)
    positives = rng.integers(0, 21, size=n_labels)
    return PoolScores(
        items=np.arange(n, dtype=np.int64) * 2 + 1,
        probs=torch.tensor(probs, dtype=torch.float32),
        known=known,
        label_positives=positives.astype(np.int64),
        label_answered=answered,
        thresholds=np.full(n_labels, 0.5, dtype=np.float32),
    )


def permuted(scores: PoolScores, order: np.ndarray) -> PoolScores:
    """The same pool with its rows in another order (every per-row array permuted alike)."""
    return PoolScores(
        items=scores.items[order],
        probs=scores.probs[torch.from_numpy(order)],
        known=scores.known[order],
        label_positives=scores.label_positives,
        label_answered=scores.label_answered,
        thresholds=scores.thresholds,
    )


def ctx(batch: int, unit: str, seed: int = 0, n_seen: int = 100) -> QueryContext:
    return QueryContext(batch=batch, unit=unit, rng=np.random.default_rng(seed), n_seen=n_seen, round=1)


def available(scores: PoolScores, unit: str) -> int:
    """Candidates left: items with an unknown cell, or unknown cells."""
    known = scores.known
    return int((~known.all(axis=1)).sum()) if unit == "item" else int((~known).sum())


def pool_strategy(build: Callable[..., PoolScores] = make_pool, n_max: int = 25, **more: Any) -> Any:
    """Hypothesis pools from ``build`` (a pool of 0..``n_max`` items, 1–5 labels, 1–4 members,
    none, some or most cells known), with ``more`` strategies for its other arguments."""
    return st.builds(
        build,
        seed=st.integers(0, 2**31),
        n=st.integers(0, n_max),
        n_labels=st.integers(1, 5),
        members=st.integers(1, 4),
        known_frac=st.sampled_from([0.0, 0.3, 0.9]),
        **more,
    )


def fast(examples: int = 40) -> Any:
    """Hypothesis settings for policy properties: no deadline (a first call compiles kernels)."""
    return settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
