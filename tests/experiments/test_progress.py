from __future__ import annotations

import time
from pathlib import Path

from experiment_plans import small_plan
from rich.console import Console

from alframe.experiments import Experiment, expand, run_grid
from alframe.experiments.progress import GridObserver, LiveGridProgress, PlainGridProgress
from alframe.plan import Call, VaryAxis
from alframe.plugins import load

AXIS = VaryAxis("policy", "query.policy", (Call("random"), Call("uncertainty")))


def test_eta_from_finished_runs_and_waiting_ones() -> None:
    variants = expand(small_plan(vary=(AXIS,), repeat=2))
    obs = GridObserver(variants)
    assert obs.eta() is None  # nothing to go on yet
    obs.grid_started({variants[0].name: "done"}, {})
    obs.variant_started(variants[1])
    obs.variant_started_at = time.perf_counter() - 10
    obs.variant_finished(variants[1], "done", "")
    assert obs.durations and abs(obs.durations[0] - 10) < 1
    # two waiting runs at ~10 s each
    assert 19 < obs.eta() < 21  # type: ignore[operator]
    assert obs.counts() == {"done": 2, "waiting": 2}


def _grid(tmp_path: Path, view_cls: type, console: Console) -> None:
    plugins = load(autoload=False)
    plan = small_plan("view", vary=(AXIS,), budget=80)
    variants = expand(plan, plugins.registry)
    exp = Experiment("view", tmp_path / "exp", plan, variants)
    with view_cls(console, variants, "view") as view:
        run_grid(exp, plugins, view)


def test_live_view_lists_every_run_and_its_state(tmp_path: Path) -> None:
    console = Console(record=True, force_terminal=True, width=140, color_system=None)
    _grid(tmp_path, LiveGridProgress, console)
    text = console.export_text()
    assert "runs 2 of 2 done" in text
    assert "policy=random/repeat-1" in text and "policy=uncertainty/repeat-1" in text
    assert "done" in text


def test_plain_view_prints_run_and_round_lines(tmp_path: Path) -> None:
    console = Console(record=True, width=200, color_system=None)
    _grid(tmp_path, PlainGridProgress, console)
    text = console.export_text()
    assert "alframe view: 2 runs (0 already complete)" in text
    assert "[1/2] policy=random/repeat-1: started" in text
    assert "[2/2] policy=uncertainty/repeat-1: started" in text
    assert "round   0 | answers" in text
    assert "policy=uncertainty/repeat-1: done" in text
