"""The run folder: ``run.db``, checkpoints, per-round CSV, a copy of the spec and plugin versions.

::

    runs/<name>/
      run.db (-wal, -shm)     the run store (:mod:`alframe.record.store`): the truth
      run.lock                the pid of the run holding the folder (the lock is a flock)
      metrics.csv             one row per complete round, rewritten from the store
      spec.al, plan.json, plugins.json   copies of what the run started with
      checkpoints/round-NNNN.ckpt        the model after a round (a cache, the last two kept)
      questions-round-NNNN.{csv,jsonl,label-studio.json}, label-studio-config.xml
                              a waiting round's open questions, for a person
      report/                 what ``alframe report`` writes

Every name above is known to this module only: other modules ask it for paths
(:func:`checkpoint_path`, :func:`questions_file`, :func:`find_run_folders`) or open the
folder through it (:meth:`RunFolder.open` to run, :func:`open_store_readonly` to read,
:func:`existing_store` to change it between runs).

Opening a run folder is where the run's safety checks live:

- only one ``alframe run`` per folder (an exclusive ``flock`` on the folder, held on an open
  descriptor; ``run.lock`` only names the holder's pid, so deleting it admits no second run);
- a folder or ``run.db`` that cannot be written (read-only, disk full) is found before any
  label is asked; a disk that fills up later is a named error (``R204``), checked before each
  checkpoint, with everything committed kept;
- resuming after the spec or the data changed is refused, naming what changed, unless forced
  (and the override is recorded in the run's events); a project folder moved or copied
  elsewhere (the data files at a new place, the same data there) resumes, recorded as ``moved``;
- ``--fresh`` never deletes: it starts in a new sibling folder (``name-2``, ``name-3`` …).

Checkpoints are caches (see RELIABILITY.md): written atomically by the model bundle, loaded
with ``weights_only=True``; a missing or unreadable one means the engine retrains that round
from the stored labels.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alframe.errors import RunError
from alframe.fsutil import DISK_FULL, FolderLock, child_folder, storage_error
from alframe.record.atomic import is_temporary, write_atomic
from alframe.record.rounds import Round
from alframe.record.store import FINISHED_EVENT, RunStore

if TYPE_CHECKING:
    from alframe.plan import Plan
    from alframe.plugins import Plugins

#: the names of the run folder's files (known to this module only)
DB_FILE = "run.db"
LOCK_FILE = "run.lock"
METRICS_FILE = "metrics.csv"
CHECKPOINTS = "checkpoints"
SPEC_COPY, PLUGINS_COPY, PLAN_COPY = "spec.al", "plugins.json", "plan.json"
REPORT_DIR = "report"
QUESTIONS_CONFIG = "label-studio-config.xml"
#: a waiting round's questions: ``questions-round-NNNN`` + each of these
QUESTIONS_FORMATS = {"csv": ".csv", "jsonl": ".jsonl", "label-studio": ".label-studio.json"}

KEEP_CHECKPOINTS = 2
#: Free space the run folder needs at start, and beyond a checkpoint's size before one is written
MIN_FREE = 50 * 1024 * 1024


def db_path(folder: str | Path) -> Path:
    return Path(folder) / DB_FILE


def is_run_folder(folder: str | Path) -> bool:
    """Whether ``folder`` holds a run store."""
    return db_path(folder).is_file()


def require_run_folder(folder: str | Path) -> Path:
    """``folder`` as a Path, or ``R209`` when it holds no run."""
    path = Path(folder)
    if not is_run_folder(path):
        raise RunError(
            f"{path} is not a run folder (it has no {DB_FILE})",
            code="R209",
            hint="give the folder a run writes (runs/<run name>/, or the --out of alframe run)",
        )
    return path


def find_run_folders(folder: Path, depth: int = 3) -> list[Path]:
    """The run folders up to ``depth`` levels below ``folder``, sorted by their store's path."""
    found = sorted(p for k in range(1, depth + 1) for p in folder.glob("/".join(["*"] * k) + "/" + DB_FILE))
    return [p.parent for p in found]


