"""The loaded data set: items, their features' raw inputs, and the hidden label matrix.

One straight path: a reader (csv/jsonl/parquet) yields rows, ``load_dataset`` turns them into a
:class:`Dataset`. Items are kept in **id order** (sorted by id string) so that "break ties by
item id" is "break ties by index" everywhere downstream.

Label cells are int8: 1 positive, 0 negative, -1 unknown (a blank is never read as 0). For a
simulated oracle the matrix is the hidden truth; for real annotation it holds whatever labels
the data already had.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

UNKNOWN = -1


@dataclass
class Dataset:
    path: str
    ids: list[str]  # [n] item ids, sorted
    texts: list[str]  # [n] the text fields joined with " | " ("" when no text field)
    numeric: np.ndarray | None  # float32 [n, d] numeric/vector fields, or None
    numeric_names: list[str]  # [d] column names of `numeric`
    labels: np.ndarray  # int8 [n, L]: 1, 0, or UNKNOWN (-1)
    label_names: list[str]  # [L]
    test_idx: np.ndarray  # int64 [n_test] indices of the test split (never queried)
    pool_idx: np.ndarray  # int64 [n_pool] indices available for labelling
    fingerprint: str  # hash of the file's bytes and the label space (resume refuses on change)
    warnings: list[str]
    #: what the run will work with, said as it starts: the label space (kept, dropped and why),
    #: items in the pool and the test split and how many are labelled
    notes: list[str] = field(default_factory=list)

    @property
    def n_items(self) -> int:
        return len(self.ids)

    @property
    def n_labels(self) -> int:
        return len(self.label_names)

    def index_of(self, item_id: str) -> int:
        """Index of an item id. KeyError when absent.

        The id → index map is built once, on first use: the engine maps every stored answer
        and every asked question back to its row.
        """
        index = self.__dict__.get("_index")
        if index is None:
            index = {item: i for i, item in enumerate(self.ids)}
            self.__dict__["_index"] = index
        return index[item_id]

    def label_index(self, name: str) -> int:
        """Index of a label name. KeyError when absent."""
        index = self.__dict__.get("_label_index")
        if index is None:
            index = {label: j for j, label in enumerate(self.label_names)}
            self.__dict__["_label_index"] = index
        return index[name]
