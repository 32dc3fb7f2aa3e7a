"""``alframe report PATH``: the report of an experiment folder or of one run folder."""

from __future__ import annotations

import argparse
from typing import Any

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
  alframe report runs/products-iwal
  alframe report runs/products-iwal --target micro_f1=0.6 --target macro_f1=0.9:ceiling
  alframe report runs/one-run --out /tmp/report --quiet
"""


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "report",
        help="write the report (HTML, PNG, CSV, JSON) of an experiment or run folder",
        description=DESCRIPTION,
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("path", help="an experiment folder or a run folder")
    p.add_argument("--target", action="append", default=[], metavar="METRIC=VALUE[:ceiling|:best]",
                   help="a target to count answered cells to (repeatable; default: the specs' stop rules, else "
                        "90%% and 95%% of the ceiling or, with several settings, of the best final value)")
    p.add_argument("--out", metavar="DIR", help="report folder (default: PATH/report)")
    p.add_argument("--quiet", action="store_true", help="print only where the report is")


def execute(args: argparse.Namespace, terminal: Any) -> int:
    from alframe.report import build_report, parse_target, print_tables

    targets = [parse_target(t) for t in args.target]
    rep = build_report(args.path, targets, out=args.out)
    if args.quiet:
        terminal.console.print(f"report: {rep.files['index.html']}", highlight=False, soft_wrap=True)
    else:
        print_tables(rep, terminal.console)
    return 0