def checkpoint_path(folder: str | Path, rnd: int) -> Path:
    return Path(folder) / CHECKPOINTS / f"round-{rnd:04d}.ckpt"


def questions_file(folder: str | Path, rnd: int, fmt: str = "csv") -> Path:
    """Where round ``rnd``'s open questions are written in format ``fmt`` (csv, jsonl, label-studio)."""
    return Path(folder) / f"questions-round-{rnd:04d}{QUESTIONS_FORMATS[fmt]}"


def open_store_readonly(folder: str | Path, *, code: str = "X202") -> RunStore:
    """The run store of ``folder`` opened read-only, leaving no trace in the folder
    (:func:`alframe.record.store.connect_readonly`; WAL lets it read while a run writes): a
    reader (report, status, export) never changes a run, nor waits for or blocks the run
    writing it. No store is ``X201``; a file that is no run database is ``code``."""
    db = db_path(folder)
    if not db.is_file():
        raise RunError(f"no run database at {db}", code="X201")
    try:
        return RunStore.open_readonly(db)
    except sqlite3.DatabaseError as exc:
        raise RunError(f"cannot read the run database {db}: {exc}", code=code,
                       hint="the file is not an alframe run database") from None


def run_progress(folder: Path) -> tuple[str, dict[str, Any]]:
    """("complete" | "partial" | "waiting", details) of a run folder, read-only: complete when
    its store holds the ``finished`` event (details: its figures), partial when it has a store,
    waiting when it has none."""
    if not is_run_folder(folder):
        return "waiting", {}
    store = open_store_readonly(folder)
    try:
        done = store.complete_rounds()
        info: dict[str, Any] = {"rounds": len(done), "labels": done[-1].labels if done else 0}
        for _, kind, detail in store.events():
            if kind == FINISHED_EVENT:
                try:
                    info.update(json.loads(detail))
                except ValueError:
                    pass
                return "complete", info
    finally:
        store.close()
    return "partial", info


