"""What a person reads in a report (issue 14): the verdict line, one colour per setting, the
per-label table, the annotation section, and the terminal tables at 80 and 200 columns."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from types import SimpleNamespace

from experiment_plans import small_plan
from report_runs import make_experiment, make_run
from rich.console import Console

from alframe.oracles.context import SKIP_EVENT
from alframe.plan import Call
from alframe.record.store import Answer, RunStore
from alframe.report import build_report, print_tables
from alframe.report.analysis import Target, _per_label, analyse, verdict
from alframe.report.plots import GREYS, setting_colours
from alframe.report.read import load_collection

RANDOM, UNC, IWAL = Call("random"), Call("uncertainty"), Call("iwal")
CURVES = {
    "random": (RANDOM, [[(10, 0.2), (20, 0.4), (30, 0.5), (40, 0.6)], [(10, 0.2), (20, 0.3), (30, 0.5), (40, 0.62)]]),
    "uncertainty": (UNC, [[(10, 0.2), (20, 0.5), (30, 0.6), (40, 0.7)], [(10, 0.2), (20, 0.45), (30, 0.6), (40, 0.7)]]),
    "iwal": (IWAL, [[(10, 0.1), (20, 0.2), (30, 0.3), (40, 0.4)], [(10, 0.1), (20, 0.2), (30, 0.3), (40, 0.59)]]),
}


def test_the_verdict_names_the_setting_that_saves_the_most_answers(tmp_path: Path) -> None:
    make_experiment(tmp_path / "exp", small_plan("exp"), CURVES)
    a = analyse(load_collection(tmp_path / "exp"), [Target("micro_f1", 0.5)])
    # uncertainty: 20 and 30 answers against random's 30 and 30 → 1.5× and 1.0×, mean 1.25×
    assert verdict(a) == ("uncertainty reached micro_f1 ≥ 0.5 with 1.25× fewer answered cells than random "
                          "(25 against 30, 5 fewer).")
    rep = build_report(tmp_path / "exp", [Target("micro_f1", 0.5)])
    page = (rep.folder / "index.html").read_text()
    assert page.index("class='verdict'") < page.index("<table>")  # the first thing under the title
    assert "uncertainty reached micro_f1 ≥ 0.5 with 1.25× fewer answered cells" in page


def test_the_verdict_says_when_no_setting_saves_anything(tmp_path: Path) -> None:
    make_experiment(tmp_path / "exp", small_plan("exp"), {k: CURVES[k] for k in ("random", "iwal")})
    a = analyse(load_collection(tmp_path / "exp"), [Target("micro_f1", 0.5)])
    assert verdict(a) == ("No setting reached micro_f1 ≥ 0.5 with fewer answered cells than random "
                          "(best: iwal, 0.75×).")
    a = analyse(load_collection(tmp_path / "exp"), [Target("micro_f1", 0.99)])
    assert verdict(a) == "No setting reached micro_f1 ≥ 0.99 (the best final micro_f1: 0.6100, random)."


def test_a_single_run_is_finished_with_its_stop_reason(tmp_path: Path) -> None:
    make_run(tmp_path / "solo", small_plan("solo"), [(8, 0.1), (16, 0.3)])
    rep = build_report(tmp_path / "solo")
    runs = rep.table("runs")
    assert runs.columns[5:7] == ["finished", "stop reason"] and runs.rows[0][5:7] == ["yes", "budget spent"]


def test_one_colour_per_setting_random_in_greys(tmp_path: Path) -> None:
    make_experiment(tmp_path / "exp", small_plan("exp"), CURVES)
    a = analyse(load_collection(tmp_path / "exp"))
    colours = setting_colours(a)
    assert set(colours) == {"random", "uncertainty", "iwal"}
    assert colours["random"] in GREYS and colours["uncertainty"] not in GREYS
    assert len({str(c) for c in colours.values()}) == 3
    assert setting_colours(a) == colours  # the same in every plot: a function of the analysis alone


def test_per_label_figures_from_f1_support_and_predicted() -> None:
    point = SimpleNamespace(metrics={"per_label": {
        "a": {"f1": 0.5, "ap": 0.61, "support": 40, "predicted": 40},  # tp 20: precision 0.5, recall 0.5
        "b": {"f1": 0.8, "ap": 0.9, "support": 10, "predicted": 15},  # tp 10: precision 2/3, recall 1
        "c": {"f1": None, "ap": None, "support": 0, "predicted": 3},
    }})
    run = SimpleNamespace(last_evaluated=point, positives_labelled={"a": 7, "b": 2})
    per = _per_label({1: run})  # type: ignore[dict-item]
    assert per["a"]["precision"].mean == 0.5 and per["a"]["recall"].mean == 0.5 and per["a"]["ap"].mean == 0.61
    assert abs(per["b"]["precision"].mean - 2 / 3) < 1e-9 and per["b"]["recall"].mean == 1.0
    assert per["c"]["precision"].mean is None and per["c"]["recall"].mean is None
    assert per["a"]["support"] == 40 and per["a"]["positives_labelled"].mean == 7


def test_the_per_label_table_has_every_figure_and_whole_counts(tmp_path: Path) -> None:
    make_experiment(tmp_path / "exp", small_plan("exp"), CURVES)
    t = build_report(tmp_path / "exp").table("per_label")
    assert t.columns[:2] == ["label", "support (test positives)"]
    for name in ("F1", "AP", "precision", "recall", "positives answered"):
        assert f"{name} uncertainty" in t.columns
    counts = [j for j, c in enumerate(t.columns) if c.startswith(("positives answered", "support"))]
    for row in t.rows:
        for j in counts:
            assert re.fullmatch(r"[\d,]+|—", row[j]), row[j]  # 39, never 39.0


def _answered_by_a_person(run: Path) -> None:
    store = RunStore.open(run / "run.db")
    store.add_answers([Answer(f"p{i}", "mid", v, 1, 1.0, 1.0, "prompt") for i, v in enumerate([1, 0, 0, 1, 1])])
    store.add_answers([Answer("p0", "mid", 0, 1, 1.0, 1.0, "prompt")])  # p0 changed: its revision 2
    store.log_event(SKIP_EVENT, {"round": 1, "item": "p9", "label": "mid", "source": "prompt"})
    store.log_event(SKIP_EVENT, {"round": 1, "item": "p8", "label": "mid", "source": "prompt"})
    store.close()
    with sqlite3.connect(run / "run.db") as c:  # answered 2 s, 4 s, then a break, then 12 s apart
        for i, t in enumerate([1000.0, 1002.0, 1006.0, 5000.0, 5012.0]):
            c.execute("UPDATE answers SET time = ? WHERE item = ? AND revision = 1", (t, f"p{i}"))
        c.execute("UPDATE answers SET time = 9000 WHERE item = 'p0' AND revision = 2")  # after another break


def test_the_annotation_section_counts_answers_skips_and_seconds(tmp_path: Path) -> None:
    run = make_run(tmp_path / "people", small_plan("people"), [(8, 0.1), (16, 0.3)])
    _answered_by_a_person(run)
    rep = build_report(run)
    t = rep.table("annotation")
    assert len(t.rows) == 1
    row = dict(zip(t.columns, t.rows[0]))
    assert (row["source"], row["answers"], row["yes"], row["no"], row["skipped"]) == ("prompt", "6", "3", "3", "2")
    assert row["revisions"] == "1"
    assert row["s / answer (median)"] == "4.0" and row["s / answer (mean)"] == "6.0"  # gaps 2, 4, 12; the break left out
    page = (rep.folder / "index.html").read_text()
    assert "<h2 id='annotation'>Annotation</h2>" in page


def test_no_annotation_section_for_a_simulated_run(tmp_path: Path) -> None:
    run = make_run(tmp_path / "sim", small_plan("sim"), [(8, 0.1), (16, 0.3)])
    rep = build_report(run)
    assert rep.table("annotation").rows == []
    assert "id='annotation'" not in (rep.folder / "index.html").read_text()


LONG = {
    "policy=random__heads=joint": (RANDOM, CURVES["random"][1]),
    "policy=uncertainty(measure=margin)__heads=independent": (UNC, CURVES["uncertainty"][1]),
    "policy=iwal(base=disagreement, floor=0.05)__heads=independent": (IWAL, CURVES["iwal"][1]),
}


def _terminal_tables(tmp_path: Path, width: int) -> tuple[str, object]:
    make_experiment(tmp_path / "exp", small_plan("exp"), LONG)
    rep = build_report(tmp_path / "exp", [Target("micro_f1", 0.5), Target("micro_f1", 0.6)])
    console = Console(record=True, width=width, force_terminal=True, color_system=None)
    print_tables(rep, console)
    return console.export_text(), rep


def _cells(rep: object) -> set[str]:
    out = set()
    for key in ("label_complexity", "time", "imbalance"):
        for row in rep.table(key).rows:  # type: ignore[attr-defined]
            out.update(c.split(" ± ")[0] for c in row[1:])
    return out


def test_terminal_tables_at_80_columns_cut_nothing(tmp_path: Path) -> None:
    text, rep = _terminal_tables(tmp_path, 80)
    assert "…" not in text
    assert all(len(line) <= 80 for line in text.splitlines() if not line.startswith("report: "))
    for cell in _cells(rep):
        assert cell in text, cell  # every number whole, on one line
    # short distinct row names, the full settings listed once below
    assert "settings:" in text
    for i, name in enumerate(LONG, start=1):
        assert f"S{i}  {name}" in text
    assert re.search(r"^ S1 ", text, re.M)


def test_terminal_tables_at_200_columns_use_the_room(tmp_path: Path) -> None:
    text, rep = _terminal_tables(tmp_path, 200)
    assert "…" not in text and "settings:" not in text
    for name in LONG:
        assert re.search(rf"^ {re.escape(name)} ", text, re.M)  # the full name as the row name
    header = next(line for line in text.splitlines() if "answers to T1" in line)
    assert "final micro_f1" in header  # the whole table side by side
