"""The run store: answers committed once, revisions never overwrite, queries kept per round."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from alframe.errors import RunError
from alframe.store import Answer, RunStore


def _a(item: str, label: str, value: int, rnd: int = 0, prob: float = 1.0) -> Answer:
    return Answer(item, label, value, rnd, prob, 1.0 / prob, "simulated")


def test_answers_are_committed_and_reread(tmp_path: Path) -> None:
    with RunStore.open(tmp_path / "run.db") as s:
        assert s.add_answers([_a("x", "a", 1), _a("x", "b", 0, prob=0.25)]) == 2
    # a different connection sees them: they were committed
    with RunStore.open(tmp_path / "run.db") as s:
        got = {(a.item, a.label): (a.value, a.prob, a.weight) for a in s.current_answers()}
    assert got == {("x", "a"): (1, 1.0, 1.0), ("x", "b"): (0, 0.25, 4.0)}


def test_same_answer_twice_is_stored_once(tmp_path: Path) -> None:
    with RunStore.open(tmp_path / "run.db") as s:
        s.add_answers([_a("x", "a", 1)])
        assert s.add_answers([_a("x", "a", 1)]) == 0
        assert s.answer_count() == 1


def test_conflicting_answer_is_a_new_revision(tmp_path: Path) -> None:
    with RunStore.open(tmp_path / "run.db") as s:
        s.add_answers([_a("x", "a", 1, rnd=0)])
        assert s.add_answers([_a("x", "a", 0, rnd=2)]) == 1
        assert s.answer_count() == 2  # the first answer is kept
        (cur,) = s.current_answers()
        assert cur.value == 0
        (old,) = s.current_answers(up_to_round=1)
        assert old.value == 1
        revs = s.conn.execute("SELECT revision FROM answers ORDER BY id").fetchall()
        assert [r[0] for r in revs] == [1, 2]


def test_invalid_value_is_refused_by_the_database(tmp_path: Path) -> None:
    with RunStore.open(tmp_path / "run.db") as s:
        with pytest.raises(sqlite3.IntegrityError):
            s.add_answers([_a("x", "a", 2)])
        assert s.answer_count() == 0  # the transaction rolled back


def test_queries_and_rounds(tmp_path: Path) -> None:
    with RunStore.open(tmp_path / "run.db") as s:
        s.start_round(0, 123)
        s.save_queries(0, [("x", "a", 1.0, 0.5), ("y", "a", 0.5, 0.25)])
        assert s.queries(0) == [("x", "a", 1.0, 0.5), ("y", "a", 0.5, 0.25)]
        (r,) = s.rounds()
        assert (r.status, r.asked, r.seed) == ("queried", 2, 123)
        s.finish_round(0, labels=2, items=2, timings={"train": 1.5}, train={}, metrics={"micro_f1": 0.5}, checkpoint=None)
        (r,) = s.rounds()
        assert r.status == "complete" and r.metrics == {"micro_f1": 0.5}


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "run.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(RunError, match="cannot open the run database"):
        RunStore.open(bad)


WRITER = """
import sys
from alframe.store import Answer, RunStore
path, start = sys.argv[1], int(sys.argv[2])
with RunStore.open(path) as s:
    for k in range(start, start + 50):
        s.add_answers([Answer(f"item{k:03d}", "a", k % 2, 0, 1.0, 1.0, "simulated")])
"""


def test_concurrent_writers_lose_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "run.db")
    RunStore.open(path).close()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, path, str(k * 50)]) for k in range(2)]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    with RunStore.open(path) as s:
        assert len(s.current_answers()) == 100
