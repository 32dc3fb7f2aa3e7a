"""``thresholds progressive`` (the default) end to end on a slice of the catalogue: item rounds
cut on the previous model's probabilities for the round's new items; cell rounds, whose cells
are the uncertain ones, keep the expected cut; round 0 has no previous model."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from engine_specs import run_spec, write_spec

from alframe.models.thresholds import FRESH_GRID, add_counts, progressive_threshold
from alframe.plan import Plan
from alframe.state import RunState


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
        _check_the_reserve(tmp_path / "run", plan)
        return
    # each item round keeps its fresh counts; round 2 cut on rounds 1 and 2 added up
    assert all(len(r["fresh_tp"]) == len(FRESH_GRID) and r["fresh_cells"] > 0 for r in records[1:])
    assert records[2]["threshold"] == pytest.approx(progressive_threshold(add_counts(records[1:3])))
    assert records[2]["threshold"] != pytest.approx(progressive_threshold(add_counts(records[2:3])))


def _check_the_reserve(out: Path, plan: Plan) -> None:
    """A cell run keeps 5 % of its pool unasked, drawn among the items the seed round did not
    ask, the same items for the same run seed, and its expected cut is taken over them."""
    from alframe.data.dataset import Dataset
    from alframe.plugins import load
    from alframe.record.store import RunStore

    dataset: Dataset = load(autoload=False).pm.hook.alframe_load_data(plan=plan)
    store = RunStore.open(out / "run.db")

    def state(p: Plan, rnd: int = 1) -> RunState:
        return RunState(plan=p, plugins=None, dataset=dataset, store=store, run_dir=out, round=rnd,  # type: ignore[arg-type]
                        bundle=None, policy=None, seed_policy=None, oracle=None)  # type: ignore[arg-type]  # the reserve reads none of them

    reserve = state(plan).reserve()
    assert len(reserve) == int(np.ceil(0.05 * len(dataset.pool_idx))) and np.isin(reserve, dataset.pool_idx).all()
    assert np.array_equal(reserve, state(plan).reserve())
    with sqlite3.connect(out / "run.db") as c:
        asked = {row[0] for row in c.execute("SELECT DISTINCT item FROM answers")}
        seeded = {row[0] for row in c.execute("SELECT DISTINCT item FROM queries WHERE round = 0")}
    assert seeded and asked and not asked & {dataset.ids[i] for i in reserve.tolist()}
    item_plan = replace(plan, query=replace(plan.query, unit="item"))
    assert state(item_plan).reserve().size == 0
    expected = replace(plan, weighting=replace(plan.weighting, thresholds="expected"))
    assert state(expected).reserve().size == 0
    store.close()


def test_a_cell_runs_seed_set_is_the_item_runs_seed_set(tmp_path: Path) -> None:
    """The reserve is drawn after the seed, so a cell run's seed round asks every label of the
    very items an item run with the same run seed asks first: both start from the same model."""

    def seed_items(unit: str, seed_size: int) -> tuple[set[str], int]:
        spec = write_spec(tmp_path / unit, name=f"seed-{unit}", unit=unit, weighting="imbalance none",
                          extra_query="rounds 1", seed_size=seed_size)
        run_spec(spec, tmp_path / f"run-{unit}")
        with sqlite3.connect(tmp_path / f"run-{unit}" / "run.db") as c:
            items = {row[0] for row in c.execute("SELECT DISTINCT item FROM queries WHERE round = 0")}
            (labels,) = c.execute("SELECT COUNT(DISTINCT label) FROM queries WHERE round = 0").fetchone()
        return items, int(labels)

    by_item, n_labels = seed_items("item", 30)
    by_cell, _ = seed_items("cell", 30 * n_labels)
    assert len(by_item) == 30 and by_cell == by_item
