"""``alframe report PATH``: the report of an experiment folder or of one run folder."""

from __future__ import annotations

import argparse
from typing import Any

import click

from alframe.cli import base

DESCRIPTION = """\
Write the report of an experiment folder (runs/<name>/ of a spec with vary/repeat, or of
`alframe compare`) or of a single run folder, and print its verdict and main tables:

  - one line first: which setting reaches the target with how many times fewer answered cells
    than random sampling, or that none does;
  - learning curves (answered cells against each metric), mean with a band over repeats, one
    line per setting in the same colour in every plot, random sampling dashed as the baseline;
  - answers to target (first evaluated round at or above it, no interpolation), the saving
    against the paired random setting, area under the learning curve, final metrics;
  - time: seconds per round by stage, rounds and seconds per run, answers per second of training;
  - per label: F1, AP, precision, recall, support; F1 against the label's number of positives;
  - for runs answered by people: answers, yes, no, skips, seconds per answer.

Files: <PATH>/report/index.html (self-contained), *.png, *.csv, summary.json. Runs are read
only, so a report can be made while a run goes on."""

EXAMPLE = """\
examples:
  alframe report runs/compare          the experiment of `alframe run specs/compare.al`
  alframe report runs/compare --target micro_f1=0.6 --target macro_f1=0.9:ceiling
  alframe report runs/quickstart --out /tmp/report --quiet   one run (`alframe run specs/quickstart.al`)
  alframe report runs/quickstart --json | jq .verdict
"""


@click.command("report", cls=base.Command,
               short_help="write the report (HTML, PNG, CSV, JSON) of an experiment or run folder",
               help=DESCRIPTION, epilog=EXAMPLE)
@base.argument("path", metavar="PATH", help="an experiment folder or a run folder")
@click.option("--target", multiple=True, metavar="METRIC=VALUE[:ceiling|:best]",
              help="a target to count answered cells to (repeatable; default: the specs' stop rules, else "
                   "90% and 95% of the ceiling or, with several settings, of the best final value)")
@click.option("--out", metavar="DIR", help="report folder (default: PATH/report)")
@click.option("--quiet", is_flag=True, help="print only where the report is")
@base.json_option("the report's summary (summary.json, with the verdict and the files' paths) in place of its tables")
@base.global_options
@click.pass_context
def command(ctx: click.Context, **params: Any) -> int:
    return base.invoke(ctx, execute, params)


def execute(args: argparse.Namespace, terminal: Any) -> int:
    from alframe.report import build_report, parse_target, print_tables

    targets = [parse_target(t) for t in args.target]
    rep = build_report(args.path, targets, out=args.out)
    if getattr(args, "json", False):  # the summary.json just written, with where the files are
        import json

        from alframe.report.analysis import verdict

        summary = json.loads(rep.files["summary.json"].read_text())
        summary["verdict"] = verdict(rep.analysis)
        summary["paths"] = {name: str(path) for name, path in rep.files.items()}
        print(json.dumps(summary, indent=2))
    elif args.quiet:
        terminal.console.print(f"report: {rep.files['index.html']}", highlight=False, soft_wrap=True)
    else:
        print_tables(rep, terminal.console)
    return 0
