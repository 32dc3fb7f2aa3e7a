"""Labels-to-target in cost (``cost { item … cell … }``): the same first round as the answers
to target, priced by the run's cost model, in the analysis, the table, its CSV records and the
report's summary; worked out by hand from hand-made runs."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest
from experiment_plans import small_plan
from report_runs import make_experiment

from alframe.plan import Call, CostPlan
from alframe.report.analysis import Target, analyse
from alframe.report.complexity import labels_to_target, spent_to_target
from alframe.report.read import load_collection
from alframe.report.tables import label_complexity_table

RANDOM = Call("random")
UNC = Call("uncertainty")
KEY = "micro_f1@0.5"
# make_run stores labels // 3 items touched with each round: 3, 6, 10 for 10, 20, 30 answers
SETTINGS = {
    "random": (RANDOM, [[(10, 0.2), (20, 0.4), (30, 0.5)]]),
    "uncertainty": (UNC, [[(10, 0.2), (20, 0.5), (30, 0.6)]]),
}


def test_spent_to_target_reads_the_same_round_on_another_axis() -> None:
    values = [0.1, 0.4, 0.6, 0.7]
    assert labels_to_target([10, 20, 30, 40], values, 0.5) == 30
    assert spent_to_target([4.5, 9.0, 13.5, 18.0], values, 0.5) == 13.5
    assert spent_to_target([4.5, 9.0, 13.5, 18.0], values, 0.8) is None
    with pytest.raises(ValueError):
        spent_to_target([1.0], values, 0.5)


def test_cost_to_target_and_its_saving(tmp_path: Path) -> None:
    base = replace(small_plan("exp"), cost=CostPlan(item=1.0, cell=0.1))
    make_experiment(tmp_path / "exp", base, SETTINGS)
    a = analyse(load_collection(tmp_path / "exp"), [Target("micro_f1", 0.5)])
    rnd, unc = a.setting("random"), a.setting("uncertainty")
    assert a.priced
    # random reaches 0.5 at 30 answers on 10 items: 10 × 1 + 30 × 0.1 = 13
    # uncertainty at 20 answers on 6 items: 6 × 1 + 20 × 0.1 = 8
    assert rnd.labels_to[KEY] == [30] and unc.labels_to[KEY] == [20]
    assert rnd.cost_to[KEY] == [pytest.approx(13.0)] and unc.cost_to[KEY] == [pytest.approx(8.0)]
    assert unc.saving[KEY].mean == pytest.approx(1.5)
    assert unc.saving_cost[KEY].mean == pytest.approx(13 / 8)
    t = label_complexity_table(a)
    assert t.columns[1:5] == ["answers to micro_f1 ≥ 0.5", "saving vs random",
                              "cost to micro_f1 ≥ 0.5", "cost saving vs random"]
    rows = {r[0]: r for r in t.rows}
    assert rows["random"][1:5] == ["30", "1.00×", "13", "1.00×"]
    assert rows["uncertainty"][1:5] == ["20", "1.50×", "8", "1.62×"]
    rec = next(r for r in t.records if r["setting"] == "uncertainty")
    assert rec["cost_mean"] == pytest.approx(8.0) and rec["cost_repeat_1"] == pytest.approx(8.0)
    assert rec["saving_cost_mean"] == pytest.approx(13 / 8)
    assert any(n.startswith("Cost to target:") for n in t.notes)


def test_cells_scattered_over_items_cost_more(tmp_path: Path) -> None:
    """The same answers curve, but cell queries that touched every item: fewer answers can
    still be the dearer way to the target once reading an item costs something."""
    base = replace(small_plan("exp"), cost=CostPlan(item=1.0, cell=0.1))
    exp = make_experiment(tmp_path / "exp", base, SETTINGS)
    cells = next(v for v in exp.variants if v.setting == "uncertainty")
    with sqlite3.connect(tmp_path / "exp" / cells.name / "run.db") as c:
        c.execute("UPDATE rounds SET items = labels")  # one item per answered cell
    a = analyse(load_collection(tmp_path / "exp"), [Target("micro_f1", 0.5)])
    unc = a.setting("uncertainty")
    assert unc.labels_to[KEY] == [20] and unc.saving[KEY].mean == pytest.approx(1.5)
    assert unc.cost_to[KEY] == [pytest.approx(20 + 2.0)]  # 20 items read, 20 answers
    assert unc.saving_cost[KEY].mean == pytest.approx(13 / 22)  # below 1: it costs more than random


def test_without_a_cost_model_the_cost_is_the_answers(tmp_path: Path) -> None:
    make_experiment(tmp_path / "exp", small_plan("exp"), SETTINGS)
    a = analyse(load_collection(tmp_path / "exp"), [Target("micro_f1", 0.5)])
    assert not a.priced
    unc = a.setting("uncertainty")
    assert unc.cost_to[KEY] == [20.0] and unc.saving_cost[KEY].mean == unc.saving[KEY].mean
    t = label_complexity_table(a)
    assert not any(c.startswith("cost") for c in t.columns)  # no second copy of the answers
    assert not any(n.startswith("Cost to target:") for n in t.notes)


def test_runs_priced_differently_are_said_not_to_compare(tmp_path: Path) -> None:
    base = small_plan("exp")
    exp = make_experiment(tmp_path / "exp", base, SETTINGS)
    import json

    v = next(v for v in exp.variants if v.setting == "uncertainty")
    db = tmp_path / "exp" / v.name / "run.db"
    with sqlite3.connect(db) as c:
        plan = json.loads(c.execute("SELECT value FROM meta WHERE key = 'plan'").fetchone()[0])
        plan["cost"] = {"item": 1.0, "cell": 0.1}
        c.execute("UPDATE meta SET value = ? WHERE key = 'plan'", (json.dumps(plan),))
    a = analyse(load_collection(tmp_path / "exp"), [Target("micro_f1", 0.5)])
    assert a.priced
    note = next(n for n in a.notes if n.startswith("Cost to target:"))
    assert "different cost models (item 0, cell 1; item 1, cell 0.1)" in note
