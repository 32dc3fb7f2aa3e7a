"""The experiment: its variants' run folders and what ``experiment.json`` says of the grid.

The folder's files are the run record's (:mod:`alframe.record.experiment`: the grid record,
the ceiling, the lock; :mod:`alframe.record.folder`: one run folder per variant,
``<setting>/repeat-<r>``). Each run's own store is the truth about it: a run is complete when
its store holds the ``finished`` event the engine writes when it stops on its own (budget,
target, pool exhausted). ``experiment.json`` only mirrors the statuses for people and tools.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alframe.errors import RunError
from alframe.experiments.grid import Variant
from alframe.fsutil import child_folder
from alframe.plan import Plan
from alframe.record.experiment import write_experiment as record_experiment
from alframe.record.folder import is_run_folder

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
    """The grid record (``experiment.json``)."""
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
    return record_experiment(exp.folder, describe(exp, status))


def experiment_folder(base: Path, *, fresh: bool) -> Path:
    """``base``, or with ``fresh`` the first free sibling ``base-2``, ``base-3`` … (never deletes)."""
    if is_run_folder(base):
        raise RunError(f"{base} is the folder of a single run, not of an experiment", code="X106",
                       hint="use --out to choose another folder for the experiment")
    if not fresh or not base.exists() or not any(base.iterdir()):
        return base
    for k in range(2, 10_000):
        candidate = base.with_name(f"{base.name}-{k}")
        if not candidate.exists():
            return candidate
    raise RunError(f"no free folder name beside {base}", code="X107")


def axes_of(plan: Plan, variants: Sequence[Variant]) -> list[dict[str, Any]]:
    """The axes as JSON: word, plan path and the value names in grid order."""
    out = []
    for i, axis in enumerate(plan.vary):
        names = list(dict.fromkeys(v.values[i][1] for v in variants if len(v.values) > i))
        out.append({"key": axis.key, "path": axis.path, "values": names})
    return out
