"""ItemRows: per-cell values kept for the items that have them answer as the dense matrix would."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alframe.rows import ItemRows


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(1, 40),
    n_labels=st.integers(1, 6),
    fill=st.sampled_from([0.0, 1.0]),
    cells=st.lists(st.tuples(st.integers(0, 39), st.integers(0, 5), st.floats(0.001, 1.0)), max_size=60),
    query=st.lists(st.integers(0, 39), max_size=20),
    seed=st.integers(0, 2**31),
)
def test_item_rows_answer_what_the_dense_matrix_answers(
    n: int, n_labels: int, fill: float, cells: list[tuple[int, int, float]], query: list[int], seed: int
) -> None:
    dense = np.full((n, n_labels), fill, dtype=np.float32)
    rows = ItemRows(n, n_labels, fill)
    for i, j, v in cells:
        if i < n and j < n_labels:
            dense[i, j] = v
            rows[i, j] = v
    for i in range(n):
        for j in range(n_labels):
            assert rows[i, j] == dense[i, j]
    idx = np.array([i for i in query if i < n], dtype=np.int64)
    np.testing.assert_array_equal(rows[idx], dense[idx])
    mask = np.random.default_rng(seed).random((n, n_labels)) < 0.3
    np.testing.assert_array_equal(rows[mask], dense[mask])
    touched = sorted({i for i, j, _ in cells if i < n and j < n_labels})
    np.testing.assert_array_equal(rows.items(), touched)


def test_whole_rows_and_growth_keep_earlier_rows() -> None:
    rows = ItemRows(10_000, 3, 0.0)
    items = np.arange(0, 10_000, 7)
    values = np.random.default_rng(1).random((len(items), 3)).astype(np.float32)
    rows.set_rows(items[:5], values[:5])
    rows.set_rows(items, values)  # the first five again, then many new rows (the table grows)
    np.testing.assert_array_equal(rows[items], values)
    np.testing.assert_array_equal(rows[np.array([1, 2, 3])], np.zeros((3, 3), np.float32))
    assert rows.nbytes < 10_000 * 3 * 4  # less than the dense matrix
    with pytest.raises(IndexError):
        rows[np.zeros((3, 3), dtype=bool)]



def test_code_written_against_the_dense_matrix_still_reads_it() -> None:
    """A plugin's ``state.answers >= 0`` or ``np.asarray(state.weights)`` gets the whole matrix."""
    rows = ItemRows(5, 2, -1, np.int8)
    rows[3, 1] = 1
    dense = np.full((5, 2), -1, np.int8)
    dense[3, 1] = 1
    np.testing.assert_array_equal(rows >= 0, dense >= 0)
    np.testing.assert_array_equal(rows == 1, dense == 1)
    np.testing.assert_array_equal(np.asarray(rows), dense)
    np.testing.assert_array_equal(rows[1:4], dense[1:4])
    np.testing.assert_array_equal(rows[[3, 3, 0], [1, 0, 0]], dense[[3, 3, 0], [1, 0, 0]])
    assert rows[3, 1] == 1 and rows[0, 0] == -1 and rows.shape == (5, 2) and len(rows) == 5
