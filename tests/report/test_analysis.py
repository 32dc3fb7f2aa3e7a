from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from experiment_plans import small_plan
from report_runs import make_experiment, make_run

from alframe.errors import RunError
from alframe.plan import Call
from alframe.report.analysis import Target, analyse, paired_reference, parse_target
from alframe.report.read import load_collection
from alframe.report.tables import NONE, NOT_REACHED, imbalance_table, label_complexity_table, time_table

RANDOM = Call("random")
UNC = Call("uncertainty")
IWAL = Call("iwal")


def _exp(tmp_path: Path, **kw):
    settings = {
        "random": (RANDOM, [[(10, 0.2), (20, 0.4), (30, 0.5), (40, 0.6)],
                            [(10, 0.2), (20, 0.3), (30, 0.5), (40, 0.62)]]),
        "uncertainty": (UNC, [[(10, 0.2), (20, 0.5), (30, 0.6), (40, 0.7)],
                              [(10, 0.2), (20, 0.45), (30, 0.6), (40, 0.7)]]),
        "iwal": (IWAL, [[(10, 0.1), (20, 0.2), (30, 0.3), (40, 0.4)],
                        [(10, 0.1), (20, 0.2), (30, 0.3), (40, 0.59)]]),
    }
    return make_experiment(tmp_path / "exp", small_plan("exp"), settings, **kw)


def test_labels_to_target_saving_and_not_reached(tmp_path: Path) -> None:
    _exp(tmp_path)
    a = analyse(load_collection(tmp_path / "exp"), [Target("micro_f1", 0.5), Target("micro_f1", 0.6)])
    key5, key6 = "micro_f1@0.5", "micro_f1@0.6"
    rnd, unc, iw = a.setting("random"), a.setting("uncertainty"), a.setting("iwal")
    assert rnd.labels_to[key5] == [30, 30] and unc.labels_to[key5] == [20, 30]
    assert iw.labels_to[key5] == [None, 40]
    assert iw.labels_to[key6] == [None, None]
    assert (unc.saving[key5].mean, unc.saving[key5].n) == (pytest.approx((30 / 20 + 30 / 30) / 2), 2)
    assert rnd.saving[key5].mean == 1.0 and rnd.baseline == "random"
    assert (iw.saving[key5].mean, iw.saving[key5].n) == (0.75, 1)  # only repeat 2 pairs
    assert iw.saving[key6].mean is None
    t = label_complexity_table(a)
    rows = {r[0]: r for r in t.rows}
    assert rows["iwal"][3] == NOT_REACHED and rows["iwal"][4] == NONE
    assert rows["iwal"][1] == "40 (1/2)"
    assert rows["random"][1] == "30 ± 0"
    assert rows["uncertainty"][2].startswith("1.25×")
    # the fewest labels is highlighted; only complete (every repeat reached) rows compete
    assert 1 in t.best[1] and 1 not in t.best[0] and 1 not in t.best[2]
    assert any(r["setting"] == "iwal" and r["reached"] == 0 for r in t.records)


def test_ties_are_all_best(tmp_path: Path) -> None:
    settings = {
        "random": (RANDOM, [[(10, 0.1), (20, 0.6)]]),
        "uncertainty": (UNC, [[(10, 0.2), (20, 0.6)]]),
    }
    make_experiment(tmp_path / "exp", small_plan("exp"), settings)
    a = analyse(load_collection(tmp_path / "exp"), [Target("micro_f1", 0.5)])
    t = label_complexity_table(a)
    assert t.best == [{1}, {1}]
    assert a.setting("uncertainty").saving["micro_f1@0.5"].mean == 1.0


def test_aulc_final_and_times(tmp_path: Path) -> None:
    _exp(tmp_path)
    a = analyse(load_collection(tmp_path / "exp"), [Target("micro_f1", 0.5)])
    unc = a.setting("uncertainty")
    # repeat 1: trapezoids over 10..40 → (0.35 + 0.55 + 0.65) * 10 / 30
    r1 = (0.35 + 0.55 + 0.65) / 3
    r2 = (0.325 + 0.525 + 0.65) / 3
    assert unc.aulc["micro_f1"].mean == pytest.approx((r1 + r2) / 2)
    assert unc.final["micro_f1"].mean == pytest.approx(0.7)
    assert unc.final["macro_f1"].mean == pytest.approx(0.6)
    assert unc.per_round["train"].mean == pytest.approx(1.0)
    assert unc.per_round["other"].mean == pytest.approx(0.04)  # seed + weight + checkpoint
    assert unc.total_seconds.mean == pytest.approx(4 * 1.41)
    assert unc.labels_per_train_second.mean == pytest.approx(40 / 4.0)
    assert unc.time_vs_baseline.mean == pytest.approx(1.0)
    rows = {r[0]: r for r in time_table(a).rows}
    assert rows["uncertainty"][1] == "1.00 ± 0.00"


def test_rounds_that_did_not_evaluate_are_not_curve_points(tmp_path: Path) -> None:
    plan = small_plan("r")
    make_run(tmp_path / "r", plan, [(10, 0.2), (20, 0.9), (30, 0.6)], evaluated=[True, False, True])
    col = load_collection(tmp_path / "r")
    x, y = col.runs[0].curve("micro_f1")
    assert list(x) == [10, 30] and list(y) == [0.2, 0.6]
    a = analyse(col, [Target("micro_f1", 0.5)])
    assert a.setting("r").labels_to["micro_f1@0.5"] == [30]


