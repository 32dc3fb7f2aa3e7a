"""Reading runs for a report: one run folder, an experiment folder, or a folder of runs.

Everything comes from each run's store (opened read-only, so a report can be made while a
run goes on) and, for an experiment, its grid record (which runs form the grid, their
settings and repeats) and ceiling record, all read through :mod:`alframe.record`. Only
complete rounds count.

A round's metrics are a point of the learning curve only when the round evaluated (its timings
hold an ``evaluate`` stage): with ``evaluate { every N }`` the rounds between carry the previous
metrics forward, which would draw a flat, stale line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from alframe.errors import RunError
from alframe.plan import CostPlan
from alframe.record import FINISHED_EVENT, Round, find_run_folders, is_run_folder, open_store_readonly
from alframe.record.experiment import (
    EXPERIMENT_FILE,
    ceiling_metrics,
    experiment_path,
    is_experiment,
    read_experiment_json,
    repeat_of,
)
from alframe.record.folder import DB_FILE

#: one complete round of a run, as the report reads it
Point = Round


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
    missing: list[str] = field(default_factory=list)  # grid runs with no run store yet

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
    if is_experiment(folder):
        return _load_experiment(folder)
    if is_run_folder(folder):
        run = read_run(folder, setting=None, repeat=1)
        return _collection(folder, "run", run.plan.get("name") or folder.name, [run], None, None, [])
    found = find_run_folders(folder)
    if not found:
        raise RunError(f"{folder} holds no run: no {DB_FILE} and no {EXPERIMENT_FILE}", code="X204",
                       hint="give the folder of a run (runs/<name>) or of an experiment")
    runs = []
    for run_folder in found:
        rel = run_folder.relative_to(folder)
        repeat = repeat_of(rel.name)
        setting = str(rel.parent) if repeat is not None and str(rel.parent) != "." else str(rel)
        runs.append(read_run(run_folder, setting=setting, repeat=repeat if repeat is not None else 1))
    return _collection(folder, "folder", folder.name, runs, ceiling_metrics(folder), None, [])


def _load_experiment(folder: Path) -> Collection:
    exp = read_experiment_json(folder, code="X205")
    try:
        variants = exp["variants"]
    except (KeyError, TypeError) as exc:
        raise RunError(f"cannot read {experiment_path(folder)}: {exc}", code="X205") from None
    runs, missing = [], []
    for v in variants:
        if not is_run_folder(folder / v["name"]):
            missing.append(v["name"])
            continue
        run = read_run(folder / v["name"], setting=v["setting"], repeat=int(v["repeat"]))
        if v.get("status") == "done" and isinstance(v.get("seconds"), (int, float)):
            run.wall_seconds = float(v["seconds"])
        runs.append(run)
    order = list(dict.fromkeys(v["setting"] for v in variants))
    return _collection(folder, "experiment", str(exp.get("name") or folder.name), runs, ceiling_metrics(folder), exp,
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


def read_run(folder: Path, *, setting: str | None, repeat: int) -> RunData:
    """One run's complete rounds, plan, finish state and labelled positives per label."""
    store = open_store_readonly(folder)
    try:
        plan = json.loads(store.get_meta("plan") or "{}")
        points = store.complete_rounds()
        info = store.last_event(FINISHED_EVENT)
        finished = info is not None
        reason = (info or {}).get("stop_reason")
        seconds = (info or {}).get("seconds")  # absent for a run finished over several sessions
        wall = float(seconds) if isinstance(seconds, (int, float)) else None
        positives = store.positives_per_label()
        annotation = _annotation(store)
    finally:
        store.close()
    name = setting if setting is not None else str(plan.get("name") or folder.name)
    return RunData(folder, name, repeat, plan, points, finished, reason, positives, wall, annotation)


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

    rows = store.answers_by_sources_other_than(MACHINE_SOURCES)
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
