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
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from alframe.errors import DataError, nearest
from alframe.oracles.answers_file import FileRow, read_rows
from alframe.store import Answer, Recorded, RunStore


def sort_answers(
    store: RunStore, rows: Iterable[FileRow], source: str, *, path: str | None = None
) -> tuple[list[Answer], list[Answer], Recorded]:
    """``(new, revised, counts)`` for answered rows (ids and labels as strings), each answer
    with its question's probability and the round it takes effect in. A row for a cell never
    asked is an error when ``path`` names the file it came from, and skipped otherwise."""
    asked = store.asked_cells()
    current = {(a.item, a.label): a for a in store.current_answers()}
    effect = store.open_round()
    new: list[Answer] = []
    revised: list[Answer] = []
    counts = Recorded()
    asked_items: set[str] | None = None
    for r in rows:
        key = (r.item, r.label)
        question = asked.get(key)
        if question is None:
            if path is None:
                continue  # the file oracle answers it if a later round asks it
            if asked_items is None:
                asked_items = {item for item, _ in asked}
            raise _never_asked(r, path, asked_items, [label for item, label in asked if item == r.item])
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


def import_file(store: RunStore, path: str | Path) -> Recorded:
    """Bring an answers file (``id,label,value``) into a run's store, all or nothing: every
    row is checked before any is stored. Returns what was new, unchanged and revised."""
    path = Path(path)
    rows = read_rows(path)
    new, revised, counts = sort_answers(store, rows, f"file {path.name}", path=str(path))
    recorded = store.record_answers(new + revised)
    recorded.unchanged += counts.unchanged
    if recorded.new or recorded.revised:
        store.log_event(
            "answers_imported",
            {"file": str(path), "new": recorded.new, "unchanged": recorded.unchanged,
             "revised": [str(r) for r in recorded.revised]},
        )
    return recorded


def _never_asked(r: FileRow, path: str, asked_items: set[str], labels_asked: list[str]) -> DataError:
    field = "label" if labels_asked else "id"
    near = nearest(r.label, labels_asked) if labels_asked else nearest(r.item, sorted(asked_items))
    return DataError(
        f"cell (id {r.item!r}, label {r.label!r}) was never asked in this run: an answer is "
        "stored only for a question that was shown",
        path=path,
        row=r.row,
        field=field,
        code="D308",
        hint=(f"did you mean {near!r}? " if near else "")
        + "only a cell a round asked can be answered (run.db, table queries)",
    )