def test_default_targets_follow_the_ceiling_or_the_best(tmp_path: Path) -> None:
    _exp(tmp_path, ceiling={"micro_f1": 0.8, "macro_f1": 0.7})
    a = analyse(load_collection(tmp_path / "exp"))
    assert [(t.relative, t.value) for t in a.targets] == [("ceiling", 0.9), ("ceiling", 0.95)]
    assert a.targets[0].absolute == pytest.approx(0.72)
    b = analyse(load_collection(tmp_path / "exp"), [Target("micro_f1", 0.9, "best")])
    assert b.targets[0].absolute == pytest.approx(0.9 * 0.7)  # best final mean: uncertainty's 0.7


def test_ceiling_targets_without_a_ceiling_are_unknown_not_reached(tmp_path: Path) -> None:
    _exp(tmp_path)
    a = analyse(load_collection(tmp_path / "exp"), [Target("micro_f1", 0.9, "ceiling")])
    assert a.targets[0].absolute is None
    assert a.setting("random").labels_to[a.targets[0].key] == [None, None]
    assert any("ceiling" in n for n in a.notes)


def test_stop_rules_of_the_plans_become_targets(tmp_path: Path) -> None:
    from alframe.plan import StopRule

    make_run(tmp_path / "r", small_plan("r", stop=(StopRule("micro_f1", 0.55),)), [(10, 0.2), (20, 0.6)])
    a = analyse(load_collection(tmp_path / "r"))
    assert [t.key for t in a.targets] == ["micro_f1@0.55"]
    assert a.setting("r").labels_to["micro_f1@0.55"] == [20]


def test_imbalance_bands(tmp_path: Path) -> None:
    _exp(tmp_path)
    a = analyse(load_collection(tmp_path / "exp"), [Target("micro_f1", 0.5)])
    t = imbalance_table(a)
    bands = [r[0] for r in t.rows]
    assert bands == ["1–9", "30–99", "300+"]
    assert t.rows[0][2] == "undefined"  # rare: F1 undefined in every setting
    assert t.rows[2][2] == "0.900"
    per = a.setting("random").per_label
    assert per["mid"]["positives_labelled"].mean == 5 and per["rare"]["positives_labelled"].mean == 0  # revised to 0


def test_paired_reference_picks_the_closest_random() -> None:
    base = small_plan().to_dict()

    def plan(policy: str, heads: str) -> dict:
        d = {**base, "query": {**base["query"], "policy": {"name": policy, "args": []}},
             "model": {**base["model"], "heads": {"name": heads, "args": []}}}
        return d

    plans = {"r-j": plan("random", "joint"), "r-i": plan("random", "independent"),
             "u-j": plan("uncertainty", "joint"), "u-i": plan("uncertainty", "independent")}
    ref = paired_reference(plans, lambda p: p["query"]["policy"]["name"] == "random")
    assert ref == {"r-j": "r-j", "r-i": "r-i", "u-j": "r-j", "u-i": "r-i"}
    assert paired_reference({"u": plans["u-j"]}, lambda p: False) == {"u": None}


def test_parse_target() -> None:
    assert parse_target("micro_f1=0.6") == Target("micro_f1", 0.6)
    assert parse_target("macro_f1=0.95:ceiling") == Target("macro_f1", 0.95, "ceiling")
    assert parse_target("micro_f1 0.9 of best") == Target("micro_f1", 0.9, "best")
    with pytest.raises(RunError):
        parse_target("micro_f1")
    with pytest.raises(RunError):
        parse_target("os.system=1")


def test_a_grid_run_not_started_yet_is_reported_missing(tmp_path: Path) -> None:
    settings = {"random": (RANDOM, [[(10, 0.2)], []]), "uncertainty": (UNC, [[(10, 0.3)], []])}
    make_experiment(tmp_path / "exp", replace(small_plan("exp")), settings)
    col = load_collection(tmp_path / "exp")
    assert col.missing == ["random/repeat-2", "uncertainty/repeat-2"]
    a = analyse(col, [Target("micro_f1", 0.25)])
    # a run that has not started is no evidence: it is left out, not counted as "not reached"
    assert a.setting("uncertainty").labels_to["micro_f1@0.25"] == [10]
    assert any("not started" in n for n in a.notes)


def test_targets_recorded_with_the_experiment_are_its_defaults(tmp_path: Path) -> None:
    from alframe.experiments.layout import write_experiment

    exp = _exp(tmp_path)
    exp.targets = ["micro_f1=0.55"]
    write_experiment(exp)
    a = analyse(load_collection(tmp_path / "exp"))
    assert [t.key for t in a.targets] == ["micro_f1@0.55"]
    assert a.setting("uncertainty").labels_to["micro_f1@0.55"] == [30, 30]
    # asking for a target replaces them
    b = analyse(load_collection(tmp_path / "exp"), [Target("micro_f1", 0.4)])
    assert [t.key for t in b.targets] == ["micro_f1@0.4"]


def test_a_falling_learning_curve_is_a_note_of_the_report(tmp_path: Path) -> None:
    plan = small_plan("r")
    rising = [(10, 0.2), (20, 0.3), (30, 0.4), (40, 0.5), (50, 0.55), (60, 0.6)]
    make_run(tmp_path / "ok", plan, rising)
    assert not [n for n in analyse(load_collection(tmp_path / "ok")).notes if "falling" in n]
    falling = [(10, 0.2), (20, 0.3), (30, 0.5), (40, 0.5), (50, 0.5), (60, 0.5), (70, 0.4), (80, 0.35)]
    make_run(tmp_path / "bad", plan, falling)
    notes = [n for n in analyse(load_collection(tmp_path / "bad")).notes if "falling" in n]
    assert notes == [
        "Learning curve of r: micro_f1 is falling: 0.500 at round 2, 0.350 at round 7 (below since round 6).",
        "Learning curve of r: macro_f1 is falling: 0.400 at round 2, 0.250 at round 7 (below since round 6).",
    ]