@dataclass
class RunFolder:
    """A run folder opened to run in: locked, checked against the plan, its store read-write."""

    path: Path
    store: RunStore
    plan: Plan
    force: bool
    created: bool
    _lock: Any = None
    messages: list[str] = field(default_factory=list)  # what the user should hear at start
    #: the plan changes of a moved project folder (data files elsewhere), taken by check_data
    #: once it finds the same data there; None: nothing moved
    _moved: list[str] | None = None

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        plan: Plan,
        plugins: Plugins,
        out: str | Path | None = None,
        *,
        fresh: bool = False,
        force: bool = False,
    ) -> RunFolder:
        path = Path(out) if out is not None else child_folder(Path("runs"), plan.name)
        if fresh and db_path(path).exists():
            path = _next_free(path)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise RunError(f"cannot create the run folder {path}: {exc.strerror}", code="R201") from None
        _check_writable(path)
        lock = FolderLock(path, LOCK_FILE, what="run folder", code="R205").acquire()
        created = not db_path(path).exists()
        try:
            _check_store_files(db_path(path))
            store = RunStore.open(db_path(path))
        except BaseException:
            lock.release()
            raise
        rd = cls(path=path, store=store, plan=plan, force=force, created=created, _lock=lock)
        try:
            store.check_writable()
            _check_writable(path / CHECKPOINTS, create=True)
            rd._check_plan(plugins)
            rd._clean_temporaries()
            rd.rebuild_derived()
        except BaseException:
            rd.close()
            raise
        return rd

    def close(self) -> None:
        self.store.close()
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def __enter__(self) -> RunFolder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check_plan(self, plugins: Plugins) -> None:
        store, plan = self.store, self.plan
        versions = plugins.versions()
        old = store.get_meta("plan")
        if old is None:
            store.set_meta(
                {
                    "plan": json.dumps(plan.to_dict(), sort_keys=True, default=str),
                    "fingerprint": plan.fingerprint(),
                    "spec_text": plan.spec_text,
                    "spec_path": plan.spec_path,
                    "plugins": json.dumps(versions, sort_keys=True),
                    "created": str(time.time()),
                }
            )
            store.log_event("created", {"spec": plan.spec_path, "plugins": versions})
            write_atomic(self.path / SPEC_COPY, plan.spec_text)
            write_atomic(self.path / PLUGINS_COPY, json.dumps(versions, indent=2, sort_keys=True))
            write_atomic(self.path / PLAN_COPY, json.dumps(plan.to_dict(), indent=2, default=str))
            return
        if store.get_meta("fingerprint") != plan.fingerprint():
            changes = plan_changes(json.loads(old), json.loads(json.dumps(plan.to_dict(), default=str)))
            if store.answer_count() == 0 and not store.rounds():
                # nothing was asked yet (e.g. the data was fixed after an error): start anew
                store.log_event("replanned", {"changes": changes})
                store.set_meta({"plan": json.dumps(plan.to_dict(), sort_keys=True, default=str),
                                "fingerprint": plan.fingerprint(), "spec_text": plan.spec_text})
                store.delete_meta("data_fingerprint")
                write_atomic(self.path / SPEC_COPY, plan.spec_text)
                return
            earlier = self._earlier_default(plugins)
            if earlier is not None:
                # the spec names no policy and the run began under an earlier default: it keeps
                # asking what it asked (a silent switch would mix two policies in one curve)
                from alframe.lang.build import default_policy_text

                self.plan, unit = earlier[1], plan.query.unit
                then, now = default_policy_text(unit, earlier=earlier[0]), default_policy_text(unit)
                store.log_event("earlier default", {"policy": then, "now": now})
                self.messages.append(
                    f"this run began when a spec naming no policy asked {then}: it keeps "
                    f"asking that (the default is now {now}: --fresh starts a run beside it that asks it)")
                return self._resumed(versions)
            if not self.force and _moved_only(changes):
                # the data file (or test file) is at another place, the spec the same: a project
                # folder moved or copied. Taken once check_data finds the same data there.
                self._moved = changes
                return self._resumed(versions)
            if not self.force:
                raise RunError(
                    f"the spec changed since this run started ({self.path}): " + "; ".join(changes[:8]),
                    code="R207",
                    hint="use --fresh to start a new run beside it, or --force to resume anyway (recorded)",
                )
            store.log_event("forced", {"reason": "spec changed", "changes": changes})
            store.set_meta({"plan": json.dumps(plan.to_dict(), sort_keys=True, default=str), "fingerprint": plan.fingerprint()})
            self.messages.append("resuming with a changed spec (--force, recorded): " + "; ".join(changes[:8]))
        self._resumed(versions)

    def _earlier_default(self, plugins: Plugins) -> tuple[int, Plan] | None:
        """Which earlier default policy a spec naming none got when this run began, and the
        plan with it, when that is what the stored fingerprint says it ran; None otherwise (a
        named policy, or any other change, is a changed spec)."""
        from alframe.lang.build import EARLIER_DEFAULT_POLICY, default_policy

        plan, unit = self.plan, self.plan.query.unit
        if "query.policy" in plan.origins or plan.query.policy != default_policy(plugins.registry, unit):
            return None
        stored = self.store.get_meta("fingerprint")
        for i in range(len(EARLIER_DEFAULT_POLICY.get(unit, ()))):
            older = plan.replace_path("query.policy", default_policy(plugins.registry, unit, earlier=i))
            if older.fingerprint() == stored:
                return i, older
        return None

    def _resumed(self, versions: dict[str, str]) -> None:
        store = self.store
        old_versions = json.loads(store.get_meta("plugins") or "{}")
        if old_versions != versions:
            store.log_event("plugins", {"before": old_versions, "now": versions})
            self.messages.append("plugin versions differ from the run's start (recorded in run.db)")
        store.log_event("resumed", {"pid": os.getpid()})

    def check_data(self, fingerprint: str) -> None:
        old = self.store.get_meta("data_fingerprint")
        if self._moved and old in (None, fingerprint):
            # the same data at its new place: the plan now names it there (recorded)
            plan = self.plan
            self.store.log_event("moved", {"changes": self._moved})
            self.store.set_meta({"plan": json.dumps(plan.to_dict(), sort_keys=True, default=str),
                                 "fingerprint": plan.fingerprint()})
            self.messages.append("the data is at a new place, the same data: resuming (" + "; ".join(self._moved) + ")")
            self._moved = None
        if old is None:
            self.store.set_meta({"data_fingerprint": fingerprint})
        elif old != fingerprint:
            if not self.force:
                raise RunError(
                    f"the data changed since this run started ({self.plan.data.path})",
                    code="R208",
                    hint="use --fresh to start a new run, or --force to resume anyway (recorded)",
                )
            self.store.log_event("forced", {"reason": "data changed", "before": old, "now": fingerprint})
            self.store.set_meta({"data_fingerprint": fingerprint})

    # -- checkpoints and CSV ---------------------------------------------------------------------

    def checkpoint_path(self, rnd: int) -> Path:
        return checkpoint_path(self.path, rnd)

    def save_checkpoint(self, bundle: Any, rnd: int) -> str:
        """Write round ``rnd``'s checkpoint, after checking there is room for one as large as
        the last (a full disk is a named error before the write, not a torn file after it)."""
        path = self.checkpoint_path(rnd)
        self._check_room(path)
        try:
            bundle.save_checkpoint(path)
        except OSError as exc:
            named = storage_error(exc, path)
            if named is None:
                raise
            raise named from exc
        for old in sorted((self.path / CHECKPOINTS).glob("round-*.ckpt"))[:-KEEP_CHECKPOINTS]:
            old.unlink(missing_ok=True)
        return str(path.relative_to(self.path))

    def _check_room(self, path: Path) -> None:
        sizes = [p.stat().st_size for p in path.parent.glob("round-*.ckpt")]
        need = max(sizes, default=0) + MIN_FREE
        try:
            free = shutil.disk_usage(path.parent).free
        except OSError:
            return
        if free < need:
            raise RunError(
                f"the disk is nearly full: {free / 2**20:,.0f} MiB free, and {path.name} needs about "
                f"{need / 2**20:,.0f} MiB; the run stopped before writing it, nothing committed is lost",
                code="R204",
                hint="free some disk space, then run the same command again to resume",
            )

    def load_checkpoint(self, bundle: Any, rnd: int) -> bool:
        path = self.checkpoint_path(rnd)
        if not path.exists():
            return False
        try:
            bundle.load_checkpoint(path)
        except RunError as exc:
            # said once where the run starts (the engine prints it) and recorded in run.db
            self.messages.append(f"ignored checkpoint {path.name}: {exc}; the model is retrained from the labels")
            self.store.log_event("checkpoint_ignored", {"round": rnd, "file": path.name, "reason": str(exc)})
            return False
        return True

    # -- files derived from the store ------------------------------------------------------

    def rebuild_derived(self) -> list[str]:
        """Make every file derived from ``run.db`` agree with it again, and say which were not.

        A kill between a round's commit and the rewrite of ``metrics.csv`` (or while the folder
        was being created) leaves them behind the store; the store is the truth, so they are
        rewritten from it. Questions files and the report are rewritten by the run itself.
        """
        fixed: list[str] = []
        meta = self.store.get_meta
        wanted = self._metrics_csv_text()
        current = self.path / METRICS_FILE
        try:
            now: bytes | None = current.read_bytes()
        except OSError:
            now = None
        if now is None and not any(r.status == "complete" for r in self.store.rounds()):
            pass  # nothing to write yet
        elif now != wanted.encode("utf-8"):
            write_atomic(current, wanted)
            fixed.append(METRICS_FILE)
        copies = {
            SPEC_COPY: meta("spec_text"),
            PLUGINS_COPY: _pretty_json(meta("plugins")),
            PLAN_COPY: _pretty_json(meta("plan")),
        }
        for name, text in copies.items():
            if text is not None and not (self.path / name).exists():
                write_atomic(self.path / name, text)
                fixed.append(name)
        if fixed:
            self.store.log_event("rebuilt", {"files": fixed})
            self.messages.append("rebuilt from run.db: " + ", ".join(fixed))
        return fixed

    def _clean_temporaries(self) -> None:
        """Remove half-written files a killed run left (``.NAME.tmp-PID``, ``.NAME.XXXX.tmp``,
        ``.write-test-PID``): the folder lock is held, so no one else is writing them."""
        for folder in (self.path, self.path / CHECKPOINTS, self.path / REPORT_DIR):
            try:
                entries = list(folder.iterdir())
            except OSError:
                continue
            for p in entries:
                if p.is_file() and is_temporary(p.name):
                    p.unlink(missing_ok=True)

    # -- the rounds ------------------------------------------------------------------------------

    def history(self) -> list[Round]:
        """The complete rounds as a resumed run takes them up: with their cost under the plan's
        cost model and what the policy recorded with their questions."""
        policy = self.store.policy_info()
        out = []
        for r in self.store.complete_rounds():
            r.resumed, r.cost, r.policy = True, self.plan.cost.of(r.labels, r.items), policy.get(r.round, {})
            out.append(r)
        return out

    def commit_round(self, record: Round) -> None:
        """Commit a round (its counts, seconds, figures, metrics and checkpoint) as complete,
        then rewrite ``metrics.csv`` from the store (atomic), one row per complete round."""
        self.store.finish_round(
            record.round,
            labels=record.labels_used,
            items=record.items_touched,
            timings=record.timings,
            train=record.train,
            metrics=record.metrics,
            checkpoint=record.checkpoint,
        )
        self.append_metrics_csv(record)

    def append_metrics_csv(self, record: Round) -> None:
        """Rewrite ``metrics.csv`` from the store (atomic), one row per complete round (a kill
        before it leaves the file behind the store: :meth:`rebuild_derived` mends it)."""
        write_atomic(self.path / METRICS_FILE, self._metrics_csv_text())

    def record_finished(self, record: dict[str, Any], seconds: float, *, resumed: bool) -> None:
        """The run met a stop rule: say so in the store (the ``finished`` event), where
        ``alframe report``, ``status`` and a grid's runner read it. The seconds describe the
        whole run only when it ran start to end in this session."""
        key = "seconds_this_session" if resumed else "seconds"
        self.store.log_event(FINISHED_EVENT, {**record, key: round(seconds, 3)})

    def finished(self) -> bool:
        return self.store.has_event(FINISHED_EVENT)

    def _metrics_csv_text(self) -> str:
        rows = self.store.complete_rounds()
        scalar_keys: list[str] = []
        for r in rows:
            for k, v in r.metrics.items():
                if (isinstance(v, (int, float)) or v is None) and k not in scalar_keys:
                    scalar_keys.append(k)
        stage_keys = sorted({k for r in rows for k in r.timings})
        # a policy choosing among policies (adaptive) adds the arm that asked each round
        arms = {r: str(i["arm"]) for r, i in self.store.policy_info().items() if i.get("arm")}
        arm_col = ["arm"] if arms else []
        buf = io.StringIO()
        w = csv.writer(buf)
        # cost: under the plan's cost model, from the round's counts (docs/running.md)
        w.writerow(["round", "labels", "items", "asked", "cost"] + scalar_keys + arm_col + [f"seconds_{k}" for k in stage_keys])
        for r in rows:
            w.writerow(
                [r.round, r.labels, r.items, r.asked, _cost_text(self.plan.cost.of(r.labels, r.items))]
                + ["" if r.metrics.get(k) is None else r.metrics[k] for k in scalar_keys]
                + [arms.get(r.round, "") for _ in arm_col]
                + [round(r.timings.get(k, 0.0), 4) for k in stage_keys]
            )
        return buf.getvalue()


    def write_questions(
        self, rnd: int, cells: list[tuple[str, str]], dataset: Any, state: Any = None
    ) -> Path:
        """The round's unanswered questions, for a person to answer outside alframe (see
        :mod:`alframe.questions`): ``questions-round-NNNN.csv`` (returned; the columns of an
        answers file, ``value`` blank, plus the model's guess and the item's text), the same
        as ``.jsonl``, and ``.label-studio.json`` tasks with the model's guesses as
        predictions, beside ``label-studio-config.xml`` for the label space."""
        from alframe.questions import round_files

        if self.store.get_meta("label_names") is None:
            self.store.set_meta({"label_names": json.dumps(list(dataset.label_names))})
        files = round_files(rnd, cells, dataset, self.plan.query.unit, state)
        for fmt in QUESTIONS_FORMATS:
            write_atomic(questions_file(self.path, rnd, fmt), files[fmt])
        write_atomic(self.path / QUESTIONS_CONFIG, files["config"])
        return questions_file(self.path, rnd, "csv")


