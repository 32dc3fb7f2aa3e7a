"""``alframe run SPEC``: run (or resume) the active-learning experiment a spec describes."""

from __future__ import annotations

import argparse
import signal
from typing import Any

import click

from alframe.cli import base

DESCRIPTION = """\
Run the experiment a spec describes, round after round: choose the seed set, train, score the
pool, ask the oracle, and repeat until the budget is spent, a target is reached or the pool runs
out. Everything is stored in the run folder (runs/<name>/ by default): run.db (every answer,
round and metric), metrics.csv, checkpoints, a copy of the spec and the plugin versions.

Stop it any time (Ctrl-C): the same command resumes from the last completed round and never
asks again for a label it already has.

Exit status: 0 the run ended (budget, target, rounds, pool); 75 it waits for answers (oracle
file: fill in the questions file, then run the same command again); 130 stopped by Ctrl-C;
2 spec, 3 data, 4 plugin, 5 run folder, 70 internal error (docs/running.md)."""

#: ``alframe run`` stopped to wait for a person's answers (``oracle file``): not an error, not
#: the end; sysexits' EX_TEMPFAIL, "try again later" — the same command continues
EXIT_WAITING = 75

EXAMPLE = """\
examples:
  alframe run specs/quickstart.al
  alframe run specs/quickstart.al --out /tmp/qs --plain
  alframe run specs/quickstart.al --fresh      # a new run folder beside the old one
  alframe run specs/quickstart.al --set query.budget=20000 --out runs/qs-20k
"""


@click.command("run", cls=base.Command, short_help="run or resume the experiment of a spec",
               help=DESCRIPTION, epilog=EXAMPLE)
@base.argument("spec", metavar="SPEC", help="the .al spec file")
@click.option("--out", metavar="DIR", help="run folder (default: runs/<run name>)")
@click.option("--fresh", is_flag=True, help="start over in a new folder (the old run is kept)")
@click.option("--force", is_flag=True, help="resume although the spec or data changed (recorded)")
@click.option("--plain", is_flag=True, help="one line per round instead of the live display")
@click.option("--no-report", is_flag=True, help="skip writing report/ at the end (alframe report does it later)")
@base.set_option
@base.global_options
@click.pass_context
def command(ctx: click.Context, **params: Any) -> int:
    return base.invoke(ctx, execute, params)


def execute(args: argparse.Namespace, terminal: Any) -> int:
    from alframe.cli.common import compile_spec, load_plugins

    plugins = load_plugins(args)
    plan = compile_spec(args.spec, plugins, args)  # before torch and Lightning: a bad spec is said at once
    from alframe.display.progress import LiveProgress, PlainProgress
    from alframe.engine import Engine
    from alframe.record import RunFolder

    if plan.vary or plan.repeat > 1 or plan.ceiling:
        from alframe.experiments import run_experiment

        return run_experiment(plan, plugins, args, terminal)
    late = _AfterStop()
    with late:
        with RunFolder.open(plan, plugins, args.out, fresh=args.fresh, force=args.force) as rd:
            oracle = plugins.registry.build("oracle", plan.oracle.name, plan.oracle.kwargs)
            # a person answering in this terminal needs it: no live view over the questions
            live = terminal.interactive and not args.plain and not getattr(oracle, "interactive", False)
            view = LiveProgress(terminal.console) if live else PlainProgress(terminal.console)
            if not live:
                terminal.console.print(f"alframe run {plan.name} → {rd.path}", highlight=False)
            with view:
                late.engine = Engine(rd.plan, plugins, rd, observer=view)
                summary = late.engine.run()
        resume = f"resume with: alframe run {args.spec}" + (f" --out {args.out}" if args.out else "")
        print_summary(terminal, plan, summary)
        if summary.history and not args.no_report:
            from alframe.report import build_report

            late.in_report = True
            try:
                report = build_report(summary.run_dir)
                terminal.console.print(f"report: {report.folder / 'index.html'}", highlight=False)
            except KeyboardInterrupt:
                if not summary.interrupted:
                    raise
                terminal.console.print("report skipped (alframe report writes it later)", highlight=False)
            late.in_report = False
    if summary.interrupted:
        terminal.console.print(resume, highlight=False)
        return 130
    if summary.waiting:
        terminal.console.print(
            f"waiting for answers (exit {EXIT_WAITING}); then continue with: alframe run {args.spec}"
            + (f" --out {args.out}" if args.out else ""),
            highlight=False,
        )
        return EXIT_WAITING
    return 0


