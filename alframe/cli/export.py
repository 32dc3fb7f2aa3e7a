"""``alframe export RUN_FOLDER``: the answers, the model's predictions, the model itself."""

from __future__ import annotations

import argparse
from typing import Any

DESCRIPTION = """\
Write what a run holds for use outside alframe. By default every stored answer, one row per
revision: id, label, value, round, who answered (source: the oracle, or the answers file it
came from), time, the query probability and importance weight, the revision number and whether
it is the cell's current answer. With --predict, the last complete round's model's labels and
probabilities for every item of the pool instead (and, with --data FILE, for every item of a
new data file, read with the run's data settings), using the model's thresholds. Formats: csv,
jsonl, label-studio (tasks: answers as annotations, predictions as pre-annotations, to import
into a project made with the run's label-studio-config.xml). With --model FILE, the model
itself: a file to read with torch.load(FILE, weights_only=True) or alframe.load_model(FILE).
Exit status 0; 2 for --data without --predict; 3 for a problem in the --data file; 5 when the
folder is not a run folder, has no complete round (--predict, --model) or its model cannot be
loaded."""

EXAMPLE = """\
examples:
  alframe export runs/products                         answers as CSV on stdout
  alframe export runs/products --format jsonl --out answers.jsonl
  alframe export runs/products --predict --out predictions.csv
  alframe export runs/products --predict --data new-items.jsonl --out new.csv
  alframe export runs/products --format label-studio --out review.json
  alframe export runs/products --model model.pt
"""

FORMATS = ("csv", "jsonl", "label-studio")


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "export",
        help="write a run's answers, the model's predictions, or the model itself",
        description=DESCRIPTION,
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run", metavar="RUN_FOLDER", help="the run folder (runs/<run name>/ or --out of alframe run)")
    p.add_argument("--format", choices=FORMATS, help="csv, jsonl or label-studio (default: from --out's name, else csv)")
    p.add_argument("--out", metavar="FILE", help="write here (default: standard output)")
    p.add_argument("--current", action="store_true",
                   help="each cell's current answer only (a file alframe answer reads back), not every revision")
    p.add_argument("--predict", action="store_true", help="the model's labels and probabilities instead of the answers")
    p.add_argument("--data", metavar="FILE", help="with --predict: also every item of this data file")
    p.add_argument("--no-pool", action="store_true", help="with --predict --data: only the data file's items")
    p.add_argument("--model", metavar="FILE", help="write the model (weights, thresholds, labels, plan) to FILE")


def execute(args: argparse.Namespace, terminal: Any) -> int:
    import sys
    from pathlib import Path

    from alframe.cli.common import load_plugins
    from alframe.errors import UsageError
    from alframe.exporting import format_of_name, write_answers, write_predictions
    from alframe.results import open_run

    if args.data and not args.predict:
        raise UsageError("--data is for --predict: the items of a data file have no stored answers", code="X304",
                         hint="alframe export RUN --predict --data FILE")
    fmt = args.format or format_of_name(args.out)
    table = args.out is not None or args.model is None  # --model alone writes only the model
    said = terminal.err_console  # what was written goes to stderr: stdout may be the table
    with open_run(args.run, pandas=False) as run:
        plugins = load_plugins(args) if (args.predict or args.model or fmt == "label-studio") else None
        text, what = "", ""
        if table and args.predict:
            preds = run.predictions(args.data, pool=not args.no_pool, plugins=plugins)
            text = write_predictions(preds, fmt)
            what = f"predictions of round {preds.round} for {len(preds.ids):,} items"
        elif table:
            text = write_answers(run, fmt, current_only=args.current, plugins=plugins)
            what = f"{len(run.answer_rows(history=not args.current)):,} answers"
        if args.model:
            path = run.export_model(args.model, plugins=plugins)
            said.print(f"model of round {run.last_complete_round()} → {path}", highlight=False, soft_wrap=True)
    if table:
        if args.out:
            from alframe.fsutil import write_atomic

            write_atomic(Path(args.out), text)
            said.print(f"{what} → {args.out}", highlight=False, soft_wrap=True)
        else:
            try:
                sys.stdout.write(text)
                sys.stdout.flush()
            except BrokenPipeError:  # `alframe export RUN | head`: the reader has what it wanted
                import os

                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0
