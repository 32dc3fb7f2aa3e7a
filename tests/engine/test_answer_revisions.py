"""A changed answer is kept as a revision, said, and used: through the answers file a run reads,
and through ``alframe answer``. Never lost, never stored twice, never stored unasked."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from engine_specs import answer_questions, run_spec, write_spec

from alframe.cli.main import main
from alframe.engine import Observer
from alframe.hookspecs import hookimpl


def _flip(answers: Path, n: int) -> list[tuple[str, str, int]]:
    """Change the first ``n`` yes answers of the file to no, as a person correcting them would."""
    with open(answers, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    flipped = []
    for r in rows[1:]:
        if r[2] == "1" and len(flipped) < n:
            r[2] = "0"
            flipped.append((r[0], r[1], 0))
    with open(answers, "w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return flipped


def _history(out: Path, item: str, label: str) -> list[tuple[int, int, int, str]]:
    with sqlite3.connect(out / "run.db") as c:
        return c.execute(
            "SELECT revision, value, round, source FROM answers WHERE item = ? AND label = ? ORDER BY revision",
            (item, label),
        ).fetchall()


def _label_names(spec: Path) -> list[str]:
    from alframe.compile import compile_file
    from alframe.data.load import load_dataset
    from alframe.plugins import load

    plan = compile_file(spec, load(autoload=False).registry)
    return load_dataset(plan.data, plan.labels).label_names


class Heard(Observer):
    def __init__(self) -> None:
        self.said: list[str] = []

    def message(self, text: str) -> None:
        self.said.append(text)


class Spy:
    """What training and the policy are given, per round, for some cells."""

    def __init__(self, cells: list[tuple[str, str]]) -> None:
        self.cells = cells
        self.trained: dict[int, list[int]] = {}
        self.positives: dict[int, np.ndarray] = {}

    def _values(self, state: Any) -> list[int]:
        ds = state.dataset
        return [int(state.answers[ds.index_of(i), ds.label_index(lb)]) for i, lb in self.cells]

    @hookimpl(wrapper=True)
    def alframe_train(self, state):  # type: ignore[no-untyped-def]
        self.trained[state.round] = self._values(state)
        ds = state.dataset
        assert all(state.weights[ds.index_of(i), ds.label_index(lb)] > 0 for i, lb in self.cells)
        return (yield)

    @hookimpl(wrapper=True)
    def alframe_query(self, state, scores):  # type: ignore[no-untyped-def]
        self.positives[state.round] = scores.label_positives.copy()
        return (yield)


def test_a_changed_answer_in_the_answers_file_is_a_revision_that_is_said_and_used(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec", seed_size=5, batch=5, extra_query="rounds 3")
    spec.write_text(spec.read_text().replace("oracle simulated", 'oracle file(path="answers.csv")'))
    answers, out = spec.parent / "answers.csv", tmp_path / "run"

    run_spec(spec, out)  # round 0 waits for its answers
    answer_questions(out / "questions-round-0000.csv", answers)
    heard = Heard()
    run_spec(spec, out, observer=heard)  # round 0 completes, round 1 waits
    assert any(t.startswith("answers.csv: ") and " new, 0 unchanged, 0 revised" in t for t in heard.said)

    flipped = _flip(answers, 2)  # the person corrects two answers of round 0 …
    answer_questions(out / "questions-round-0001.csv", answers)  # … and answers round 1
    cells = [(i, lb) for i, lb, _ in flipped]
    spy, heard = Spy(cells), Heard()
    summary, _, _ = run_spec(spec, out, observer=heard, extra=[("spy", spy)])
    assert summary.stop_reason.startswith("waiting for")  # round 2 asks and waits

    said = [t for t in heard.said if "revised" in t and "answers.csv" in t]
    assert len(said) == 1 and " 2 revised (" in said[0], heard.said
    for item, label, value in flipped:
        assert f"{item}/{label} {1 - value} → {value}" in said[0]
        # the first answer is kept; the revision records who (the file) and from which round on
        assert _history(out, item, label) == [(1, 1 - value, 0, "file answers.csv"),
                                              (2, value, 1, "file answers.csv")]
    assert spy.trained[1] == [v for *_, v in flipped]  # round 1 trains on the latest answers
    with sqlite3.connect(out / "run.db") as c:
        n, distinct = c.execute("SELECT COUNT(*), COUNT(DISTINCT item || '/' || label) FROM answers").fetchone()
        kinds = [r[0] for r in c.execute("SELECT kind FROM events")]
        latest = c.execute("SELECT label, value FROM answers a WHERE revision = (SELECT MAX(revision) "
                           "FROM answers b WHERE b.item = a.item AND b.label = a.label)").fetchall()
    assert n == distinct + 2 and distinct == summary.labels_used  # a revision costs no budget
    assert "answers_revised" in kinds
    # the policy of round 2 counts the positives of the latest answers (two fewer than first given)
    names = _label_names(spec)
    want = np.zeros(len(names), np.int64)
    for label, value in latest:
        want[names.index(label)] += value
    assert spy.positives[2].tolist() == want.tolist()

    # the same file read again: no new revision, nothing stored twice, nothing said of revisions
    answer_questions(out / "questions-round-0002.csv", answers)
    heard = Heard()
    run_spec(spec, out, observer=heard)
    assert not any(" revised (" in t for t in heard.said)
    for item, label, _ in flipped:
        assert len(_history(out, item, label)) == 2


def test_a_finished_run_still_keeps_and_says_a_changed_answer(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec", seed_size=5, batch=5, extra_query="rounds 1")
    spec.write_text(spec.read_text().replace("oracle simulated", 'oracle file(path="answers.csv")'))
    answers, out = spec.parent / "answers.csv", tmp_path / "run"
    run_spec(spec, out)
    answer_questions(out / "questions-round-0000.csv", answers)
    summary, _, _ = run_spec(spec, out)
    assert summary.stop_reason.startswith("round limit")
    ((item, label, value),) = _flip(answers, 1)
    heard = Heard()
    summary, _, _ = run_spec(spec, out, observer=heard)
    assert summary.stop_reason.startswith("round limit")  # still finished: no round is added …
    assert any(f"1 revised ({item}/{label} 1 → 0" in t for t in heard.said), heard.said
    assert _history(out, item, label)[-1] == (2, 0, 1, "file answers.csv")  # … but nothing is lost


def test_alframe_answer_stores_new_unchanged_and_revised_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write_spec(tmp_path / "spec", extra_query="rounds 2")
    out = tmp_path / "run"
    assert main(["--no-plugins", "run", str(spec), "--out", str(out), "--plain"]) == 0
    capsys.readouterr()
    with sqlite3.connect(out / "run.db") as c:
        first = c.execute("SELECT item, label, value FROM answers ORDER BY id LIMIT 5").fetchall()
        before = c.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    corrections = tmp_path / "corrections.csv"
    lines = ["id,label,value"] + [f"{i},{lb},{1 - v}" for i, lb, v in first[:3]] + [f"{i},{lb},{v}" for i, lb, v in first[3:]]
    corrections.write_text("\n".join(lines) + "\n")

    assert main(["answer", str(out), str(corrections)]) == 0
    said = capsys.readouterr().out
    assert said.startswith("corrections.csv: 0 new, 2 unchanged, 3 revised (")
    for i, lb, v in first[:3]:
        assert f"{i}/{lb} {v} → {1 - v}" in said
        assert _history(out, i, lb) == [(1, v, 0, "simulated"), (2, 1 - v, 2, "file corrections.csv")]

    assert main(["answer", str(out), str(corrections)]) == 0  # the same file again: no change
    assert capsys.readouterr().out.startswith("corrections.csv: 0 new, 5 unchanged, 0 revised")
    with sqlite3.connect(out / "run.db") as c:
        assert c.execute("SELECT COUNT(*) FROM answers").fetchone()[0] == before + 3


@pytest.mark.parametrize(
    ("row", "field", "hint"),
    [("zzz-not-asked,{label},1", "id", None), ("{item},not-a-label-asked,0", "label", None)],
    ids=["item-never-asked", "label-never-asked"],
)
def test_alframe_answer_refuses_a_cell_never_asked_naming_file_row_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], row: str, field: str, hint: str | None
) -> None:
    spec = write_spec(tmp_path / "spec", extra_query="rounds 1")
    out = tmp_path / "run"
    assert main(["--no-plugins", "run", str(spec), "--out", str(out), "--plain"]) == 0
    capsys.readouterr()
    with sqlite3.connect(out / "run.db") as c:
        item, label, value = c.execute("SELECT item, label, value FROM answers ORDER BY id LIMIT 1").fetchone()
        before = c.execute("SELECT * FROM answers ORDER BY id").fetchall()
    bad = tmp_path / "answers.csv"
    bad.write_text(f"id,label,value\n{item},{label},{1 - value}\n" + row.format(item=item, label=label) + "\n")
    assert main(["answer", str(out), str(bad)]) == 3
    err = capsys.readouterr().err
    assert f"answers.csv, row 3, field '{field}': error[D308]:" in err and "was never asked in this run" in err
    with sqlite3.connect(out / "run.db") as c:
        assert c.execute("SELECT * FROM answers ORDER BY id").fetchall() == before  # all or nothing


def test_alframe_answer_refuses_a_folder_that_is_not_a_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.csv").write_text("id,label,value\n")
    assert main(["answer", str(tmp_path), str(tmp_path / "a.csv")]) == 5
    assert "error[R209]" in capsys.readouterr().err
    assert not (tmp_path / "run.db").exists()