class _AfterStop:
    """Ctrl-C around the engine (which handles it while it runs): once a stop was asked, one
    more Ctrl-C while the run folder closes and the summary prints is ignored, so the command
    still says how to resume; during the report it skips the report."""

    def __init__(self) -> None:
        self.engine: Any = None
        self.in_report = False
        self._previous: Any = None

    def __call__(self, signum: int, frame: Any) -> None:
        if self.engine is not None and self.engine.stop_requested and not self.in_report:
            return
        raise KeyboardInterrupt

    def __enter__(self) -> _AfterStop:
        try:
            self._previous = signal.signal(signal.SIGINT, self)
        except ValueError:  # not the main thread: leave signals alone
            self._previous = None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def print_summary(terminal: Any, plan: Any, summary: Any) -> None:
    """The end-of-run table: one row per round (numbered from 0, as everywhere), never a number
    cut: at 80 columns the columns that do not fit go to a second table with the round again."""
    from alframe.display.fit import print_fitted, with_separators
    from alframe.display.progress import ESTIMATE, cost_text, metric_text

    console = terminal.console
    last = summary.history[-1].metrics if summary.history else None
    # without labelled test items every test metric is undefined: the model's estimate instead
    names = [ESTIMATE] if last and "estimate" in last else list(plan.evaluate.metrics)
    from alframe.display.fit import SIGNALS  # what needs no test split, from round 1 (alframe.stopping)

    names += [n for n, key in SIGNALS.items() if last and key in last and n not in names]
    priced = not plan.cost.is_default  # the default cost is the answers column again
    columns = ["round", "answers", "items", *(["cost"] if priced else []), *names, "train s", "round s"]
    rows = [
        [
            str(r.round),
            f"{r.labels_used:,}",
            f"{r.items_touched:,}",
            *([cost_text(r.cost)] if priced else []),
            *[metric_text(r.metrics, m) for m in names],
            f"{r.timings.get('train', 0.0):,.1f}",
            f"{sum(r.timings.values()):,.1f}",
        ]
        for r in summary.history
    ]
    wide = None if console.is_terminal else 400  # a log is read as wide as it needs
    print_fitted(console, columns, rows, title=f"{plan.name}: {with_separators(str(summary.stop_reason))}",
                 width=wide, key_justify="right")
    console.print(
        f"answered cells {summary.labels_used:,} of a budget of {plan.query.budget:,}, on {summary.items_touched:,} items; "
        + (f"cost {cost_text(summary.cost)} (item {plan.cost.item:g}, cell {plan.cost.cell:g}); " if priced else "")
        + f"run folder {summary.run_dir}",
        highlight=False,
    )
    estimate = summary.metrics.get("estimate") if isinstance(summary.metrics, dict) else None
    if isinstance(estimate, dict):
        terminal.console.print(estimate_text(estimate), highlight=False, soft_wrap=True)
    from alframe.health import curve_falls

    for fall in curve_falls(summary.history, list(plan.evaluate.metrics)):
        console.print(f"warning: {fall.text()}", style="yellow", highlight=False, soft_wrap=True)


def estimate_text(estimate: dict[str, Any]) -> str:
    """The cold start's line in place of test metrics (see docs/annotating.md)."""
    f1 = estimate.get("expected_micro_f1")
    f1_text = f"{f1:.3f}" if isinstance(f1, (int, float)) else "—"
    return (
        "no labelled test items: alframe cannot report test metrics. Estimates from the answers: "
        f"{estimate.get('answers', 0):,} answers on {estimate.get('items', 0):,} items, "
        f"{estimate.get('positives', 0):,} positive; the model's expected micro-F1 on the pool {f1_text} "
        "(its belief about itself, not a measurement)"
    )
