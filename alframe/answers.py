"""Importing answers into a run: new ones, the same ones again, and changed ones.

A person's answer is never lost, never stored twice, and never stored without the question
having been shown. So an answers file brought into a run (``alframe answer``, or the ``file``
oracle read at the start of each round) is sorted cell by cell against the store:

- **new**: a cell a round asked that has no answer yet;
- **unchanged**: the cell's current answer again (not stored: reading a file twice changes
  nothing);
- **revised**: a different value for an answered cell, stored as the cell's next revision
  with who gave it (the answers file) and when. The earlier revisions stay in ``run.db``;
  training, weighting, the policy and the metrics use the latest from the first round not yet
  complete on (rounds already complete keep the answers they were trained with, so a model
  retrained from the labels is the model that round had).

A row for a cell no round asked is refused by :func:`import_file` (``D308``, naming the file,
row and field) and left waiting by the file oracle, which answers it if it is asked later.
Every problem of a file is reported at once, and nothing of a file with a problem is stored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from alframe.errors import nearest
from alframe.oracles.answer_formats import FileRow, Space
from alframe.oracles.answers_file import read_rows
from alframe.record.store import Answer, Recorded, RunStore


def sort_answers(
    store: RunStore, rows: Iterable[FileRow], source: str
) -> tuple[list[Answer], list[Answer], Recorded]:
    """``(new, revised, counts)`` for answered rows (ids and labels as strings), each answer
    with its question's probability and the round it takes effect in. A row for a cell never
    asked is skipped (the file oracle answers it if a later round asks it; ``import_file``
    refuses it before it gets here)."""
    asked = store.asked_cells()
    current = {(a.item, a.label): a for a in store.current_answers()}
    effect = store.open_round()
    new: list[Answer] = []
    revised: list[Answer] = []
    counts = Recorded()
    for r in rows:
        key = (r.item, r.label)
        question = asked.get(key)
        if question is None:
            continue
        before = current.get(key)
        prob = question[1] if before is None else before.prob
        answer = Answer(r.item, r.label, r.value, effect, prob, 1.0 / prob, source)
        if before is None:
            new.append(answer)
            counts.new += 1
        elif before.value == r.value:
            counts.unchanged += 1
        else:
            revised.append(answer)
    return new, revised, counts


def run_labels(store: RunStore) -> list[str] | None:
    """The run's label names, when the run folder knows them (written with the first
    questions file, or named in the spec); None otherwise."""
    text = store.get_meta("label_names")
    if text:
        return list(json.loads(text))
    plan = json.loads(store.get_meta("plan") or "{}")
    names = (plan.get("labels") or {}).get("names")
    return list(names) if names else None


def import_file(store: RunStore, path: str | Path, notes: list[str] | None = None) -> Recorded:
    """Bring an answers file (any format :mod:`alframe.oracles.answer_formats` reads) into a
    run's store, all or nothing: every row is checked (format, values, conflicts, and that
    a round asked its cell) and every problem reported before any is stored. Returns what
    was new, unchanged and revised; what else is worth saying is added to ``notes``."""
    path = Path(path)
    asked = store.asked_cells()
    asked_items: dict[str, list[str]] = {}
    for item, label in asked:
        asked_items.setdefault(item, []).append(label)

    def never_asked(r: FileRow) -> tuple[str, str, str | None, str] | None:
        if (r.item, r.label) in asked:
            return None
        labels_asked = asked_items.get(r.item)
        field = "label" if labels_asked else "id"
        near = nearest(r.label, labels_asked) if labels_asked else nearest(r.item, sorted(asked_items))
        return (
            f"cell (id {r.item!r}, label {r.label!r}) was never asked in this run: an answer is "
            "stored only for a question that was shown",
            field,
            (f"did you mean {near!r}? " if near else "")
            + "only a cell a round asked can be answered (run.db, table queries)",
            "D308",
        )

    rows = read_rows(path, Space(run_labels(store), check_cell=never_asked))
    if rows.repeated and notes is not None:
        notes.append(f"{rows.repeated} row(s) gave a cell the answer an earlier row of the file gave it (kept once)")
    new, revised, counts = sort_answers(store, rows, f"file {path.name}")
    recorded = store.record_answers(new + revised)
    recorded.unchanged += counts.unchanged
    if recorded.new or recorded.revised:
        store.log_event(
            "answers_imported",
            {"file": str(path), "new": recorded.new, "unchanged": recorded.unchanged,
             "revised": [str(r) for r in recorded.revised]},
        )
    return recorded
