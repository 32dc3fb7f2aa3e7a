"""The cost model in a real run: each round's cost (``cost { item … cell … }``) in the round's
record, ``metrics.csv``, a resumed run's history, ``alframe status --json`` and the report,
checked against numbers worked out by hand from the rounds' answers and items."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

import pytest
from engine_specs import run_spec, write_spec

from alframe import open_run
from alframe.cli.status import run_status, status_lines
from alframe.engine import Observer


class Records(Observer):
    def __init__(self) -> None:
        self.records: list = []

    def round_finished(self, state, record) -> None:  # type: ignore[no-untyped-def]
        self.records.append(record)


def priced_spec(folder: Path, cost: str, **kw: object) -> Path:
    spec = write_spec(folder, policy="random", extra_query="rounds 3", **kw)
    spec.write_text(spec.read_text() + cost + "\n")
    return spec


def csv_rows(out: Path) -> list[dict[str, str]]:
    with open(out / "metrics.csv", newline="") as f:
        return list(csv.DictReader(f))


def test_item_queries_cost_one_per_item_and_one_per_cell(tmp_path: Path) -> None:
    """Unit item, item 1 and cell 1: round r has 30(r+1) items of L labels each, so its cost
    is 30(r+1) × (L + 1)."""
    spec = priced_spec(tmp_path / "spec", "cost { item 1  cell 1 }")
    seen = Records()
    summary, plan, _ = run_spec(spec, tmp_path / "run", observer=seen)
    assert [r.items_touched for r in seen.records] == [30, 60, 90]
    n_labels = seen.records[0].labels_used // 30
    assert n_labels > 1 and all(r.labels_used == r.items_touched * n_labels for r in seen.records)
    expected = [30 * (r + 1) * (n_labels + 1) for r in range(3)]
    assert [r.cost for r in seen.records] == expected
    assert summary.cost == expected[-1]
    assert [float(row["cost"]) for row in csv_rows(tmp_path / "run")] == expected
    with open_run(tmp_path / "run") as run:
        assert [float(c) for c in run.rounds["cost"]] == expected
    info = run_status(tmp_path / "run")
    assert info["cost"] == expected[-1] and info["cost_model"] == {"item": 1.0, "cell": 1.0}
    assert any(f"items; cost {expected[-1]:,} (item 1, cell 1); budget" in line for line in status_lines(info))


def test_cell_queries_pay_each_item_once(tmp_path: Path) -> None:
    """Unit cell, item 1 and cell 0.1: a round's cost is 0.1 × answered cells + the items
    with any answered cell, counted from the answers table itself."""
    spec = priced_spec(tmp_path / "spec", "cost { item 1  cell 0.1 }", unit="cell", seed_size=60, batch=60)
    seen = Records()
    run_spec(spec, tmp_path / "run", observer=seen)
    with sqlite3.connect(tmp_path / "run" / "run.db") as c:
        answers = c.execute("SELECT item, label, round FROM answers").fetchall()
    for record in seen.records:
        upto = {(i, lab) for i, lab, rnd in answers if rnd <= record.round}
        items = {i for i, _ in upto}
        assert record.labels_used == len(upto) == 60 * (record.round + 1)
        assert record.items_touched == len(items)
        assert record.cost == pytest.approx(len(items) + 0.1 * len(upto))
    # scattered cells touch more items than whole-item queries would for the same answers
    assert seen.records[-1].items_touched > seen.records[-1].labels_used // 10
    rows = csv_rows(tmp_path / "run")
    assert [float(r["cost"]) for r in rows] == pytest.approx([r.cost for r in seen.records])
    assert all(len(r["cost"]) <= 12 for r in rows)  # 0.1 × n written as such, not 0.30000000000000004


def test_a_resumed_run_prices_its_stored_rounds(tmp_path: Path) -> None:
    spec = priced_spec(tmp_path / "spec", "cost { item 2  cell 0.5 }")
    first, _, _ = run_spec(spec, tmp_path / "run")
    again, _, _ = run_spec(spec, tmp_path / "run")  # finished: the rounds come from run.db
    assert [r.resumed for r in again.history] == [True] * 3
    assert [r.cost for r in again.history] == [2 * r.items_touched + 0.5 * r.labels_used for r in first.history]
    assert again.cost == first.cost


def test_without_a_cost_block_the_cost_is_the_answers(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec", policy="random", extra_query="rounds 2")
    seen = Records()
    summary, plan, _ = run_spec(spec, tmp_path / "run", observer=seen)
    assert plan.cost.is_default
    assert [r.cost for r in seen.records] == [r.labels_used for r in seen.records]
    assert [row["cost"] for row in csv_rows(tmp_path / "run")] == [str(r.labels_used) for r in seen.records]
    info = run_status(tmp_path / "run")
    assert info["cost"] == info["answers"]
    assert not any("items; cost" in line for line in status_lines(info))  # nothing new to say
    assert json.loads(json.dumps(info))["cost_model"] == {"item": 0.0, "cell": 1.0}
