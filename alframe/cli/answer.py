"""``alframe answer RUN_FOLDER ANSWERS.csv``: bring a person's answers into a run folder."""

from __future__ import annotations

import argparse
from typing import Any

import click

from alframe.cli import base

DESCRIPTION = """\
Store the answers of a file in a run folder, between runs: answers to questions the run asked
and is waiting for, and corrections of answers already given. The file may be alframe's CSV or
JSONL, one row per cell (id,label,value) or one row per item (id and a column per label), with
values 1/0, yes/no, true/false (blank: not answered), or a Label Studio JSON export of the
tasks alframe wrote (questions-round-NNNN.label-studio.json). Says how many answers were new,
how many unchanged (the same answer again is never stored twice) and which were revised. A
revised answer is kept as the cell's next revision, with the file it came from and the time;
the earlier ones stay in run.db, and the run uses the latest from its next round on. Every row
is checked before any is stored, and every problem is reported at once by row and field (an
unknown id or label with the nearest known one, a value that is not an answer, a cell given
two answers, a cell the run never asked); nothing of a file with a problem is stored. Exit
status 0, 3 for a problem in the file, 5 when the folder is not a run folder or is in use."""

EXAMPLE = """\
examples:
  alframe answer runs/quickstart answers.csv
  alframe answer runs/quickstart project-3-at-2026-01-05.json   a Label Studio export
  alframe run specs/quickstart.al      the run goes on with the answers
"""


@click.command("answer", cls=base.Command,
               short_help="store a file of answers (new ones and corrections) in a run folder",
               help=DESCRIPTION, epilog=EXAMPLE)
@base.argument("run", metavar="RUN_FOLDER", help="the run folder (runs/<run name>/ or --out of alframe run)")
@base.argument("answers", metavar="ANSWERS_FILE",
               help="the answers: CSV or JSONL (id,label,value, or id and a column per label), or a Label Studio JSON export")
@base.json_option("the counts (new, unchanged, revised) and notes")
@base.global_options
@click.pass_context
def command(ctx: click.Context, **params: Any) -> int:
    return base.invoke(ctx, execute, params)


def execute(args: argparse.Namespace, terminal: Any) -> int:
    from pathlib import Path

    from alframe.answers import import_file
    from alframe.record import existing_store

    notes: list[str] = []
    with existing_store(args.run) as store:
        recorded = import_file(store, args.answers, notes)
    if getattr(args, "json", False):
        import json
        from dataclasses import asdict

        print(json.dumps({"file": str(args.answers), "new": recorded.new, "unchanged": recorded.unchanged,
                          "revised": [asdict(r) for r in recorded.revised], "notes": notes}, indent=2))
        return 0
    terminal.console.print(recorded.summary(Path(args.answers).name), highlight=False, soft_wrap=True)
    for note in notes:
        terminal.console.print(f"note: {note}", highlight=False, soft_wrap=True)
    return 0
