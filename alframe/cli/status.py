"""``alframe status RUN [--json]``: where a run stands, read-only.

The run's round, the open round's questions answered and open, the budget left, the last
metrics (or a cold start's estimates), whether it is running, waiting for answers, interrupted
or finished, and the exact command that continues it. Everything comes from ``run.db``, opened
read-only (``mode=ro``, as ``alframe report`` opens it): status takes no lock, writes nothing,
and may be asked while a run goes on. Whether a run holds the folder is read from the kernel's
lock table (``/proc/locks``), never by taking the lock.

The ``--json`` object's keys are documented in docs/running.md ("Where a run stands").
"""

from __future__ import annotations

import argparse
import json
import shlex
from pathlib import Path
from typing import Any

import click

from alframe.cli import base

DESCRIPTION = """\
Say where a run stands: its state (new, running, waiting for answers, interrupted, finished),
the round, the round's questions answered and open, answers stored and budget left, the last
test metrics (or, without labelled test items, the estimates from the answers), and the command
that continues it. Reads run.db only: changes nothing, takes no lock, works while a run goes on."""

EXAMPLE = """\
examples:
  alframe status runs/quickstart
  alframe status runs/quickstart --json | jq .state
"""

#: the states a run folder can be in, in the order a run passes through them
STATES = ("new", "running", "waiting", "interrupted", "finished")


@click.command("status", cls=base.Command, short_help="where a run stands, and the command that continues it",
               help=DESCRIPTION, epilog=EXAMPLE)
@base.argument("run", metavar="RUN", help="the run folder (runs/<run name>, or the --out of alframe run)")
@click.option("--json", "json", is_flag=True, help="one JSON object (keys in docs/running.md)")
@base.global_options
@click.pass_context
def command(ctx: click.Context, **params: Any) -> int:
    return base.invoke(ctx, execute, params)


def execute(args: argparse.Namespace, terminal: Any) -> int:
    info = run_status(Path(args.run))
    if args.json:
        print(json.dumps(info, indent=2, sort_keys=False, allow_nan=False))
        return 0
    for line in status_lines(info):
        terminal.console.print(line, highlight=False, soft_wrap=True)
    return 0


def run_status(folder: Path) -> dict[str, Any]:
    """The status of the run in ``folder`` as a JSON-ready dict (see docs/running.md)."""
    from alframe.record import (
        FINISHED_EVENT,
        STOPPED_EVENT,
        open_store_readonly,
        questions_file,
        require_run_folder,
    )

    require_run_folder(folder)
    pid = _holder(folder)
    store = open_store_readonly(folder, code="R101")
    try:
        plan = json.loads(store.get_meta("plan") or "{}")
        spec_path = store.get_meta("spec_path") or plan.get("spec_path") or "SPEC"
        rounds = store.rounds()
        finished = store.last_event(FINISHED_EVENT)
        stopped = store.last_event(STOPPED_EVENT)
        current = store.current_answers()
        open_row = rounds[-1] if rounds and not rounds[-1].complete else None
        asked = store.queries(open_row.round) if open_row is not None else []
    finally:
        store.close()

    from alframe.plan import CostPlan

    complete = [r for r in rounds if r.complete]
    answered_cells = {(a.item, a.label) for a in current}
    touched = len({item for item, _ in answered_cells})
    cost_model = CostPlan.from_plan_dict(plan)
    answered_now = sum(1 for item, label, _, _ in asked if (item, label) in answered_cells)
    budget = int((plan.get("query") or {}).get("budget") or 0)
    metric_names = list((plan.get("evaluate") or {}).get("metrics") or [])
    last = next((r for r in reversed(complete) if r.metrics), None)
    metrics = {m: last.metrics.get(m) for m in metric_names} if last is not None else {}
    estimate = last.metrics.get("estimate") if last is not None else None
    signals = {k: last.metrics[k] for k in SIGNAL_KEYS if k in last.metrics} if last is not None else {}

    waiting_round = None
    if stopped is not None and str(stopped.get("reason", "")).startswith("waiting for"):
        waiting_round = stopped.get("round")

    if pid is not None:
        state = "running"
    elif not rounds:
        state = "new"
    elif open_row is None and finished is not None and finished.get("rounds") == len(complete):
        state = "finished"
    elif open_row is not None and waiting_round == open_row.round and answered_now < len(asked):
        state = "waiting"
    else:
        state = "interrupted"

    command = f"alframe run {shlex.quote(str(spec_path))} --out {shlex.quote(str(folder))}"
    oracle = plan.get("oracle") or {}
    answers_file = dict(oracle.get("args") or []).get("path") if oracle.get("name") == "file" else None
    questions = None
    if open_row is not None:
        found = questions_file(folder, open_row.round)
        questions = str(found) if found.exists() else None
    info: dict[str, Any] = {
        "run": plan.get("name") or folder.name,
        "folder": str(folder),
        "state": state,
        "round": open_row.round if open_row is not None else (complete[-1].round if complete else None),
        "rounds_complete": len(complete),
        "questions": {
            "round": open_row.round if open_row is not None else None,
            "asked": len(asked),
            "answered": answered_now,
            "open": len(asked) - answered_now,
        },
        "answers": len(answered_cells),
        "items": touched,
        "cost": cost_model.of(len(answered_cells), touched),
        "cost_model": {"item": cost_model.item, "cell": cost_model.cell},
        "budget": budget,
        "budget_left": max(budget - len(answered_cells), 0),
        "metrics_round": last.round if last is not None else None,
        "metrics": metrics,
        "estimate": estimate if isinstance(estimate, dict) else None,
        "estimates": signals or None,
        "stop_reason": (finished or {}).get("stop_reason") if state == "finished" else
        (stopped or {}).get("reason") if state == "waiting" else None,
        "questions_file": questions if state == "waiting" else None,
        "answers_file": answers_file,
        "running_pid": pid,
        "continue": None if state in ("finished", "running") else command,
    }
    return info


