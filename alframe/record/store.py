"""The run store: one SQLite database per run folder, the run's single source of truth.

Human labels are the expensive part, so the store is written the way SQLite is trusted:
WAL journal, ``synchronous=FULL``, ``BEGIN IMMEDIATE … COMMIT`` around every label event, a
busy timeout, and never a connection carried across ``fork()`` (the store is opened by the
engine process only; DataLoaders run with ``num_workers=0``).

Tables
------
``meta``      key/value: plan fingerprint, data fingerprint, plugin versions, spec text.
``answers``   append-only: one row per answer event (item, label, value, round, query
              probability, weight, source, time, revision). A retry of the same answer is
              ignored (idempotent); a different second answer for a cell is kept as a new
              revision, never an overwrite. The current value of a cell is its last revision.
``queries``   the questions of each round, committed before the oracle is asked, so that a
              resumed round asks the same questions again instead of choosing new ones.
``rounds``    one row per round: seed, status, counts, seconds per stage, metrics.
``events``    what happened to the run itself (created, resumed, forced past a change), and
              what a learning query policy recorded with a round's questions (``policy``).

Everything else in the run folder (checkpoints, CSV, reports) can be rebuilt from this file,
the spec and the seeds.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from alframe.errors import RunError
from alframe.record.rounds import COMPLETE, Round

SCHEMA_VERSION = 1
#: the event a run logs when it meets a stop rule (not when it is interrupted)
FINISHED_EVENT = "finished"
#: the event a round logs when it ends the run without being committed (nothing left to ask,
#: or waiting for a person's answers: its reason says which)
STOPPED_EVENT = "stopped"

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    item TEXT NOT NULL,
    label TEXT NOT NULL,
    value INTEGER NOT NULL CHECK (value IN (0, 1)),
    round INTEGER NOT NULL,
    prob REAL NOT NULL CHECK (prob > 0 AND prob <= 1),
    weight REAL NOT NULL,
    source TEXT NOT NULL,
    time REAL NOT NULL,
    revision INTEGER NOT NULL DEFAULT 1,
    UNIQUE (item, label, revision)
);
CREATE TABLE IF NOT EXISTS queries (
    round INTEGER NOT NULL,
    position INTEGER NOT NULL,
    item TEXT NOT NULL,
    label TEXT NOT NULL,
    prob REAL NOT NULL,
    score REAL NOT NULL,
    PRIMARY KEY (round, position)
);
CREATE TABLE IF NOT EXISTS rounds (
    round INTEGER PRIMARY KEY,
    seed INTEGER NOT NULL,
    status TEXT NOT NULL,
    labels INTEGER NOT NULL DEFAULT 0,
    items INTEGER NOT NULL DEFAULT 0,
    asked INTEGER NOT NULL DEFAULT 0,
    timings TEXT NOT NULL DEFAULT '{}',
    train TEXT NOT NULL DEFAULT '{}',
    metrics TEXT NOT NULL DEFAULT '{}',
    checkpoint TEXT,
    started REAL NOT NULL,
    finished REAL
);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    time REAL NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class Answer:
    item: str
    label: str
    value: int
    round: int
    prob: float
    weight: float
    source: str


@dataclass(frozen=True)
class StoredAnswer(Answer):
    """An answer as stored: with the time it was stored and its revision of the cell."""

    time: float
    revision: int


@dataclass(frozen=True)
class Revision:
    """A stored answer that changed: the cell, its value before and now, its revision number."""

    item: str
    label: str
    before: int
    after: int
    revision: int

    def __str__(self) -> str:
        return f"{self.item}/{self.label} {self.before} → {self.after}"


@dataclass
class Recorded:
    """What a batch of answers did to the store (see :meth:`RunStore.record_answers`)."""

    new: int = 0
    unchanged: int = 0
    revised: list[Revision] = field(default_factory=list)

    def summary(self, where: str, shown: int = 3) -> str:
        """``answers.csv: 12 new, 40 unchanged, 2 revised (sku-1/outdoor 1 → 0, …)``."""
        text = f"{where}: {self.new} new, {self.unchanged} unchanged, {len(self.revised)} revised"
        if self.revised:
            cells = ", ".join(str(r) for r in self.revised[:shown])
            more = f", and {len(self.revised) - shown} more" if len(self.revised) > shown else ""
            text += f" ({cells}{more}; the latest answer counts, the earlier ones are kept in run.db)"
        return text


def connect_readonly(db: Path) -> sqlite3.Connection:
    """A read-only connection to ``run.db`` that changes nothing in its folder.

    A read-only SQLite connection to a WAL database creates ``run.db-wal`` and ``run.db-shm``
    when they are not there, and cannot remove them again. So when no run holds the folder
    (its ``flock``, read from the kernel's lock table, never taken) and no ``-wal`` file exists
    (the last writer closed cleanly: everything is in ``run.db``), the file is opened as
    immutable, which reads it without those files or any lock. Otherwise they exist already
    and a plain read-only connection reads through them, beside the run writing."""
    import urllib.parse

    from alframe.fsutil import flock_holder

    quiet = flock_holder(db.parent) is None and not db.with_name(db.name + "-wal").exists()
    uri = "file:" + urllib.parse.quote(str(db.resolve())) + "?mode=ro" + ("&immutable=1" if quiet else "")
    conn = sqlite3.connect(uri, uri=True, timeout=30.0)
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


class RunStore:
    """The SQLite store of one run. Open with :meth:`open`; use as a context manager."""

    def __init__(self, path: Path, conn: sqlite3.Connection, *, readonly: bool = False) -> None:
        self.path = path
        self.conn = conn
        self.pid = os.getpid()
        #: opened with :meth:`open_readonly`: every write is refused (``R104``) before SQLite sees it
        self.readonly = readonly

    # -- opening -----------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path) -> RunStore:
        path = Path(path)
        try:
            conn = sqlite3.connect(path, timeout=30.0, isolation_level=None)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=FULL")
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA foreign_keys=ON")
            conn.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise RunError(
                f"cannot open the run database {path}: {exc}",
                code="R101",
                hint="the file is not an alframe run database, or the folder is not writable",
            ) from None
        store = cls(path, conn)
        version = store.get_meta("schema_version")
        if version is None:
            with store.transaction():
                store._set_meta("schema_version", str(SCHEMA_VERSION))
        elif not version.isdigit() or int(version) > SCHEMA_VERSION:
            conn.close()
            raise RunError(
                f"the run database {path} has schema version {version}; this alframe reads "
                f"versions up to {SCHEMA_VERSION}",
                code="R103",
                hint="it was written by a newer alframe: run it with that version, or start anew with --fresh",
            )
        return store

    @classmethod
    def open_readonly(cls, path: str | Path) -> RunStore:
        """The store opened for reading only, without leaving a trace in the folder (``alframe
        status``, ``export``, ``report``, :func:`alframe.open_run`): see :func:`connect_readonly`.
        Raises ``sqlite3.DatabaseError`` when the file is no run database."""
        path = Path(path)
        conn = connect_readonly(path)
        try:
            conn.execute("SELECT COUNT(*) FROM rounds").fetchone()
        except sqlite3.DatabaseError:
            conn.close()
            raise
        return cls(path, conn, readonly=True)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE … COMMIT``: the write lock is taken up front, so a concurrent
        writer waits (busy_timeout) instead of failing half-way.

        A full disk or a read-only database rolls the transaction back (nothing of it is
        kept, everything committed before is) and is a named :class:`RunError`
        (:func:`storage_problem`), never a bare ``sqlite3.OperationalError``.
        """
        if os.getpid() != self.pid:
            raise RunError("the run database connection was carried across fork()", code="R102")
        self._refuse_if_readonly()
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self._rollback()
                raise
            try:
                self.conn.execute("COMMIT")
            except BaseException:
                self._rollback()
                raise
        except sqlite3.OperationalError as exc:
            named = storage_problem(exc, self.path)
            if named is None:
                raise
            raise named from exc

    def _refuse_if_readonly(self) -> None:
        if self.readonly:
            raise RunError(
                f"the run database {self.path} is open for reading only; nothing was written",
                code="R104",
                hint="a reader (report, status, export, open_run) never changes a run; write through alframe run or answer",
            )

    def _rollback(self) -> None:
        """Roll back what is still open (SQLite itself ends a transaction a full disk broke)."""
        if self.conn.in_transaction:
            try:
                self.conn.execute("ROLLBACK")
            except sqlite3.Error:
                pass

    def check_writable(self) -> None:
        """A read-only ``run.db`` (or its ``-wal`` / ``-shm`` file), found before anything is
        asked: SQLite opens such a file and fails only at the first write. The probe's
        write is rolled back."""
        self._refuse_if_readonly()
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                self.conn.execute("UPDATE meta SET value = value WHERE key = 'schema_version'")
            finally:
                self._rollback()
        except sqlite3.OperationalError as exc:
            named = storage_problem(exc, self.path)
            if named is None:
                raise
            raise named from exc

    # -- meta and events -----------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def _set_meta(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def delete_meta(self, key: str) -> None:
        with self.transaction() as c:
            c.execute("DELETE FROM meta WHERE key = ?", (key,))

    def set_meta(self, values: dict[str, str]) -> None:
        with self.transaction():
            for k, v in values.items():
                self._set_meta(k, v)

    def log_event(self, kind: str, detail: dict[str, Any] | str) -> None:
        text = detail if isinstance(detail, str) else json.dumps(detail, sort_keys=True)
        with self.transaction() as c:
            c.execute(
                "INSERT INTO events (time, kind, detail) VALUES (?, ?, ?)", (time.time(), kind, text)
            )

    def has_event(self, kind: str) -> bool:
        return self.conn.execute("SELECT 1 FROM events WHERE kind = ? LIMIT 1", (kind,)).fetchone() is not None

    def events(self) -> list[tuple[float, str, str]]:
        return [tuple(r) for r in self.conn.execute("SELECT time, kind, detail FROM events ORDER BY id")]

    def last_event(self, kind: str) -> dict[str, Any] | None:
        """The detail of the last ``kind`` event as a dict ({} when it is not a JSON object),
        or None when the run logged none (e.g. :data:`FINISHED_EVENT`: how the run finished)."""
        row = self.conn.execute(
            "SELECT detail FROM events WHERE kind = ? ORDER BY id DESC LIMIT 1", (kind,)
        ).fetchone()
        if row is None:
            return None
        try:
            value = json.loads(row[0])
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    # -- answers -------------------------------------------------------------------------------

    def add_answers(self, answers: list[Answer]) -> int:
        """Commit answers; returns how many were stored (new cells and revisions).

        Idempotent: an answer equal to the cell's current value is not stored again (a retry).
        A different value for an answered cell becomes a new revision.
        """
        recorded = self.record_answers(answers)
        return recorded.new + len(recorded.revised)

    def record_answers(self, answers: list[Answer]) -> Recorded:
        """Commit answers in one transaction and say what each one was: the first answer of its
        cell (revision 1), the cell's current value again (not stored: a retry, an import read
        twice), or a different value (stored as the next revision; the earlier ones are kept).
        Each stored row records its ``source`` (who answered) and the time."""
        out = Recorded()
        now = time.time()
        with self.transaction() as c:
            # the current (value, revision) of every cell involved, read in one query; the loop
            # then applies the row-at-a-time rule against it, updating it as it goes so that a
            # cell answered twice in the batch is judged against the batch's earlier answer
            current = self._current_cells(c, {(a.item, a.label): None for a in answers})
            rows: list[tuple[Any, ...]] = []
            for a in answers:
                row = current.get((a.item, a.label))
                if row is not None and int(row[0]) == a.value:
                    out.unchanged += 1
                    continue
                revision = 1 if row is None else int(row[1]) + 1
                rows.append(
                    (a.item, a.label, int(a.value), a.round, float(a.prob), float(a.weight), a.source, now, revision)
                )
                current[(a.item, a.label)] = (int(a.value), revision)
                if row is None:
                    out.new += 1
                else:
                    out.revised.append(Revision(a.item, a.label, int(row[0]), int(a.value), revision))
            c.executemany(
                "INSERT INTO answers (item, label, value, round, prob, weight, source, time, revision) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
        return out

    @staticmethod
    def _current_cells(
        c: sqlite3.Connection, cells: dict[tuple[str, str], None]
    ) -> dict[tuple[str, str], tuple[int, int]]:
        """``(item, label) → (value, revision)`` of the last stored revision of each of ``cells``
        that has one, in one query."""
        if not cells:
            return {}
        if len(cells) == 1:
            ((item, label),) = cells
            row = c.execute(
                "SELECT value, revision FROM answers WHERE item = ? AND label = ? ORDER BY revision DESC LIMIT 1",
                (item, label),
            ).fetchone()
            return {} if row is None else {(item, label): (int(row[0]), int(row[1]))}
        # the batch's items (fewer than its cells) go through a temporary table; every stored
        # answer of those items is read through the (item, label, revision) index, and those of
        # other cells than the batch's are passed over
        c.execute("CREATE TEMP TABLE IF NOT EXISTS batch_items (item TEXT PRIMARY KEY) WITHOUT ROWID")
        c.execute("DELETE FROM temp.batch_items")
        c.executemany("INSERT INTO temp.batch_items (item) VALUES (?)", [(i,) for i in dict.fromkeys(i for i, _ in cells)])
        found: dict[tuple[str, str], tuple[int, int]] = {}
        for item, label, value, revision in c.execute(
            # CROSS JOIN keeps the batch's items outside: the planner would scan all answers
            "SELECT a.item, a.label, a.value, a.revision FROM temp.batch_items k CROSS JOIN answers a "
            "ON a.item = k.item"
        ):
            if (item, label) not in cells:
                continue
            known = found.get((item, label))
            if known is None or int(revision) > known[1]:
                found[(item, label)] = (int(value), int(revision))
        c.execute("DELETE FROM temp.batch_items")  # (a failed transaction rolls it back)
        return found

    def revisions(self) -> list[tuple[str, str, int, int, str, float]]:
        """Every stored answer of the cells answered more than once, oldest first:
        ``(item, label, revision, value, source, time)``."""
        rows = self.conn.execute(
            "SELECT item, label, revision, value, source, time FROM answers a WHERE EXISTS "
            "(SELECT 1 FROM answers b WHERE b.item = a.item AND b.label = a.label AND b.revision > 1) "
            "ORDER BY item, label, revision"
        ).fetchall()
        return [(r[0], r[1], int(r[2]), int(r[3]), str(r[4]), float(r[5])) for r in rows]

    def asked_cells(self) -> dict[tuple[str, str], tuple[int, float]]:
        """Every cell a round asked: ``(item, label) → (first round that asked it, its query
        probability)``. An answer may be stored only for one of these."""
        out: dict[tuple[str, str], tuple[int, float]] = {}
        for item, label, rnd, prob in self.conn.execute(
            "SELECT item, label, round, prob FROM queries ORDER BY round, position"
        ):
            out.setdefault((item, label), (int(rnd), float(prob)))
        return out

    def open_round(self) -> int:
        """The first round not complete (where a revision given now takes effect)."""
        row = self.conn.execute("SELECT MAX(round) FROM rounds WHERE status = 'complete'").fetchone()
        return 0 if row is None or row[0] is None else int(row[0]) + 1

    def current_answers(self, up_to_round: int | None = None) -> list[Answer]:
        """The last revision of every answered cell (optionally only answers of rounds ≤ r),
        in the order the cells were first answered."""
        sql = "SELECT item, label, value, round, prob, weight, source FROM answers"
        args: tuple[Any, ...] = ()
        if up_to_round is not None:
            sql += " WHERE round <= ?"
            args = (up_to_round,)
        latest: dict[tuple[str, str], Answer] = {}
        for r in self.conn.execute(sql + " ORDER BY id", args):
            latest[(r[0], r[1])] = Answer(r[0], r[1], int(r[2]), int(r[3]), float(r[4]), float(r[5]), r[6])
        return list(latest.values())

    def answer_count(self) -> int:
        return int(self.conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0])

    # -- queries -------------------------------------------------------------------------------

    def save_queries(
        self, rnd: int, rows: list[tuple[str, str, float, float]], policy: dict[str, Any] | None = None
    ) -> None:
        """Record the round's questions (item, label, prob, score) and mark it "queried".

        ``policy`` is what the query policy recorded while choosing them (a ``policy`` event,
        in the same transaction: a round resumed after its questions were saved has it too, and
        a policy that learns across rounds reads it back through :meth:`policy_info`)."""
        with self.transaction() as c:
            if policy:
                detail = json.dumps({"round": rnd, **policy}, sort_keys=True, default=_json_default)
                c.execute("INSERT INTO events (time, kind, detail) VALUES (?, 'policy', ?)", (time.time(), detail))
            c.execute("DELETE FROM queries WHERE round = ?", (rnd,))
            c.executemany(
                "INSERT INTO queries (round, position, item, label, prob, score) VALUES (?, ?, ?, ?, ?, ?)",
                [(rnd, i, it, lb, float(p), float(s)) for i, (it, lb, p, s) in enumerate(rows)],
            )
            c.execute("UPDATE rounds SET status = 'queried', asked = ? WHERE round = ?", (len(rows), rnd))

    def policy_info(self) -> dict[int, dict[str, Any]]:
        """round → what the query policy recorded with that round's questions (the last record
        of a round, should a round's questions have been saved twice)."""
        out: dict[int, dict[str, Any]] = {}
        for (detail,) in self.conn.execute("SELECT detail FROM events WHERE kind = 'policy' ORDER BY id"):
            info = json.loads(detail)
            out[int(info.pop("round"))] = info
        return out

    def queries(self, rnd: int) -> list[tuple[str, str, float, float]]:
        rows = self.conn.execute(
            "SELECT item, label, prob, score FROM queries WHERE round = ? ORDER BY position", (rnd,)
        ).fetchall()
        return [(r[0], r[1], float(r[2]), float(r[3])) for r in rows]

    # -- rounds --------------------------------------------------------------------------------

    def start_round(self, rnd: int, seed: int) -> None:
        with self.transaction() as c:
            c.execute(
                "INSERT INTO rounds (round, seed, status, started) VALUES (?, ?, 'started', ?) "
                "ON CONFLICT(round) DO NOTHING",
                (rnd, seed, time.time()),
            )

    def finish_round(
        self,
        rnd: int,
        *,
        labels: int,
        items: int,
        timings: dict[str, float],
        train: dict[str, Any],
        metrics: dict[str, Any],
        checkpoint: str | None,
    ) -> None:
        with self.transaction() as c:
            c.execute(
                "UPDATE rounds SET status = 'complete', labels = ?, items = ?, timings = ?, train = ?, "
                "metrics = ?, checkpoint = ?, finished = ? WHERE round = ?",
                (
                    labels,
                    items,
                    json.dumps(timings),
                    json.dumps(train, default=_json_default),
                    json.dumps(metrics, default=_json_default),
                    checkpoint,
                    time.time(),
                    rnd,
                ),
            )

    def rounds(self) -> list[Round]:
        """Every round the store holds, in order (any status), as :class:`Round`: the stored
        counts, seconds, figures, seed and checkpoint; ``asked`` and ``answered`` are the
        questions saved for it; what the policy recorded with them is in ``policy``."""
        rows = self.conn.execute(
            "SELECT round, seed, status, labels, items, asked, timings, train, metrics, checkpoint "
            "FROM rounds ORDER BY round"
        ).fetchall()
        return [
            Round(
                round=int(r[0]), labels_used=int(r[3]), items_touched=int(r[4]), asked=int(r[5]),
                answered=int(r[5]), timings=json.loads(r[6]), train=json.loads(r[7]),
                metrics=json.loads(r[8]), status=str(r[2]), seed=int(r[1]), checkpoint=r[9],
            )
            for r in rows
        ]

    def complete_rounds(self) -> list[Round]:
        """The complete rounds, in order."""
        return [r for r in self.rounds() if r.status == COMPLETE]

    def round_status(self, rnd: int) -> str | None:
        """``started``, ``queried`` or ``complete``; None for a round not started."""
        row = self.conn.execute("SELECT status FROM rounds WHERE round = ?", (rnd,)).fetchone()
        return None if row is None else str(row[0])

    def last_complete_round(self) -> int | None:
        row = self.conn.execute("SELECT MAX(round) FROM rounds WHERE status = 'complete'").fetchone()
        return None if row is None or row[0] is None else int(row[0])

    # -- reading for reports and exports ------------------------------------------------------

    def all_meta(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.conn.execute("SELECT key, value FROM meta")}

    def labels_seen(self) -> list[str]:
        """Every label a question or an answer names, sorted."""
        rows = self.conn.execute("SELECT label FROM queries UNION SELECT label FROM answers").fetchall()
        return sorted(str(r[0]) for r in rows)

    def answer_history(self) -> list[StoredAnswer]:
        """Every stored answer (every revision), oldest first."""
        rows = self.conn.execute(
            "SELECT item, label, value, round, prob, weight, source, time, revision FROM answers ORDER BY id"
        ).fetchall()
        return [
            StoredAnswer(r[0], r[1], int(r[2]), int(r[3]), float(r[4]), float(r[5]), r[6], float(r[7]), int(r[8]))
            for r in rows
        ]

    def positives_per_label(self) -> dict[str, int]:
        """label → positives among the cells' current answers (labels with an answer)."""
        out: dict[str, int] = {}
        for label, count in self.conn.execute(
            "SELECT label, SUM(value) FROM answers a WHERE revision = "
            "(SELECT MAX(revision) FROM answers b WHERE b.item = a.item AND b.label = a.label) GROUP BY label"
        ):
            out[str(label)] = int(count or 0)
        return out

    def answers_by_sources_other_than(self, sources: tuple[str, ...]) -> list[tuple[str, int, int, float]]:
        """``(source, value, revision, time)`` of every stored answer whose source is none of
        ``sources``, in the order given."""
        marks = ",".join("?" * len(sources))
        rows = self.conn.execute(
            f"SELECT source, value, revision, time FROM answers WHERE source NOT IN ({marks}) ORDER BY time, rowid",
            sources,
        ).fetchall()
        return [(str(r[0]), int(r[1]), int(r[2]), float(r[3])) for r in rows]


#: SQLite's primary result codes that say the disk, not alframe, refused a write
_SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_FULL, _SQLITE_CANTOPEN = 8, 10, 13, 14


def storage_problem(exc: sqlite3.Error, path: Path) -> RunError | None:
    """The named error for a write SQLite could not make (disk full: ``R204``; read-only
    database or folder: ``R203``), or None for another fault."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    text = str(exc).lower()
    if primary == _SQLITE_FULL or "disk is full" in text:
        return RunError(
            f"the disk is full: the run database {path} could not be written; the run stopped, "
            "nothing committed is lost (an answer not saved is asked again)",
            code="R204",
            hint="free some disk space, then run the same command again to resume",
        )
    if primary == _SQLITE_READONLY or "readonly database" in text:
        return RunError(
            f"the run database {path} cannot be written (a read-only file, or a read-only "
            f"{path.name}-wal / {path.name}-shm beside it)",
            code="R203",
            hint=f"make it writable (chmod u+w {path.name}*), or start a new run beside it with --fresh",
        )
    if primary in (_SQLITE_IOERR, _SQLITE_CANTOPEN):
        return RunError(
            f"the run database {path} could not be written ({exc}); the run stopped, nothing committed is lost",
            code="R203",
            hint="check the disk and the folder's permissions, then run the same command again to resume",
        )
    return None


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
