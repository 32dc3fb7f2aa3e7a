"""A small real Dataset for oracle tests (built directly, as the loader would)."""

from __future__ import annotations

import numpy as np

from alframe.data.dataset import Dataset


def small_dataset(n: int = 6, labels: tuple[str, ...] = ("outdoor", "kids", "garden")) -> Dataset:
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 2, size=(n, len(labels))).astype(np.int8)  # [n, L]
    truth[0, 0] = -1  # a cell the data set does not know
    return Dataset(
        path="products.jsonl",
        ids=[f"sku-{i:03d}" for i in range(n)],
        texts=[f"product {i} | [bold]a tent[/bold] for {i} people" for i in range(n)],
        numeric=None,
        numeric_names=[],
        labels=truth,
        label_names=list(labels),
        test_idx=np.zeros(0, dtype=np.int64),
        pool_idx=np.arange(n, dtype=np.int64),
        fingerprint="test",
        warnings=[],
    )


def big_dataset(n: int, n_labels: int, seed: int = 0) -> Dataset:
    ds = small_dataset(n, tuple(f"label{j}" for j in range(n_labels)))
    ds.labels = np.random.default_rng(seed).integers(0, 2, size=(n, n_labels)).astype(np.int8)
    return ds