def _holder(folder: Path) -> int | None:
    """The pid of an ``alframe run`` (or ``answer``) holding the folder, from the kernel's lock
    table; the lock is never taken, so status cannot get in a starting run's way."""
    from alframe.fsutil import flock_holder

    return flock_holder(folder)


def status_lines(info: dict[str, Any]) -> list[str]:
    """The plain-text status, one fact a line."""
    from alframe.display.fit import metric_text  # not display.progress: that imports Lightning

    q = info["questions"]
    lines = [f"{info['run']}: {_state_text(info)}  ({info['folder']})"]
    if info["round"] is not None:
        lines.append(f"round {info['round']}; {info['rounds_complete']} round(s) complete")
    if q["round"] is not None:
        lines.append(f"round {q['round']} questions: {q['answered']:,} answered, {q['open']:,} open of {q['asked']:,}")
    model = info["cost_model"]
    priced = (model["item"], model["cell"]) != (0.0, 1.0)  # the default cost is the answers again
    spent = f"{info['cost']:,.0f}" if float(info["cost"]).is_integer() else f"{info['cost']:,.1f}"  # as the live view
    cost = f"cost {spent} (item {model['item']:g}, cell {model['cell']:g}); " if priced else ""
    lines.append(
        f"answers {info['answers']:,} on {info['items']:,} items; {cost}budget {info['budget']:,}, "
        f"{info['budget_left']:,} left"
    )
    if info["metrics"] and any(v is not None for v in info["metrics"].values()):
        shown = "  ".join(f"{m} {metric_text(info['metrics'], m)}" for m in info["metrics"])
        lines.append(f"test metrics (round {info['metrics_round']}): {shown}")
    if info.get("estimates"):
        signals = {k: v for k, v in info["estimates"].items() if not (info["estimate"] and k == "expected_micro_f1")}
        lines.append(f"without a test split (round {info['metrics_round']}): " + signals_text(signals))
    if info["estimate"]:
        from alframe.cli.run import estimate_text

        lines.append(f"round {info['metrics_round']}: " + estimate_text(info["estimate"]))
    if info["state"] == "waiting":
        where = info["answers_file"] or "the answers file"
        lines.append(
            f"to answer: fill in the value column of {info['questions_file'] or 'the questions file'} and save it "
            f"as (or append it to) {where}"
        )
    if info["continue"]:
        lines.append(f"continue with: {info['continue']}")
    return lines


#: what a round stores besides its test metrics that needs no test split (alframe.stopping)
SIGNAL_KEYS = ("estimated_micro_f1", "expected_micro_f1", "stability")
_SIGNAL_WORDS = {
    "estimated_micro_f1": "micro-F1 estimated from the answers",
    "expected_micro_f1": "expected by the model",
    "stability": "stability (kappa)",
}


def signals_text(signals: dict[str, Any]) -> str:
    """``micro-F1 estimated from the answers 0.484; expected by the model 0.766; stability (kappa) 0.907``."""
    return "; ".join(
        f"{_SIGNAL_WORDS[k]} " + ("undefined" if signals[k] is None else f"{signals[k]:.3f}")
        for k in SIGNAL_KEYS if k in signals
    )


def _state_text(info: dict[str, Any]) -> str:
    state = info["state"]
    if state == "running":
        return f"running (pid {info['running_pid']})"
    if state == "new":
        return "new: no round started yet"
    if state == "waiting":
        return f"waiting for {info['questions']['open']:,} answer(s)"
    if state == "finished":
        return f"finished: {info['stop_reason']}"
    return "interrupted" + (f" in round {info['questions']['round']}" if info["questions"]["round"] is not None
                            else " between rounds")
