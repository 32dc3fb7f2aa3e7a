"""The run store: answers committed once, revisions never overwrite, queries kept per round."""

from __future__ import annotations

import random
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from alframe.errors import RunError
from alframe.record.store import Answer, Recorded, Revision, RunStore


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


def test_recording_says_what_was_new_unchanged_and_revised_and_keeps_every_revision(tmp_path: Path) -> None:
    with RunStore.open(tmp_path / "run.db") as s:
        first = s.record_answers([_a("x", "a", 1), _a("x", "b", 0)])
        assert (first.new, first.unchanged, first.revised) == (2, 0, [])
        again = s.record_answers([Answer("x", "a", 1, 3, 1.0, 1.0, "file answers.csv"),
                                  Answer("x", "b", 1, 3, 1.0, 1.0, "file answers.csv")])
        assert (again.new, again.unchanged) == (0, 1)
        assert [str(r) for r in again.revised] == ["x/b 0 → 1"] and again.revised[0].revision == 2
        back = s.record_answers([Answer("x", "b", 0, 4, 1.0, 1.0, "prompt")])  # changed back: revision 3
        assert [(r.before, r.after, r.revision) for r in back.revised] == [(1, 0, 3)]
        assert s.answer_count() == 4  # nothing overwritten, the retry of x/a not stored
        history = s.revisions()
        assert [(i, lb, rev, v, src) for i, lb, rev, v, src, _ in history] == [
            ("x", "b", 1, 0, "simulated"), ("x", "b", 2, 1, "file answers.csv"), ("x", "b", 3, 0, "prompt")]
        times = [t for *_, t in history]
        assert times == sorted(times) and all(t > 0 for t in times)  # when each was given
        assert {(a.item, a.label): a.value for a in s.current_answers()} == {("x", "a"): 1, ("x", "b"): 0}
        assert again.summary("answers.csv") == (
            "answers.csv: 0 new, 1 unchanged, 1 revised (x/b 0 → 1; the latest answer counts, "
            "the earlier ones are kept in run.db)")


def _record_row_at_a_time(s: RunStore, answers: list[Answer], now: float) -> Recorded:
    """The logic record_answers had before it was batched: a SELECT and an INSERT per answer."""
    out = Recorded()
    with s.transaction() as c:
        for a in answers:
            row = c.execute(
                "SELECT value, revision FROM answers WHERE item = ? AND label = ? ORDER BY revision DESC LIMIT 1",
                (a.item, a.label),
            ).fetchone()
            if row is not None and int(row[0]) == a.value:
                out.unchanged += 1
                continue
            revision = 1 if row is None else int(row[1]) + 1
            c.execute(
                "INSERT INTO answers (item, label, value, round, prob, weight, source, time, revision) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (a.item, a.label, int(a.value), a.round, float(a.prob), float(a.weight), a.source, now, revision),
            )
            if row is None:
                out.new += 1
            else:
                out.revised.append(Revision(a.item, a.label, int(row[0]), int(a.value), revision))
    return out


def test_a_large_mixed_batch_stores_exactly_what_row_at_a_time_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """record_answers reads the cells' current values in one query and inserts with executemany;
    a big batch of new, unchanged and revised answers (cells repeated inside a batch, changed
    back and forth) gives the same rows (ids, revisions, sources, times) and the same Recorded."""
    rng = random.Random(13)
    cells = [(f"item-{i}", f"label-{j}") for i in range(300) for j in range(12)]
    batches = []
    for rnd in range(4):
        picked = rng.sample(cells, 2500) + rng.choices(cells, k=400)  # repeats inside the batch
        rng.shuffle(picked)
        batches.append([
            Answer(it, lb, rng.randint(0, 1), rnd, rng.choice([1.0, 0.5, 0.125]), rng.random() + 1, f"src-{rnd % 2}")
            for it, lb in picked
        ])
    batches.append([batches[0][0]])  # one answer alone: the one-cell path
    batches.append([])
    fast, slow = RunStore.open(tmp_path / "fast.db"), RunStore.open(tmp_path / "slow.db")
    with fast, slow:
        seen = Recorded()
        for k, batch in enumerate(batches):
            monkeypatch.setattr("alframe.record.store.time.time", lambda k=k: 1000.0 + k)
            got = fast.record_answers(batch)
            assert got == _record_row_at_a_time(slow, batch, 1000.0 + k)
            seen.new, seen.unchanged = seen.new + got.new, seen.unchanged + got.unchanged
            seen.revised += got.revised
        assert seen.new > 1000 and seen.unchanged > 1000 and len(seen.revised) > 1000
        sql = "SELECT id, item, label, value, round, prob, weight, source, time, revision FROM answers ORDER BY id"
        rows = fast.conn.execute(sql).fetchall()
        assert rows == slow.conn.execute(sql).fetchall()
        revisions = [r[-1] for r in rows]
        assert max(revisions) >= 3 and 1 in revisions  # new cells and revisions of revisions were both made
        assert fast.current_answers() == slow.current_answers()


def test_asked_cells_and_the_open_round(tmp_path: Path) -> None:
    with RunStore.open(tmp_path / "run.db") as s:
        assert s.open_round() == 0 and s.asked_cells() == {}
        s.start_round(0, 1)
        s.save_queries(0, [("x", "a", 1.0, 0.0)])
        s.finish_round(0, labels=1, items=1, timings={}, train={}, metrics={}, checkpoint=None)
        s.start_round(1, 2)
        s.save_queries(1, [("y", "a", 0.5, 0.0)])
        assert s.asked_cells() == {("x", "a"): (0, 1.0), ("y", "a"): (1, 0.5)}
        assert s.open_round() == 1


def test_a_store_of_a_newer_schema_is_refused(tmp_path: Path) -> None:
    with RunStore.open(tmp_path / "run.db") as s:
        s.set_meta({"schema_version": "2"})
    with pytest.raises(RunError) as err:
        RunStore.open(tmp_path / "run.db")
    assert err.value.code == "R103" and "schema version 2" in str(err.value)


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
from alframe.record.store import Answer, Recorded, Revision, RunStore
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
