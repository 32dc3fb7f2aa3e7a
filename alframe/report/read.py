"""Reading runs for a report: one run folder, an experiment folder, or a folder of runs.

Everything comes from each run's ``run.db`` (opened read-only, so a report can be made while a
run goes on) and, for an experiment, its ``experiment.json`` (which runs form the grid, their
settings and repeats) and ``ceiling.json``. Only complete rounds count.

A round's metrics are a point of the learning curve only when the round evaluated (its timings
hold an ``evaluate`` stage): with ``evaluate { every N }`` the rounds between carry the previous
metrics forward, which would draw a flat, stale line.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from alframe.errors import RunError
from alframe.plan import CostPlan
from alframe.report.files import CEILING_FILE, open_store_readonly, read_json
from alframe.store import FINISHED_EVENT

EXPERIMENT_FILE = "experiment.json"
_REPEAT = re.compile(r"^repeat-(\d+)$")


@dataclass
class Point:
    """One complete round of a run."""

    round: int
    labels: int
    items: int
    timings: dict[str, float]
    train: dict[str, Any]
    metrics: dict[str, Any]

    @property
    def evaluated(self) -> bool:
        return "evaluate" in self.timings


@dataclass
class RunData:
    """What a report needs of one run."""

    path: Path
    setting: str
    repeat: int
    plan: dict[str, Any]
    points: list[Point]
    finished: bool
    stop_reason: str | None
    positives_labelled: dict[str, int]  # label -> positives among the run's current answers
    wall_seconds: float | None = None  # the run's own measure, load and build included
    annotation: dict[str, Any] | None = None  # answers given by people (see :func:`_annotation`)

    def curve(self, metric: str, by: str = "labels") -> tuple[np.ndarray, np.ndarray]:
        """(labels, values) of the evaluated rounds where ``metric`` is defined, in round order;
        ``by="cost"``: (cost, values), the cost under the run's cost model."""
        model = self.cost_model
        xs, ys = [], []
        for p in self.points:
            v = p.metrics.get(metric)
            if p.evaluated and isinstance(v, (int, float)) and not isinstance(v, bool):
                xs.append(p.labels if by == "labels" else model.of(p.labels, p.items))
                ys.append(float(v))
        return np.asarray(xs, dtype=np.float64), np.asarray(ys, dtype=np.float64)

    @property
    def cost_model(self) -> CostPlan:
        """The run's ``cost { item … cell … }`` (the default, answered cells, for a run without)."""
        return CostPlan.from_plan_dict(self.plan)

    @property
    def last_evaluated(self) -> Point | None:
        for p in reversed(self.points):
            if p.evaluated:
                return p
        return None

    @property
    def final_labels(self) -> int:
        return self.points[-1].labels if self.points else 0

    def stage_seconds(self) -> dict[str, float]:
        """Seconds per stage summed over the run's complete rounds."""
        out: dict[str, float] = {}
        for p in self.points:
            for k, v in p.timings.items():
                out[k] = out.get(k, 0.0) + float(v)
        return out


@dataclass
class Collection:
    """The runs a report covers, grouped by setting (in grid order)."""

    folder: Path
    kind: str  # "experiment" | "run" | "folder"
    name: str
    runs: list[RunData]
    settings: list[str]
    metrics: list[str]
    ceiling: dict[str, Any] | None = None
    experiment: dict[str, Any] | None = None
    missing: list[str] = field(default_factory=list)  # grid runs with no run.db yet

    def runs_of(self, setting: str) -> list[RunData]:
        return sorted((r for r in self.runs if r.setting == setting), key=lambda r: r.repeat)

    def plan_of(self, setting: str) -> dict[str, Any]:
        runs = self.runs_of(setting)
        return runs[0].plan if runs else {}

    @property
    def repeats(self) -> int:
        return max((r.repeat for r in self.runs), default=0)


def load_collection(path: str | Path) -> Collection:
    """Read an experiment folder, a single run folder, or a folder holding run folders."""
    folder = Path(path)
    if not folder.is_dir():
        raise RunError(f"{folder} is not a folder", code="X203",
                       hint="give an experiment folder (runs/<name>) or a run folder (one holding run.db)")
    if (folder / EXPERIMENT_FILE).is_file():
        return _load_experiment(folder)
    if (folder / "run.db").is_file():
        run = read_run(folder / "run.db", setting=None, repeat=1)
        return _collection(folder, "run", run.plan.get("name") or folder.name, [run], None, None, [])
    found = sorted(p for pattern in ("*/run.db", "*/*/run.db", "*/*/*/run.db") for p in folder.glob(pattern))
    if not found:
        raise RunError(f"{folder} holds no run: no run.db and no {EXPERIMENT_FILE}", code="X204",
                       hint="give the folder of a run (runs/<name>) or of an experiment")
    runs = []
    for db in found:
        rel = db.parent.relative_to(folder)
        m = _REPEAT.match(rel.name)
        setting = str(rel.parent) if m and str(rel.parent) != "." else str(rel)
        runs.append(read_run(db, setting=setting, repeat=int(m.group(1)) if m else 1))
    return _collection(folder, "folder", folder.name, runs, _read_ceiling(folder), None, [])


