from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import pytest
from experiment_plans import small_plan
from report_runs import make_experiment, make_run
from rich.console import Console

from alframe.errors import RunError
from alframe.plan import Call
from alframe.report import build_report, parse_target, print_tables


def _png_ok(path: Path) -> None:
    import matplotlib.image as mpimg

    img = mpimg.imread(path)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100


def test_experiment_report_files_tables_and_pngs(tmp_path: Path) -> None:
    settings = {
        "random": (Call("random"), [[(10, 0.2), (20, 0.4), (30, 0.6)], [(10, 0.25), (20, 0.45), (30, 0.55)]]),
        "uncertainty": (Call("uncertainty"), [[(10, 0.2), (20, 0.6), (30, 0.7)], [(10, 0.2), (20, 0.5), (30, 0.7)]]),
    }
    make_experiment(tmp_path / "exp", small_plan("exp"), settings, ceiling={"micro_f1": 0.75, "macro_f1": 0.6})
    dbs = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in (tmp_path / "exp").rglob("run.db")}
    rep = build_report(tmp_path / "exp", [parse_target("micro_f1=0.5")])
    folder = tmp_path / "exp" / "report"
    assert rep.folder == folder
    for name in ("index.html", "summary.json", "curves_micro_f1.png", "curves_macro_f1.png", "time.png",
                 "imbalance.png", "label_complexity.csv", "time.csv", "imbalance.csv", "per_label.csv",
                 "final_metrics.csv", "runs.csv", "curves.csv"):
        assert (folder / name).is_file(), name
    for png in folder.glob("*.png"):
        _png_ok(png)
    page = (folder / "index.html").read_text(encoding="utf-8")
    assert "<table>" in page and "Answers to target" in page and "Time" in page and "F1 by label frequency" in page
    assert "uncertainty" in page and "1.50×" in page  # saving 30/20 in both repeats
    # self-contained: every image inline, no external reference
    assert page.count("data:image/png;base64,") == 4
    assert not re.search(r"""(src|href)=['"](?!data:|#)""", page)
    summary = json.loads((folder / "summary.json").read_text())
    unc = next(s for s in summary["settings"] if s["setting"] == "uncertainty")
    assert unc["labels_to_target"]["micro_f1@0.5"]["per_repeat"] == [20, 20]
    assert unc["saving_vs_random"]["micro_f1@0.5"]["mean"] == 1.5
    assert summary["ceiling"] == {"micro_f1": 0.75, "macro_f1": 0.6}
    with open(folder / "label_complexity.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert {r["setting"] for r in rows} == {"random", "uncertainty"}
    assert [r["labels_mean"] for r in rows if r["setting"] == "random"] == ["30.0"]
    with open(folder / "curves.csv", newline="") as f:
        assert len(list(csv.DictReader(f))) == 12
    # reading never changes a run
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in dbs} == dbs


def test_single_run_report_goes_beside_the_run(tmp_path: Path) -> None:
    make_run(tmp_path / "runs" / "solo", small_plan("solo"), [(8, 0.1), (16, 0.3)], finished=False)
    rep = build_report(tmp_path / "runs" / "solo")
    assert rep.folder == tmp_path / "runs" / "solo" / "report"
    assert [s.setting for s in rep.analysis.settings] == ["solo"]
    assert (rep.folder / "index.html").is_file()
    # no target given and no ceiling: a lone run's own best would say nothing, so no target
    assert rep.analysis.targets == []
    console = Console(record=True, width=200)
    print_tables(rep, console)
    out = console.export_text()
    assert "solo: final micro_f1 0.3000 after 16 answered cells (no target set" in out
    assert "Final metrics (no target set)" in out and "report:" in out


def test_a_target_on_a_metric_the_runs_lack_is_refused_with_the_nearest_name(tmp_path: Path) -> None:
    make_run(tmp_path / "solo", small_plan("solo"), [(8, 0.1), (16, 0.3)])
    with pytest.raises(RunError, match="no metric 'micro_f'") as err:
        build_report(tmp_path / "solo", [parse_target("micro_f=0.8")])
    assert err.value.code == "X302" and "did you mean micro_f1" in str(err.value.hint)
    assert not (tmp_path / "solo" / "report").exists()  # refused before anything is written
    from alframe.cli.main import main

    assert main(["report", str(tmp_path / "solo"), "--target", "micro_f=0.8"]) == 2  # a usage error


def test_a_folder_of_runs_groups_repeats_by_folder(tmp_path: Path) -> None:
    for r in (1, 2):
        make_run(tmp_path / "many" / "a" / f"repeat-{r}", small_plan("a", policy=Call("uncertainty")), [(8, 0.1), (16, 0.3 + r / 10)])
    make_run(tmp_path / "many" / "b", small_plan("b", policy=Call("random")), [(8, 0.2), (16, 0.5)])
    rep = build_report(tmp_path / "many", out=tmp_path / "out")
    assert [s.setting for s in rep.analysis.settings] == ["a", "b"]
    assert rep.analysis.setting("a").repeats == [1, 2]
    assert rep.analysis.setting("a").baseline == "b"
    assert (tmp_path / "out" / "index.html").is_file()


def test_nothing_to_report_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(RunError, match="holds no run"):
        build_report(tmp_path / "empty")
    with pytest.raises(RunError, match="not a folder"):
        build_report(tmp_path / "nope")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "run.db").write_bytes(b"not a database at all" * 100)
    with pytest.raises(RunError, match="cannot read"):
        build_report(tmp_path / "bad")


def test_runs_without_a_complete_round_are_not_reported(tmp_path: Path) -> None:
    make_run(tmp_path / "empty", small_plan("empty"), [], finished=False)
    with pytest.raises(RunError, match="no complete round"):
        build_report(tmp_path / "empty")
    settings = {"random": (Call("random"), [[(10, 0.2)], []]), "uncertainty": (Call("uncertainty"), [[(10, 0.3)], []])}
    make_experiment(tmp_path / "exp", small_plan("exp"), settings)
    make_run(tmp_path / "exp" / "random" / "repeat-2", small_plan("exp"), [], finished=False)  # started, no round
    rep = build_report(tmp_path / "exp")
    assert rep.analysis.setting("random").repeats == [1]
    assert "random/repeat-2" in rep.collection.missing


def test_reading_a_run_leaves_nothing_behind(tmp_path: Path) -> None:
    """report, status, export and open_run read run.db without creating -wal/-shm beside it."""
    import alframe
    from alframe.record.store import RunStore

    folder = tmp_path / "run"
    folder.mkdir()
    RunStore.open(folder / "run.db").close()
    before = sorted(p.name for p in folder.iterdir())
    RunStore.open_readonly(folder / "run.db").close()
    with alframe.open_run(folder):
        pass
    assert sorted(p.name for p in folder.iterdir()) == before == ["run.db"]
