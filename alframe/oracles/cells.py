"""Checks every oracle makes on the cells it is asked (the engine's side of the contract)."""

from __future__ import annotations

import numpy as np

from alframe.data.dataset import Dataset
from alframe.errors import PluginError


def as_cells(dataset: Dataset, items: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``items``/``labels`` as int64 ``[m]`` arrays, refusing indices outside the data set.

    An item query (label -1) must be expanded into its cells before an oracle sees it: an
    answer is always for one (item, label) cell.
    """
    items = np.asarray(items, dtype=np.int64)
    labels = np.asarray(labels, dtype=np.int64)
    if items.ndim != 1 or items.shape != labels.shape:
        raise _error(f"cells need items and labels of one length, got shapes {items.shape} and {labels.shape}")
    if len(items) and (items.min() < 0 or items.max() >= dataset.n_items):
        raise _error(f"item index outside 0..{dataset.n_items - 1}")
    if len(labels) and (labels.min() < 0 or labels.max() >= dataset.n_labels):
        raise _error(f"label index outside 0..{dataset.n_labels - 1} (expand item queries to cells first)")
    return items, labels


def _error(message: str) -> PluginError:
    return PluginError(message, hook="alframe_annotate")
