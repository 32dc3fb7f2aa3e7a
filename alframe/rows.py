"""Per-cell values kept only for the items that have them: :class:`ItemRows`.

A run's answers, query probabilities and loss weights mean something only on answered cells,
and a run answers a few thousand items of a pool that may hold millions. As dense
``[n_items, n_labels]`` matrices they took 11.8 GB at 10^7 items × 131 labels (answers int8,
the other two float32) while holding a few MB of information; :class:`ItemRows` keeps one
``[L]`` row per item that has a value and answers the same indexing the dense matrix did (a
cell, a list of items, a slice, pairs of rows and columns, a boolean cell mask) with the fill
value everywhere else, so readers written against the matrix keep working.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class ItemRows:
    """``[n_items, n_labels]`` values of one dtype, stored as rows for the items that have one.

    ``rows[i, j]`` is one cell (the fill where item ``i`` has no row), ``rows[idx]`` the
    ``[len(idx), L]`` rows of an int array (or a slice) of items, ``rows[items, labels]`` the
    cells of paired int arrays, ``rows[mask]`` the values under a boolean ``[n_items, L]``
    mask in row-major order, as NumPy would give them. ``rows[i, j] = v`` sets a cell,
    ``rows.set_rows(items, values)`` whole rows. Memory: ``L`` values per item with a row, plus
    4 bytes per item for the item → row map. :meth:`stored` reads only the rows that exist
    (counting answers over a pool of 10^7 items reads a few thousand rows).
    """

    def __init__(self, n_items: int, n_labels: int, fill: float, dtype: Any = np.float32) -> None:
        self.shape = (int(n_items), int(n_labels))
        self.dtype = np.dtype(dtype)
        self.fill = self.dtype.type(fill)
        self._row: np.ndarray = np.full(self.shape[0], -1, dtype=np.int64 if n_items >= 2**31 else np.int32)  # [n]
        self._values = np.empty((0, self.shape[1]), dtype=self.dtype)  # [capacity, L]
        self._used = 0

    def items(self) -> np.ndarray:
        """int64: the items with a row, ascending."""
        return np.flatnonzero(self._row >= 0).astype(np.int64)

    def stored(self) -> tuple[np.ndarray, np.ndarray]:
        """The items with a row (int64, ascending) and their rows ``[m, L]`` (a copy)."""
        items = self.items()
        return items, self._values[self._row[items]]

    def to_dense(self) -> np.ndarray:
        """The whole ``[n_items, n_labels]`` matrix (pool-sized: for small pools and tests)."""
        out = np.full(self.shape, self.fill, dtype=self.dtype)
        items, values = self.stored()
        out[items] = values
        return out

    def empty_like(self) -> ItemRows:
        """The same shape, dtype and fill, no rows."""
        return ItemRows(self.shape[0], self.shape[1], self.fill, self.dtype)

    @property
    def nbytes(self) -> int:
        return int(self._row.nbytes + self._values.nbytes)

    def __len__(self) -> int:
        return self.shape[0]

    def _rows_for(self, items: np.ndarray) -> np.ndarray:
        """Row positions of ``items`` (int64, any order, no repeats needed), made where missing."""
        rows = self._row[items].astype(np.int64)
        new = np.unique(items[rows < 0])
        if len(new):
            need = self._used + len(new)
            if need > len(self._values):  # grow geometrically: amortised O(1) a row
                grown = np.empty((max(need, 2 * len(self._values), 64), self.shape[1]), dtype=self.dtype)
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
        values = np.asarray(values, dtype=self.dtype).reshape(len(items), self.shape[1])
        rows = self._rows_for(items)  # first: it may grow the table
        self._values[rows] = values

    def _gather(self, idx: np.ndarray) -> np.ndarray:
        out = np.full((len(idx), self.shape[1]), self.fill, dtype=self.dtype)
        rows = self._row[idx]
        have = rows >= 0
        out[have] = self._values[rows[have]]
        return out

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, tuple):
            i, j = key
            if np.ndim(i) == 0 and np.ndim(j) == 0:
                r = int(self._row[int(i)])
                return self._values[r, j] if r >= 0 else self.fill
            i = np.asarray(i, dtype=np.int64).reshape(-1)
            return self._gather(i)[np.arange(len(i)), np.asarray(j, dtype=np.int64).reshape(-1)]
        if isinstance(key, slice):
            return self._gather(np.arange(self.shape[0])[key])
        if np.ndim(key) == 0:
            return self._gather(np.array([int(key)]))[0]
        key = np.asarray(key)
        if key.dtype == bool:
            if key.shape != self.shape:
                raise IndexError(f"a boolean mask of shape {key.shape} for values of shape {self.shape}")
            hit = np.flatnonzero(key.any(axis=1))
            return self._gather(hit)[key[hit]]
        return self._gather(key.astype(np.int64).reshape(-1))

    def __setitem__(self, key: tuple[int, int], value: Any) -> None:
        i, j = key
        row = self._rows_for(np.array([int(i)], dtype=np.int64))[0]  # first: it may grow the table
        self._values[row, j] = value

    # Comparisons and ``np.asarray`` give what the dense matrix would: a pool-sized array, for
    # code written against the matrix (a plugin's ``state.answers >= 0``). The built-in stages
    # read rows instead (:meth:`stored`, row gathers).
    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        dense = self.to_dense()
        return dense if dtype is None else dense.astype(dtype)

    def __ge__(self, other: Any) -> Any:
        return self.to_dense() >= other

    def __gt__(self, other: Any) -> Any:
        return self.to_dense() > other

    def __le__(self, other: Any) -> Any:
        return self.to_dense() <= other

    def __lt__(self, other: Any) -> Any:
        return self.to_dense() < other

    def __eq__(self, other: Any) -> Any:
        return self.to_dense() == other

    def __ne__(self, other: Any) -> Any:
        return self.to_dense() != other

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ItemRows(shape={self.shape}, dtype={self.dtype}, rows={self._used}, fill={self.fill!r})"
