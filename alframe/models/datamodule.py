"""The labelled set of one round as pre-collated tensors, served a whole batch at a time.

A ``DataLoader`` that fetches items one by one and collates them costs tens of microseconds per
item in Python; at a few thousand labelled items and a few dozen steps per epoch that would
rival the arithmetic. Here the sampler yields a tensor of row numbers per batch and the data set
gathers the whole batch with index operations (``batch_size=None``: no collation). The
sampler's order comes from its own seeded generator, so shuffling is the same on every run and
leaves the global random state alone. Under a distributed strategy Lightning wraps the sampler
and deals whole batches to the ranks.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import DataLoader, Sampler
from torch.utils.data import Dataset as TorchDataset

from alframe.models.features import FeatureSource


class BatchRowSampler(Sampler[torch.Tensor]):
    """Row numbers of each batch (int64 tensors), reshuffled on every pass when asked."""

    def __init__(self, n_rows: int, batch_size: int, shuffle: bool, seed: int = 0) -> None:
        self.n_rows, self.batch_size, self.shuffle = n_rows, max(int(batch_size), 1), shuffle
        self.generator = torch.Generator().manual_seed(int(seed))

    def __iter__(self) -> Iterator[torch.Tensor]:
        if self.shuffle:
            order = torch.randperm(self.n_rows, generator=self.generator)
        else:
            order = torch.arange(self.n_rows)
        yield from order.split(self.batch_size)

    def __len__(self) -> int:
        return math.ceil(self.n_rows / self.batch_size)


class LabelledRows(TorchDataset):
    """Row r: item ``items[r]``'s features, its targets, cell weights and member multiplicities."""

    def __init__(
        self,
        features: FeatureSource,
        items: np.ndarray,  # int64 [m] dataset indices
        targets: np.ndarray,  # int8 [m, L]
        weights: np.ndarray,  # float32 [m, L]
        mult: np.ndarray | None,  # float32 [m, K], or None (validation: every member once)
    ) -> None:
        self.features = features
        self.items = torch.as_tensor(np.ascontiguousarray(items, dtype=np.int64))
        self.targets = torch.as_tensor(np.ascontiguousarray(targets, dtype=np.int8))
        self.weights = torch.as_tensor(np.ascontiguousarray(weights, dtype=np.float32))
        self.mult = None if mult is None else torch.as_tensor(np.ascontiguousarray(mult, dtype=np.float32))

    def __len__(self) -> int:
        return int(self.items.shape[0])

    def __getitem__(self, rows: torch.Tensor) -> dict[str, torch.Tensor]:
        batch = self.features.batch(self.items.index_select(0, rows))
        batch["targets"] = self.targets.index_select(0, rows)  # int8 [B, L]
        batch["weights"] = self.weights.index_select(0, rows)  # float32 [B, L]
        if self.mult is not None:
            batch["mult"] = self.mult.index_select(0, rows)  # float32 [B, K]
        return batch


@dataclass
class RoundData:
    """The loaders of one round: training rows and (maybe empty) held-out rows."""

    train: LabelledRows
    holdout: LabelledRows | None
    batch_size: int
    seed: int

    def train_loader(self) -> DataLoader:
        sampler = BatchRowSampler(len(self.train), self.batch_size, shuffle=True, seed=self.seed)
        return DataLoader(self.train, sampler=sampler, batch_size=None, num_workers=0)

    def holdout_loader(self) -> DataLoader | None:
        if self.holdout is None or len(self.holdout) == 0:
            return None
        sampler = BatchRowSampler(len(self.holdout), max(self.batch_size, 1024), shuffle=False)
        return DataLoader(self.holdout, sampler=sampler, batch_size=None, num_workers=0)


def split_holdout(
    n: int, fraction: float, min_items: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """(train rows, held-out rows) of n labelled items; nothing held out below ``min_items``."""
    if n < min_items or fraction <= 0:
        return np.arange(n), np.zeros(0, dtype=np.int64)
    n_out = max(1, int(round(n * fraction)))
    perm = rng.permutation(n)
    return np.sort(perm[n_out:]), np.sort(perm[:n_out])
