"""The experiment folder: ``experiment.json`` (the grid), a lock, and one run folder per variant.

::

    runs/<name>/
      experiment.json      what the grid is: axes, repeats, every variant with its seed and status
      ceiling.json         the ceiling's metrics (when asked for)
      experiment.lock      one runner at a time
      <setting>/repeat-<r>/   an ordinary run folder (run.db, checkpoints, metrics.csv …)
      report/              index.html, *.png, *.csv, summary.json

Each run's own ``run.db`` is the truth about it: a run is complete when its store holds the
``finished`` event the runner writes after the engine stops on its own (budget, target, pool
exhausted). ``experiment.json`` only mirrors the statuses for people and tools.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alframe.errors import RunError
from alframe.experiments.grid import Variant
from alframe.fsutil import FolderLock, child_folder
from alframe.plan import Plan
from alframe.report.files import open_store_readonly, write_json
from alframe.store import FINISHED_EVENT

EXPERIMENT_FILE = "experiment.json"
LOCK_FILE = "experiment.lock"
FORMAT = 1


@dataclass
class Experiment:
    """A grid to run: its folder, the spec's own plan (for the ceiling) and the variants."""

    name: str
    folder: Path
    base: Plan
    variants: list[Variant]
    kind: str = "grid"  # "grid" (vary/repeat in a spec) | "compare" (several specs)
    ceiling: bool = False
    specs: list[str] = field(default_factory=list)
    axes: list[dict[str, Any]] = field(default_factory=list)
    repeat: int = 1
    targets: list[str] = field(default_factory=list)  # report targets ("micro_f1=0.9:ceiling")

    def run_folder(self, v: Variant) -> Path:
        """``<experiment>/<setting>/repeat-<r>``: each part one folder name, never a way out."""
        path = self.folder
        for part in v.name.split("/"):
            path = child_folder(path, part, what="setting name", code="X111")
        return path


def describe(exp: Experiment, status: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """The JSON of ``experiment.json``."""
    status = status or {}
    return {
        "format": FORMAT,
        "kind": exp.kind,
        "name": exp.name,
        "specs": exp.specs or [exp.base.spec_path],
        "seed": exp.base.seed,
        "repeat": exp.repeat,
        "ceiling": exp.ceiling,
        "axes": exp.axes,
        "targets": exp.targets,
        "variants": [
            {
                "name": v.name,
                "setting": v.setting,
                "repeat": v.repeat,
                "seed": v.seed,
                "values": dict(v.values),
                "fingerprint": v.plan.fingerprint(),
                **status.get(v.name, {"status": "waiting"}),
            }
            for v in exp.variants
        ],
        "updated": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }


def write_experiment(exp: Experiment, status: dict[str, dict[str, Any]] | None = None) -> Path:
    path = exp.folder / EXPERIMENT_FILE
    write_json(path, describe(exp, status))
    return path


def read_experiment(folder: Path) -> dict[str, Any] | None:
    path = folder / EXPERIMENT_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunError(f"cannot read {path}: {exc}", code="X105") from None
    return data if isinstance(data, dict) else None


def run_state(folder: Path) -> tuple[str, dict[str, Any]]:
    """("complete" | "partial" | "waiting", details) of one variant's run folder, read-only."""
    db = folder / "run.db"
    if not db.is_file():
        return "waiting", {}
    store = open_store_readonly(db)
    try:
        done = [r for r in store.rounds() if r.status == "complete"]
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


def experiment_folder(base: Path, *, fresh: bool) -> Path:
    """``base``, or with ``fresh`` the first free sibling ``base-2``, ``base-3`` … (never deletes)."""
    if (base / "run.db").exists():
        raise RunError(f"{base} is the folder of a single run, not of an experiment", code="X106",
                       hint="use --out to choose another folder for the experiment")
    if not fresh or not base.exists() or not any(base.iterdir()):
        return base
    for k in range(2, 10_000):
        candidate = base.with_name(f"{base.name}-{k}")
        if not candidate.exists():
            return candidate
    raise RunError(f"no free folder name beside {base}", code="X107")


def experiment_lock(folder: Path) -> FolderLock:
    """An exclusive lock on the experiment folder: a second runner is refused, named."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunError(f"cannot create the experiment folder {folder}: {exc.strerror}", code="X108") from None
    return FolderLock(folder, LOCK_FILE, what="experiment folder", code="X109")


def axes_of(plan: Plan, variants: Sequence[Variant]) -> list[dict[str, Any]]:
    """The axes as JSON: word, plan path and the value names in grid order."""
    out = []
    for i, axis in enumerate(plan.vary):
        names = list(dict.fromkeys(v.values[i][1] for v in variants if len(v.values) > i))
        out.append({"key": axis.key, "path": axis.path, "values": names})
    return out
