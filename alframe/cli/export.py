"""``alframe export RUN_FOLDER``: the answers, the model's predictions, the model itself."""

from __future__ import annotations

import argparse
from typing import Any

import click

from alframe.cli import base

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
  alframe export runs/quickstart                         answers as CSV on stdout
  alframe export runs/quickstart --format jsonl --out answers.jsonl
  alframe export runs/quickstart --predict --out predictions.csv
  alframe export runs/quickstart --predict --data new-items.jsonl --out new.csv
  alframe export runs/quickstart --format label-studio --out review.json
  alframe export runs/quickstart --model model.pt
"""

FORMATS = ("csv", "jsonl", "label-studio")


@click.command("export", cls=base.Command,
               short_help="write a run's answers, the model's predictions, or the model itself",
               help=DESCRIPTION, epilog=EXAMPLE)
@base.argument("run", metavar="RUN_FOLDER", help="the run folder (runs/<run name>/ or --out of alframe run)")
@click.option("--format", "format", type=click.Choice(FORMATS), help="csv, jsonl or label-studio (default: from --out's name, else csv)")
@click.option("--out", metavar="FILE", help="write here (default: standard output)")
@click.option("--current", is_flag=True,
              help="each cell's current answer only (a file alframe answer reads back), not every revision")
@click.option("--predict", is_flag=True, help="the model's labels and probabilities instead of the answers")
@click.option("--data", metavar="FILE", help="with --predict: also every item of this data file")
@click.option("--no-pool", is_flag=True, help="with --predict --data: only the data file's items")
@click.option("--model", metavar="FILE", help="write the model (weights, thresholds, labels, plan) to FILE")
@base.json_option("what was written (rows or items, round, files; with --out or --model)")
@base.global_options
@click.pass_context
def command(ctx: click.Context, **params: Any) -> int:
    return base.invoke(ctx, execute, params)


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
    as_json = bool(getattr(args, "json", False))
    if as_json and not (args.out or args.model):
        raise UsageError("--json says what was written: it needs --out or --model (standard output is the table)",
                         code="X305", hint="alframe export RUN --out answers.csv --json")
    done: dict[str, object] = {"run": str(args.run)}
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
            done.update(kind="predictions", round=preds.round, items=len(preds.ids))
        elif table:
            text = write_answers(run, fmt, current_only=args.current, plugins=plugins)
            rows = len(run.answer_rows(history=not args.current))
            what = f"{rows:,} answers"
            done.update(kind="current answers" if args.current else "answers", answers=rows)
        if args.model:
            path = run.export_model(args.model, plugins=plugins)
            done.update(model=str(path), model_round=run.last_complete_round())
            if not as_json:
                said.print(f"model of round {run.last_complete_round()} → {path}", highlight=False, soft_wrap=True)
    if table:
        if args.out:
            from alframe.record import write_atomic

            write_atomic(Path(args.out), text)
            done.update(out=str(args.out), format=fmt)
            if not as_json:
                said.print(f"{what} → {args.out}", highlight=False, soft_wrap=True)
        else:
            try:
                sys.stdout.write(text)
                sys.stdout.flush()
            except BrokenPipeError:  # `alframe export RUN | head`: the reader has what it wanted
                import os

                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    if as_json:
        import json

        print(json.dumps(done, indent=2))
    return 0
