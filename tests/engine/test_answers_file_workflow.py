"""A person answering through a file: the run waits for answers and picks the round up again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from engine_specs import answer_questions, run_spec, write_spec


def test_the_run_waits_for_answers_then_resumes_the_same_round(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec", seed_size=5, batch=5, extra_query="rounds 2")
    answers = spec.parent / "answers.csv"  # beside the spec: paths may not leave its folder
    text = spec.read_text().replace("oracle simulated", 'oracle file(path="answers.csv")')
    spec.write_text(text)
    out = tmp_path / "run"

    summary, _, _ = run_spec(spec, out)
    assert summary.stop_reason.startswith("waiting for") and summary.rounds == 0
    questions = out / "questions-round-0000.csv"
    asked = answer_questions(questions, answers)

    summary, _, _ = run_spec(spec, out)  # round 0 completes, round 1 asks and waits
    assert summary.stop_reason.startswith("waiting for")
    with sqlite3.connect(out / "run.db") as c:
        assert c.execute("SELECT COUNT(*), MIN(source) FROM answers").fetchone() == (asked, "file answers.csv")
        first_round_1 = c.execute("SELECT item, label FROM queries WHERE round = 1 ORDER BY position").fetchall()
    answer_questions(out / "questions-round-0001.csv", answers)

    summary, _, _ = run_spec(spec, out)
    assert summary.rounds == 2 and summary.stop_reason.startswith("round limit")
    with sqlite3.connect(out / "run.db") as c:
        assert c.execute("SELECT item, label FROM queries WHERE round = 1 ORDER BY position").fetchall() == first_round_1
        n, distinct = c.execute("SELECT COUNT(*), COUNT(DISTINCT item || label) FROM answers").fetchone()
    assert n == distinct == summary.labels_used


def test_a_run_that_waits_keeps_the_model_the_next_command_needs(tmp_path: Path) -> None:
    """With ``trainer { checkpoint_every 5 }`` rounds 1 and 2 have no checkpoint of their own,
    but a run that stops to wait for answers writes the last committed round's first: the
    next command loads it and retrains nothing."""
    from alframe.engine import Observer

    spec = write_spec(tmp_path / "spec", seed_size=5, batch=5, extra_query="rounds 4", extra_trainer="checkpoint_every 5")
    answers = spec.parent / "answers.csv"
    spec.write_text(spec.read_text().replace("oracle simulated", 'oracle file(path="answers.csv")'))
    out = tmp_path / "run"
    said: list[str] = []

    class Said(Observer):
        def message(self, text: str) -> None:
            said.append(text)

    run_spec(spec, out)
    for rnd in range(3):  # round rnd completes, round rnd + 1 asks and waits
        answer_questions(out / f"questions-round-{rnd:04d}.csv", answers)
        summary, _, _ = run_spec(spec, out, observer=Said())
        assert summary.stop_reason.startswith("waiting for")
        assert (out / "checkpoints" / f"round-{rnd:04d}.ckpt").exists()
    assert not [text for text in said if text.startswith("retraining")]
    with sqlite3.connect(out / "run.db") as c:  # the rounds' own records: only round 0 at its cadence
        assert [ckpt is not None for (ckpt,) in c.execute("SELECT checkpoint FROM rounds WHERE status = 'complete' ORDER BY round")] == [True, False, False]