def _cost_text(cost: float) -> str:
    """A cost as metrics.csv writes it: a whole number without a decimal point (the default
    model's cost is a count of answers), another rounded to 6 decimals (0.1 × 3 is 0.3, not
    0.30000000000000004)."""
    return str(int(cost)) if float(cost).is_integer() else repr(round(cost, 6))


#: the plan paths a moved project folder changes (the spec's data files, as absolute paths)
MOVABLE = ("data.path", "data.test_path")


def _moved_only(changes: list[str]) -> bool:
    """Whether every change is the place of a data file (``data.path: /a/x.csv → /b/x.csv``)."""
    return bool(changes) and all(c.split(":", 1)[0] in MOVABLE for c in changes)


def plan_changes(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    """Human-readable differences between two plan dicts: ``query.batch: 200 → 300``."""
    out: list[str] = []
    for key in sorted(set(old) | set(new)):
        if key == "spec_path":
            continue
        a, b = old.get(key), new.get(key)
        name = f"{prefix}{key}"
        if isinstance(a, dict) and isinstance(b, dict):
            out.extend(plan_changes(a, b, name + "."))
        elif a != b:
            out.append(f"{name}: {a} → {b}")
    return out


def _pretty_json(text: str | None) -> str | None:
    return None if text is None else json.dumps(json.loads(text), indent=2)


def _next_free(path: Path) -> Path:
    for k in range(2, 10_000):
        candidate = path.with_name(f"{path.name}-{k}")
        if not candidate.exists():
            return candidate
    raise RunError(f"no free run folder name beside {path}", code="R202")


@contextmanager
def existing_store(folder: str | Path) -> Iterator[RunStore]:
    """The store of an existing run folder, held as a run holds it (``R205`` while a run is
    using the folder), for a change made between runs (``alframe answer``)."""
    path = require_run_folder(folder)
    with FolderLock(path, LOCK_FILE, what="run folder", code="R205"):
        _check_store_files(db_path(path))
        store = RunStore.open(db_path(path))
        try:
            store.check_writable()
            yield store
        finally:
            store.close()


def _check_store_files(db: Path) -> None:
    """A read-only ``run.db``, ``-wal`` or ``-shm``, found before SQLite opens it (SQLite would
    open it read-only, fail at the first write, and leave read-only ``-wal`` / ``-shm`` files
    behind that keep the run read-only after ``run.db`` itself is made writable again)."""
    for f in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
        if f.exists() and not os.access(f, os.W_OK):
            raise RunError(
                f"the run database file {f} is read-only",
                code="R203",
                hint=f"make it writable (chmod u+w {db.name}*), or start a new run beside it with --fresh",
            )


def _check_writable(path: Path, *, create: bool = False) -> None:
    """Find a read-only folder or a full disk before any label is asked."""
    probe = path / f".write-test-{os.getpid()}"
    try:
        if create:
            path.mkdir(exist_ok=True)
        with open(probe, "wb") as f:
            f.write(b"\0" * 65536)
            f.flush()
            os.fsync(f.fileno())
        probe.unlink()
    except OSError as exc:
        try:
            probe.unlink(missing_ok=True)
        except OSError:
            pass
        if exc.errno in DISK_FULL:
            raise RunError(
                f"the disk is full: the run folder {path} cannot be written", code="R204", hint="free some disk space"
            ) from None
        raise RunError(
            f"the run folder {path} cannot be written: {exc.strerror}",
            code="R203",
            hint="make it writable (chmod u+w), or choose another folder with --out",
        ) from None
    free = shutil.disk_usage(path).free
    if free < MIN_FREE:
        raise RunError(f"only {free // 1024} KiB free beside {path}", code="R204", hint="free some disk space")
