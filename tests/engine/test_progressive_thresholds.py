"""``thresholds progressive`` (the default) end to end on a slice of the catalogue: item rounds
cut on the previous model's probabilities for the round's new items; cell rounds, whose cells
are the uncertain ones, keep the expected cut; round 0 has no previous model."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from engine_specs import run_spec, write_spec

from alframe.models.thresholds import FRESH_GRID, add_counts, progressive_threshold


def _train_records(out: Path) -> list[dict]:  # type: ignore[type-arg]
    with sqlite3.connect(out / "run.db") as c:
        return [json.loads(t) for (t,) in c.execute("SELECT train FROM rounds WHERE status = 'complete' ORDER BY round")]


@pytest.mark.parametrize(("unit", "fresh_after_round_0"), [("item", 1.0), ("cell", 0.0)])
def test_item_rounds_cut_on_fresh_answers_and_cell_rounds_on_the_expected_f1(
    tmp_path: Path, unit: str, fresh_after_round_0: float
) -> None:
    spec = write_spec(tmp_path / "spec", name=f"prog-{unit}", unit=unit, weighting="imbalance none",
                      extra_query="rounds 3", batch=60 if unit == "item" else 600)
    _, plan, _ = run_spec(spec, tmp_path / "run")
    assert plan.weighting.thresholds == "progressive"  # nothing written: the default
    records = _train_records(tmp_path / "run")
    assert len(records) == 3
    assert records[0]["threshold_fresh"] == 0.0  # round 0: no model before it
    assert [r["threshold_fresh"] for r in records[1:]] == [fresh_after_round_0] * 2
    if unit == "cell":
        assert not any("fresh_tp" in r for r in records)
        return
    # each item round keeps its fresh counts; round 2 cut on rounds 1 and 2 added up
    assert all(len(r["fresh_tp"]) == len(FRESH_GRID) and r["fresh_cells"] > 0 for r in records[1:])
    assert records[2]["threshold"] == pytest.approx(progressive_threshold(add_counts(records[1:3])))
    assert records[2]["threshold"] != pytest.approx(progressive_threshold(add_counts(records[2:3])))
