"""Parquet: the same catalogue rows read from a Parquet file give the same data set."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from catalogue_fixtures import JSONL, data_plan, tags_plan

from alframe.data.load import load_dataset

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")


def test_parquet_reads_like_jsonl(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in JSONL.read_text(encoding="utf-8").splitlines() if line.strip()]
    table = pa.Table.from_pylist(rows)  # tags become a list<string> column
    path = tmp_path / "packages.parquet"
    pq.write_table(table, path)

    from_parquet = load_dataset(data_plan(path), tags_plan())
    from_jsonl = load_dataset(data_plan(JSONL), tags_plan())
    assert from_parquet.ids == from_jsonl.ids
    assert from_parquet.texts == from_jsonl.texts
    assert from_parquet.label_names == from_jsonl.label_names
    assert np.array_equal(from_parquet.labels, from_jsonl.labels)
    assert np.allclose(from_parquet.numeric, from_jsonl.numeric)


def test_a_parquet_null_in_a_numeric_field_names_the_row(tmp_path: Path) -> None:
    from alframe.errors import DataError

    rows = [json.loads(line) for line in JSONL.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows[4]["n_depends"] = None
    path = tmp_path / "packages.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path)
    with pytest.raises(DataError) as err:
        load_dataset(data_plan(path), tags_plan())
    assert err.value.field == "n_depends" and err.value.row is not None
