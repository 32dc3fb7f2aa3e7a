"""Per-cell values kept only for the items that have them: :class:`ItemRows`.

A run's query probabilities and loss weights mean something only on answered cells, and a run
answers a few thousand items of a pool that may hold millions. As dense ``[n_items, n_labels]``
float32 matrices they took 5.2 GB each at 10^7 items × 131 labels while holding a few MB of
information; :class:`ItemRows` keeps one ``[L]`` row per item that has a value and answers the
same indexing the dense matrix did (a cell, a list of items, a boolean cell mask) with the fill
value everywhere else, so readers written against the matrix keep working.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class ItemRows:
    """float32 ``[n_items, n_labels]`` values, stored as rows for the items that have one set.

    ``rows[i, j]`` is one cell (the fill where item ``i`` has no row), ``rows[idx]`` the
    ``[len(idx), L]`` rows of an int array of items, ``rows[mask]`` the values under a boolean
    ``[n_items, L]`` mask in row-major order, as NumPy would give them. ``rows[i, j] = v`` sets a
    cell, ``rows.set_rows(items, values)`` whole rows. Memory: ``4·L`` bytes per item with a
    row, plus 4 bytes per item for the item → row map.
    """

    def __init__(self, n_items: int, n_labels: int, fill: float) -> None:
        self.shape = (int(n_items), int(n_labels))
        self.fill = np.float32(fill)
        self._row: np.ndarray = np.full(self.shape[0], -1, dtype=np.int64 if n_items >= 2**31 else np.int32)  # [n]
        self._values = np.empty((0, self.shape[1]), dtype=np.float32)  # [capacity, L]
        self._used = 0

    def items(self) -> np.ndarray:
        """int64: the items with a row, ascending."""
        return np.flatnonzero(self._row >= 0).astype(np.int64)

    @property
    def nbytes(self) -> int:
        return int(self._row.nbytes + self._values.nbytes)

    def _rows_for(self, items: np.ndarray) -> np.ndarray:
        """Row positions of ``items`` (int64, any order, no repeats needed), made where missing."""
        rows = self._row[items].astype(np.int64)
        new = np.unique(items[rows < 0])
        if len(new):
            need = self._used + len(new)
            if need > len(self._values):  # grow geometrically: amortised O(1) a row
                grown = np.empty((max(need, 2 * len(self._values), 64), self.shape[1]), dtype=np.float32)
                grown[: self._used] = self._values[: self._used]
                self._values = grown
            self._values[self._used : need] = self.fill
            self._row[new] = np.arange(self._used, need, dtype=self._row.dtype)
            self._used = need
            rows = self._row[items].astype(np.int64)
        return rows

    def set_rows(self, items: np.ndarray, values: np.ndarray) -> None:
        """Whole rows: ``values[k]`` (``[L]``) becomes item ``items[k]``'s row."""
        items = np.asarray(items, dtype=np.int64).reshape(-1)
        values = np.asarray(values, dtype=np.float32).reshape(len(items), self.shape[1])
        rows = self._rows_for(items)  # first: it may grow the table
        self._values[rows] = values

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, tuple):
            i, j = key
            r = int(self._row[i])
            return self._values[r, j] if r >= 0 else self.fill
        key = np.asarray(key)
        if key.dtype == bool:
            if key.shape != self.shape:
                raise IndexError(f"a boolean mask of shape {key.shape} for values of shape {self.shape}")
            hit = np.flatnonzero(key.any(axis=1))
            return self[hit][key[hit]]
        idx = key.astype(np.int64).reshape(-1)
        out = np.full((len(idx), self.shape[1]), self.fill, dtype=np.float32)
        rows = self._row[idx]
        have = rows >= 0
        out[have] = self._values[rows[have]]
        return out

    def __setitem__(self, key: tuple[int, int], value: float) -> None:
        i, j = key
        row = self._rows_for(np.array([int(i)], dtype=np.int64))[0]  # first: it may grow the table
        self._values[row, j] = value

    def __repr__(self) -> str:
        return f"ItemRows(shape={self.shape}, rows={self._used}, fill={float(self.fill)})"
