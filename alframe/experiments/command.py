"""What ``alframe run`` (a spec with vary/repeat/ceiling) and ``alframe compare`` do.

Both build an :class:`~alframe.experiments.layout.Experiment`, run it with one progress view
over the whole grid, then write the report into the experiment folder and print its main
tables.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from alframe.experiments.grid import expand, expand_plans
from alframe.experiments.layout import Experiment, axes_of, experiment_folder
from alframe.experiments.progress import GridObserver, LiveGridProgress, PlainGridProgress
from alframe.experiments.runner import GridResult, run_grid
from alframe.fsutil import child_folder
from alframe.plan import Plan
from alframe.plugins import Plugins


def run_experiment(plan: Plan, plugins: Plugins, args: argparse.Namespace, terminal: Any) -> int:
    """Run the grid a spec describes (``vary``, ``repeat``, ``ceiling``); 0, or 130 if stopped."""
    base = Path(args.out) if getattr(args, "out", None) else child_folder(Path("runs"), plan.name)
    folder = experiment_folder(base, fresh=bool(getattr(args, "fresh", False)))
    if plan.ceiling_only:
        return ceiling_alone(plan, plugins, folder, terminal)
    variants = expand(plan, plugins.registry)
    exp = Experiment(
        name=plan.name,
        folder=folder,
        base=plan,
        variants=variants,
        kind="grid",
        ceiling=plan.ceiling,
        specs=[plan.spec_path],
        axes=axes_of(plan, variants),
        repeat=plan.repeat,
    )
    resume = f"alframe run {getattr(args, 'spec', plan.spec_path)}"
    if folder != Path("runs") / plan.name:  # --out, or --fresh chose a new folder
        resume += f" --out {folder}"
    return execute_experiment(exp, plugins, args, terminal, resume)


def ceiling_alone(plan: Plan, plugins: Plugins, folder: Path, terminal: Any) -> int:
    """``ceiling yes`` without a query block: the spec's model on the whole labelled pool, its
    metrics printed and kept in ``ceiling.json`` (reused while data and model are unchanged)."""
    from alframe.experiments.ceiling import ceiling
    from alframe.record.experiment import ceiling_path, read_ceiling

    folder.mkdir(parents=True, exist_ok=True)
    console = terminal.console
    console.print(f"alframe run {plan.name}: the ceiling alone → {folder}", highlight=False)
    metrics = ceiling(plan, plugins, folder, _Say(console))
    record = read_ceiling(folder) or {}
    from alframe.display.fit import print_fitted

    names = list(plan.evaluate.metrics)
    row = [("undefined" if metrics.get(m) is None else f"{metrics[m]:.4f}") for m in names]
    print_fitted(console, ["", *names], [["ceiling", *row]], title=f"{plan.name}: ceiling",
                 width=None if console.is_terminal else 400)
    held = record.get("held_out_items", 0)
    console.print(
        f"trained on {record.get('items', 0):,} of {record.get('pool_items', 0):,} pool items "
        f"({record.get('labels', 0):,} known cells)" + (f", {held:,} held out for thresholds or early stopping" if held else "")
        + f" in {record.get('train_seconds', 0.0):.1f} s; {ceiling_path(folder)}",
        highlight=False,
    )
    return 0


class _Say:
    """The ``message(text)`` a ceiling reports its progress to, printed as it comes."""

    def __init__(self, console: Any) -> None:
        self.console = console

    def message(self, text: str) -> None:
        self.console.print(text, highlight=False)


def compare_experiment(
    plans: list[Plan], plugins: Plugins, *, repeat: int, seed: int, folder: Path, ceiling: bool
) -> Experiment:
    """The experiment of ``alframe compare``: one setting per spec, shared seeds per repeat.

    One ceiling serves the whole comparison (so "0.95 of ceiling" is one number for every
    setting): the model of the first spec that asks for it, else of the first spec.
    """
    from dataclasses import replace

    from alframe.experiments.ceiling import needs_ceiling

    variants = expand_plans(plans, plugins.registry, repeat=repeat, seed=seed)
    asking = [p for p in plans if needs_ceiling(p)]
    wanted = ceiling or bool(asking)
    base = asking[0] if asking else plans[0]
    if wanted and not base.ceiling:
        base = replace(base, ceiling=True)
    return Experiment(
        name=folder.name,
        folder=folder,
        base=base,
        variants=variants,
        kind="compare",
        ceiling=wanted,
        specs=[p.spec_path for p in plans],
        axes=[{"key": "run", "path": "", "values": [p.name for p in plans]}],
        repeat=repeat,
    )


def execute_experiment(exp: Experiment, plugins: Plugins, args: argparse.Namespace, terminal: Any, resume: str) -> int:
    """Run with the grid view, then report; the exit code of the command."""
    console = terminal.console
    live = bool(getattr(terminal, "interactive", False)) and not getattr(args, "plain", False)
    view: GridObserver
    if live:
        view = LiveGridProgress(console, exp.variants, exp.name)
    else:
        view = PlainGridProgress(console, exp.variants, exp.name)
        console.print(f"alframe {exp.kind} {exp.name} → {exp.folder}", highlight=False, markup=False)
    with view:
        result = run_grid(exp, plugins, view, force=bool(getattr(args, "force", False)))
    _report(result, console, getattr(args, "no_report", False))
    if result.interrupted:
        console.print(f"stopped; resume with: {resume}", highlight=False, markup=False, soft_wrap=True)
        return 130
    return 0


def _report(result: GridResult, console: Any, skip: bool) -> None:
    if skip:
        return
    from alframe.errors import RunError
    from alframe.report import build_report, print_tables

    try:
        rep = build_report(result.folder)
    except RunError as exc:
        if exc.code != "X206":
            raise
        console.print("no complete round yet: no report", highlight=False)
        return
    print_tables(rep, console)
