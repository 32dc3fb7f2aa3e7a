"""Running a grid: every variant as an ordinary, resumable run in its own folder.

Each variant is opened with :meth:`RunFolder.open <alframe.record.RunFolder.open>` and run by the
:class:`~alframe.engine.Engine` exactly as ``alframe run`` runs a single spec, so all of a run's
promises hold per variant (labels committed first, resume, refusal after a spec change). When
the engine stops on its own (budget, target, exhausted pool) it records the ``finished`` event
in that run's store, as for a single run; the same command run again skips finished variants,
resumes a half-done one and starts the rest.

Ctrl-C stops the running variant at its next safe point (the engine's own handling) and ends
the grid there; an error in a variant is recorded in ``experiment.json`` and stops the grid.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alframe.engine import Engine, Summary
from alframe.errors import AlframeError
from alframe.experiments.ceiling import ceiling as train_ceiling
from alframe.experiments.ceiling import needs_ceiling
from alframe.experiments.grid import Variant
from alframe.experiments.layout import Experiment, write_experiment
from alframe.experiments.progress import GridObserver
from alframe.plugins import Plugins
from alframe.record import RunFolder, run_progress
from alframe.record.experiment import experiment_lock


@dataclass
class Outcome:
    variant: Variant
    status: str  # "done" | "skipped" (done before) | "interrupted" | "failed"
    summary: Summary | None = None
    seconds: float = 0.0


@dataclass
class GridResult:
    folder: Path
    outcomes: list[Outcome] = field(default_factory=list)
    interrupted: bool = False
    ceiling: dict[str, Any] | None = None

    @property
    def ran(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "done"]


def run_grid(exp: Experiment, plugins: Plugins, observer: GridObserver | None = None, *, force: bool = False) -> GridResult:
    """Run (or resume) every variant of ``exp``; returns what happened to each.

    :param force: resume variants whose spec or data changed (recorded in each run's events).
    """
    observer = observer or GridObserver(exp.variants)
    result = GridResult(exp.folder)
    with experiment_lock(exp.folder):
        status: dict[str, dict[str, Any]] = {}
        shown: dict[str, str] = {}
        details: dict[str, str] = {}
        for v in exp.variants:
            state, info = run_progress(exp.run_folder(v))
            status[v.name] = {"status": "done" if state == "complete" else state, **info}
            shown[v.name] = status[v.name]["status"]
            if state != "waiting":
                details[v.name] = f"{info.get('rounds', 0)} rounds, {info.get('labels', 0):,} answers"
        write_experiment(exp, status)
        observer.grid_started(shown, details)
        try:
            if needs_ceiling(exp.base):
                observer.message("ceiling: the spec's model on the whole labelled pool")
                result.ceiling = train_ceiling(exp.base, plugins, exp.folder, observer)
            for v in exp.variants:
                if status[v.name]["status"] == "done":
                    result.outcomes.append(Outcome(v, "skipped"))
                    continue
                outcome = _run_variant(exp, v, plugins, observer, result.ceiling, force, status)
                result.outcomes.append(outcome)
                if outcome.status == "interrupted":
                    result.interrupted = True
                    break
        except KeyboardInterrupt:
            result.interrupted = True
        finally:
            write_experiment(exp, status)
    return result


def _run_variant(
    exp: Experiment,
    v: Variant,
    plugins: Plugins,
    observer: GridObserver,
    ceiling: dict[str, Any] | None,
    force: bool,
    status: dict[str, dict[str, Any]],
) -> Outcome:
    observer.variant_started(v)
    resumed = status.get(v.name, {}).get("status") in ("partial", "interrupted", "failed")
    status[v.name] = {"status": "running"}
    write_experiment(exp, status)
    t0 = time.perf_counter()
    try:
        with RunFolder.open(v.plan, plugins, exp.run_folder(v), force=force) as rd:
            summary = Engine(rd.plan, plugins, rd, observer=observer, ceiling=ceiling).run()
            seconds = time.perf_counter() - t0
            # wall seconds describe the whole run only when it ran start to end in this session
            timing = {("seconds_this_session" if resumed else "seconds"): round(seconds, 3)}
    except KeyboardInterrupt:
        status[v.name] = {"status": "interrupted"}
        observer.variant_finished(v, "interrupted", "")
        return Outcome(v, "interrupted", None, time.perf_counter() - t0)
    except AlframeError as exc:
        status[v.name] = {"status": "failed", "error": str(exc)}
        observer.variant_finished(v, "failed", str(exc))
        raise
    info = {"rounds": summary.rounds, "labels": summary.labels_used, "stop_reason": summary.stop_reason, **timing}
    if summary.interrupted:
        status[v.name] = {"status": "interrupted", **info}
        observer.variant_finished(v, "interrupted", f"{summary.rounds} rounds")
        return Outcome(v, "interrupted", summary, seconds)
    status[v.name] = {"status": "done", **info}
    observer.variant_finished(v, "done", f"{summary.rounds} rounds, {summary.labels_used:,} answers; {summary.stop_reason}")
    return Outcome(v, "done", summary, seconds)
