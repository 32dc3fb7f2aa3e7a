"""Features of every item, computed once per run and gathered per batch with tensor ops.

An encoder turns the data set into a :class:`FeatureSource` once (hashing 30k texts takes about
a second; doing it per round or per batch would dominate a round). Batches are then gathered
from pre-collated tensors by index, with no per-item Python: that keeps the per-step overhead
of training small next to the arithmetic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch

from alframe.errors import DataError


class FeatureSource(Protocol):
    """What an encoder's ``featurize`` returns: a batch of model inputs by item index."""

    n_items: int

    def batch(self, idx: torch.Tensor) -> dict[str, torch.Tensor]:
        """Inputs of the items ``idx`` (int64 [B]) as a dict of CPU tensors."""
        ...


@dataclass
class Features:
    """Hashed n-gram bags (CSR, with a weight per entry) and/or standardised numeric fields.

    ``bag_weights`` (float32 [nnz]) are the per-entry weights of the bag's weighted sum (TF-IDF
    or 1/len); ``None`` means a plain mean.
    """

    n_items: int
    bag_values: torch.Tensor | None = None  # int64 [nnz] bucket ids, item after item
    bag_offsets: torch.Tensor | None = None  # int64 [n_items + 1]
    numeric: torch.Tensor | None = None  # float32 [n_items, d]
    bag_weights: torch.Tensor | None = None  # float32 [nnz]

    def batch(self, idx: torch.Tensor) -> dict[str, torch.Tensor]:
        out: dict[str, torch.Tensor] = {}
        if self.bag_values is not None and self.bag_offsets is not None:
            pos, out["bag_offsets"] = bag_positions(self.bag_offsets, idx)
            out["bag_values"] = self.bag_values.index_select(0, pos)
            if self.bag_weights is not None:
                out["bag_weights"] = self.bag_weights.index_select(0, pos)
        if self.numeric is not None:
            out["numeric"] = self.numeric.index_select(0, idx)  # [B, d]
        return out


def gather_bags(
    values: torch.Tensor, offsets: torch.Tensor, idx: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    """The bags of items ``idx`` as an ``EmbeddingBag`` input: (values [nnz_b], starts [B])."""
    pos, new_starts = bag_positions(offsets, idx)
    return values.index_select(0, pos), new_starts


def bag_positions(offsets: torch.Tensor, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Where the entries of items ``idx`` lie in the CSR arrays (int64 [nnz_b]), and the
    start of each item's bag in the gathered batch (int64 [B])."""
    starts = offsets.index_select(0, idx)  # [B]
    lens = offsets.index_select(0, idx + 1) - starts  # [B]
    total = int(lens.sum())
    new_starts = torch.cumsum(lens, 0) - lens  # [B] exclusive prefix sum
    shift = torch.repeat_interleave(starts - new_starts, lens, output_size=total)  # [nnz_b]
    pos = shift + torch.arange(total, dtype=torch.int64)
    return pos, new_starts


def standardise(x: np.ndarray, rows: np.ndarray, names: list[str], path: str) -> torch.Tensor:
    """Numeric fields scaled to mean 0, sd 1 using statistics of ``rows`` (the pool).

    A constant column becomes all zeros. Non-finite values are a data error naming the field,
    since one NaN would turn every loss and prediction into NaN.
    """
    x = np.asarray(x, dtype=np.float64)
    bad = ~np.isfinite(x)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        name = names[col] if col < len(names) else str(col)
        raise DataError(
            f"numeric field holds a non-finite value ({x[row, col]})",
            path=path,
            row=int(row),
            field=name,
            code="D211",
        )
    ref = x[rows] if len(rows) else x
    mean = ref.mean(axis=0) if len(ref) else np.zeros(x.shape[1])
    sd = ref.std(axis=0) if len(ref) else np.ones(x.shape[1])
    sd = np.where(sd > 1e-12, sd, 1.0)
    return torch.from_numpy(((x - mean) / sd).astype(np.float32))