def _load_experiment(folder: Path) -> Collection:
    try:
        exp = json.loads((folder / EXPERIMENT_FILE).read_text(encoding="utf-8"))
        variants = exp["variants"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise RunError(f"cannot read {folder / EXPERIMENT_FILE}: {exc}", code="X205") from None
    runs, missing = [], []
    for v in variants:
        db = folder / v["name"] / "run.db"
        if not db.is_file():
            missing.append(v["name"])
            continue
        run = read_run(db, setting=v["setting"], repeat=int(v["repeat"]))
        if v.get("status") == "done" and isinstance(v.get("seconds"), (int, float)):
            run.wall_seconds = float(v["seconds"])
        runs.append(run)
    order = list(dict.fromkeys(v["setting"] for v in variants))
    return _collection(folder, "experiment", str(exp.get("name") or folder.name), runs, _read_ceiling(folder), exp,
                       missing, order)


def _collection(
    folder: Path,
    kind: str,
    name: str,
    runs: list[RunData],
    ceiling: dict[str, Any] | None,
    exp: dict[str, Any] | None,
    missing: list[str],
    order: list[str] | None = None,
) -> Collection:
    # a run without a complete round has nothing to show yet: like a run not started
    missing = missing + [str(r.path.relative_to(folder)) if r.path != folder else r.setting for r in runs if not r.points]
    runs = [r for r in runs if r.points]
    if not runs:
        raise RunError(f"{folder} holds no complete round yet: nothing to report", code="X206",
                       hint="report again once a round has finished")
    settings = order or list(dict.fromkeys(r.setting for r in runs))
    metrics: list[str] = []
    for r in runs:
        for m in (r.plan.get("evaluate") or {}).get("metrics") or []:
            if m not in metrics:
                metrics.append(m)
    if not metrics:  # a plan without the list: the scalar metrics found in the rounds
        for r in runs:
            for p in r.points:
                for k, v in p.metrics.items():
                    if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in metrics \
                            and k not in ("macro_labels", "undefined_labels", "n_items"):
                        metrics.append(k)
    # the estimates that need no test split, and the predictions' stability (alframe.stopping),
    # after the test metrics: curves of both side by side show how good the estimates are
    for k in SIGNALS:
        if k not in metrics and any(k in p.metrics for r in runs for p in r.points):
            metrics.append(k)
    return Collection(folder, kind, name, runs, settings, metrics, ceiling, exp, missing)


#: what a round stores besides its test metrics that needs no test split
SIGNALS = ("estimated_micro_f1", "expected_micro_f1", "stability")


def read_run(db: Path, *, setting: str | None, repeat: int) -> RunData:
    """One run's complete rounds, plan, finish state and labelled positives per label."""
    store = open_store_readonly(db)
    try:
        plan = json.loads(store.get_meta("plan") or "{}")
        points = [
            Point(r.round, r.labels, r.items, dict(r.timings), dict(r.train), dict(r.metrics))
            for r in store.rounds()
            if r.status == "complete"
        ]
        finished, reason, wall = False, None, None
        for _, kind, detail in store.events():
            if kind == FINISHED_EVENT:
                finished = True
                try:
                    info = json.loads(detail)
                    reason = info.get("stop_reason")
                    seconds = info.get("seconds")  # absent for a run finished over several sessions
                    wall = float(seconds) if isinstance(seconds, (int, float)) else None
                except (ValueError, AttributeError):
                    reason = None
        positives: dict[str, int] = {}
        for label, count in store.conn.execute(
            "SELECT label, SUM(value) FROM answers a WHERE revision = "
            "(SELECT MAX(revision) FROM answers b WHERE b.item = a.item AND b.label = a.label) GROUP BY label"
        ):
            positives[str(label)] = int(count or 0)
        annotation = _annotation(store)
    finally:
        store.close()
    name = setting if setting is not None else str(plan.get("name") or db.parent.name)
    return RunData(db.parent, name, repeat, plan, points, finished, reason, positives, wall, annotation)


#: Sources of answers that no person gave.
MACHINE_SOURCES = ("simulated",)
#: A pause longer than this between two answers is a break, not the time one answer took.
BREAK_SECONDS = 600.0


def _annotation(store: Any) -> dict[str, Any] | None:
    """What people answered in a run (every source but the simulated oracle), or None: per
    source the answers given (revisions included), yes, no, revisions, and the seconds between
    consecutive answers of one source (gaps over ten minutes are breaks and left out); skips
    are ``annotation_skipped`` events."""
    from alframe.oracles.context import SKIP_EVENT

    marks = ",".join("?" * len(MACHINE_SOURCES))
    rows = store.conn.execute(
        f"SELECT source, value, revision, time FROM answers WHERE source NOT IN ({marks}) ORDER BY time, rowid",
        MACHINE_SOURCES).fetchall()
    skips = sum(1 for _, kind, _ in store.events() if kind == SKIP_EVENT)
    if not rows and not skips:
        return None
    sources: dict[str, dict[str, Any]] = {}
    last: dict[str, float] = {}
    for source, value, revision, t in rows:
        d = sources.setdefault(str(source), {"answers": 0, "yes": 0, "no": 0, "revisions": 0, "gaps": []})
        d["answers"] += 1
        d["yes" if int(value) == 1 else "no"] += 1
        d["revisions"] += 1 if int(revision) > 1 else 0  # a cell's first answer is revision 1
        if source in last and 0 <= float(t) - last[source] <= BREAK_SECONDS:
            d["gaps"].append(float(t) - last[source])
        last[source] = float(t)
    return {"sources": sources, "skipped": skips}


def _read_ceiling(folder: Path) -> dict[str, Any] | None:
    data = read_json(folder / CEILING_FILE)
    metrics = data.get("metrics") if data is not None else None
    return metrics if isinstance(metrics, dict) else None
