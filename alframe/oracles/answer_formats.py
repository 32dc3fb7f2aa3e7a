"""Answers files in every format alframe reads, checked row by row, every problem reported.

One reader serves the ``file`` oracle and ``alframe answer``. The format is found from the
content (the first character that is not blank), not from the file name:

- **CSV** (anything else), one of two shapes, told apart by the header:

  - *long*, one row per cell: columns ``id,label,value`` (any order, extra columns ignored);
  - *wide*, one row per item: an ``id`` column and a column per label (``id,outdoor,kids``);
    the columns ``text``, ``guess``, ``note``, ``comment`` and names starting with ``_`` are
    ignored unless they are label names, any other column must be a label.

- **JSONL** (the first character is ``{``): one JSON object per line, long
  (``{"id": …, "label": …, "value": …}``) or wide (``{"id": …, "outdoor": 1, "kids": 0}``),
  told apart per line by whether it has a ``label`` key.
- **Label Studio JSON export** (the first character is ``[``): a list of tasks as Label Studio
  exports them (``JSON`` export of a project made from alframe's tasks and labelling config).
  Each task's ``data.id`` is the item; with ``unit item`` its latest annotation's ticked
  choices are 1 and the task's other asked labels (``data.asked``; every label when absent)
  are 0; with ``unit cell`` (``data.label`` set) the choice ``yes`` or ``no`` answers that
  cell. A task with no annotation, or only cancelled (skipped) ones, answers nothing; of
  several annotations the one updated last counts. ``predictions`` are never answers.

Values: ``1``, ``0``, ``yes``, ``no``, ``true``, ``false`` (any case; JSON ``true``/``false``
and the numbers 1 and 0 too); blank (JSON ``null``) means not answered yet.

Every row is checked and **every** problem reported at once (up to :data:`MAX_PROBLEMS`), each
naming the file, the row (CSV: the line, the header being row 1; JSONL: the line; Label
Studio: the task's position in the list, the first being 1) and the field: an unknown id or
label with the nearest known one, a value that is not an answer, a cell given two different
answers (naming both rows), a label column twice in a header, a line that is not JSON. A cell
given the same answer twice is one answer (counted as ``repeated``, and said). Nothing is
stored from a file with a problem.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from alframe.errors import DataError, nearest

#: problems listed before "… and N more"
MAX_PROBLEMS = 50
#: columns of a wide file that are not labels (unless a label has the name)
NOT_LABELS = ("id", "text", "guess", "note", "comment", "round", "source")
TRUE = ("1", "yes", "true")
FALSE = ("0", "no", "false")
FORMATS = ("csv", "jsonl", "label-studio")


@dataclass(frozen=True)
class FileRow:
    """One answered cell of an answers file, before its id and label are looked up."""

    item: str
    label: str
    value: int  # 0 or 1
    row: int  # where in the file (see the module doc)


class AnswerFileErrors(DataError):
    """Every problem of one answers file (a :class:`DataError`: exit status 3). The first
    problem's ``row``, ``field``, ``code`` and ``message`` are this error's own."""

    def __init__(self, errors: list[DataError], more: int = 0) -> None:
        first = errors[0]
        super().__init__(first.message, path=first.path, row=first.row, field=first.field, code=first.code,
                         hint=first.hint)
        self.errors = errors
        self.more = more

    def render(self) -> str:
        lines = [e.render() for e in self.errors]
        if len(self.errors) > 1 or self.more:
            total = len(self.errors) + self.more
            lines.append(f"{total} problem(s) in {self.path}; nothing of the file was stored")
        if self.more:
            lines.insert(len(self.errors), f"… and {self.more} more problem(s) not shown")
        return "\n".join(lines)


class Problems:
    """Collects a file's problems; :meth:`check` raises them all together."""

    def __init__(self, path: str, cap: int = MAX_PROBLEMS) -> None:
        self.path = path
        self.cap = cap
        self.errors: list[DataError] = []
        self.more = 0

    def add(self, message: str, *, row: int | None, field: str | None, code: str, hint: str | None = None) -> None:
        if len(self.errors) >= self.cap:
            self.more += 1
            return
        self.errors.append(DataError(message, path=self.path, row=row, field=field, code=code, hint=hint))

    def __bool__(self) -> bool:
        return bool(self.errors)

    def check(self) -> None:
        """Raise every problem found, in the order of the rows."""
        if self.errors:
            raise AnswerFileErrors(sorted(self.errors, key=lambda e: e.row or 0), self.more)


def detect_format(text: str) -> str:
    """``label-studio``, ``jsonl`` or ``csv``, from the first character that is not blank."""
    start = text.lstrip()[:1]
    return "label-studio" if start == "[" else "jsonl" if start == "{" else "csv"


@dataclass
class Space:
    """What the rows are checked against: the label names (None: any label; the caller
    checks them, with ``check_cell``), which ids exist (None: not checked here), and a last
    check of each cell (``check_cell(row) -> (message, field, hint, code)`` for a problem)."""

    labels: list[str] | None
    has_item: Callable[[str], bool] | None = None
    item_names: Callable[[], list[str]] | None = None  # for "did you mean"
    check_cell: Callable[[FileRow], tuple[str, str, str | None, str] | None] | None = None


def parse_text(text: str, path: str, space: Space) -> Rows:
    """Every answered cell of an answers file's text, one row per cell, all checked; raises
    :class:`AnswerFileErrors` listing every problem."""
    problems = Problems(path)
    fmt = detect_format(text)
    if fmt == "label-studio":
        raw = _label_studio_rows(text, space, problems)
    elif fmt == "jsonl":
        raw = _jsonl_rows(text, space, problems)
    else:
        raw = _csv_rows(text, space, problems)
    rows = _checked(raw, space, problems)
    problems.check()
    return rows


# -- checking ------------------------------------------------------------------------------------


class Rows(list[FileRow]):
    """The answered cells of a file, one per cell; ``repeated`` counts the rows that gave a
    cell the same answer as an earlier row (kept once)."""

    def __init__(self, rows: Iterable[FileRow] = (), *, repeated: int = 0) -> None:
        super().__init__(rows)
        self.repeated = repeated


def _checked(rows: Iterable[FileRow], space: Space, problems: Problems) -> Rows:
    labels = None if space.labels is None else set(space.labels)
    seen: dict[tuple[str, str], FileRow] = {}
    repeated = 0
    for r in rows:
        ok = True
        if not r.item:
            problems.add("empty id", row=r.row, field="id", code="D305")
            ok = False
        elif space.has_item is not None and not space.has_item(r.item):
            near = nearest(r.item, space.item_names()) if space.item_names else None
            problems.add(f"unknown id {r.item!r}", row=r.row, field="id", code="D305",
                         hint=f"did you mean {near!r}?" if near else None)
            ok = False
        if not r.label:
            problems.add("empty label", row=r.row, field="label", code="D305")
            ok = False
        elif labels is not None and r.label not in labels:
            names = space.labels or []
            near = nearest(r.label, names)
            problems.add(f"unknown label {r.label!r}", row=r.row, field="label", code="D305",
                         hint=f"did you mean {near!r}?" if near else "the run's labels: " + _some(names))
            ok = False
        if not ok:
            continue
        if space.check_cell is not None:
            found = space.check_cell(r)
            if found is not None:
                message, field, hint, code = found
                problems.add(message, row=r.row, field=field, code=code, hint=hint)
                continue
        key = (r.item, r.label)
        before = seen.get(key)
        if before is None:
            seen[key] = r
        elif before.value != r.value:
            problems.add(
                f"cell (id {r.item!r}, label {r.label!r}) is answered {before.value} on row {before.row} "
                f"and {r.value} on row {r.row}",
                row=r.row, field="value", code="D307", hint="keep one answer for the cell",
            )
        else:
            repeated += 1
    return Rows(seen.values(), repeated=repeated)


def _some(names: list[str], n: int = 8) -> str:
    return ", ".join(names[:n]) + (f", … ({len(names)} in all)" if len(names) > n else "")


def parse_value(value: Any, problems: Problems, row: int, field: str = "value") -> int | None:
    """0 or 1 for an answer, None for blank (not answered) or a bad value (a problem added)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int) and value in (0, 1):
        return value
    text = str(value).strip() if isinstance(value, str) else None
    if text == "":
        return None
    if text is not None and text.lower() in TRUE:
        return 1
    if text is not None and text.lower() in FALSE:
        return 0
    shown = repr(value) if isinstance(value, str) else json.dumps(value)
    problems.add(
        f"value {shown} is not an answer: 1, 0, yes, no, true or false (leave it blank when not answered yet)",
        row=row, field=field, code="D306",
    )
    return None


# -- CSV -----------------------------------------------------------------------------------------


def _csv_rows(text: str, space: Space, problems: Problems) -> list[FileRow]:
    reader = csv.reader(io.StringIO(text, newline=""))
    first = next(reader, None)
    names = [c.strip() for c in first] if first else []
    lower = [c.lower() for c in names]
    if "id" not in lower:
        problems.add(
            "the header must name the columns id, label, value (one row per cell), or id and a "
            "column per label (one row per item); it has no id column",
            row=1, field=None, code="D304", hint="first line: id,label,value",
        )
        return []
    long = "label" in lower or "value" in lower
    if long:
        missing = [c for c in ("id", "label", "value") if c not in lower]
        if missing:
            problems.add(
                f"the header must name the columns id, label, value; missing {', '.join(missing)}",
                row=1, field=None, code="D304", hint="first line: id,label,value",
            )
            return []
        at = {c: lower.index(c) for c in ("id", "label", "value")}
    else:
        label_cols = _label_columns(names, space, problems)
    out: list[FileRow] = []
    for fields in reader:
        row = reader.line_num
        if not any(f.strip() for f in fields):
            continue  # a blank line
        if len(fields) != len(names):
            problems.add(f"{len(fields)} fields, the header has {len(names)}", row=row, field=None, code="D303")
            continue
        item = fields[lower.index("id")].strip()
        if long:
            value = parse_value(fields[at["value"]], problems, row)
            if value is not None:
                out.append(FileRow(item, fields[at["label"]].strip(), value, row))
            continue
        for k, label in label_cols:
            value = parse_value(fields[k], problems, row, field=label)
            if value is not None:
                out.append(FileRow(item, label, value, row))
    return out


def _label_columns(names: list[str], space: Space, problems: Problems) -> list[tuple[int, str]]:
    """The label columns of a wide header, ``(position, label)``; unknown and repeated
    columns are problems of row 1 (with no label space given, every column is a label
    except the ones that never are)."""
    labels = set(names if space.labels is None else space.labels)
    out: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for k, name in enumerate(names):
        if name not in labels and (name.lower() in NOT_LABELS or name.startswith("_")):
            continue
        if name in seen:
            problems.add(f"column {name!r} appears twice in the header (columns {seen[name] + 1} and {k + 1})",
                         row=1, field=name, code="D309", hint="keep one column per label")
            continue
        seen[name] = k
        if name not in labels:
            near = nearest(name, space.labels or [])
            problems.add(
                f"unknown label {name!r} (a column of a file with one row per item is a label)",
                row=1, field=name, code="D305",
                hint=(f"did you mean {near!r}? " if near else "")
                + "columns that are not labels: " + ", ".join(NOT_LABELS) + ", or a name starting with _",
            )
            continue
        out.append((k, name))
    return out


# -- JSONL ---------------------------------------------------------------------------------------


def _jsonl_rows(text: str, space: Space, problems: Problems) -> list[FileRow]:
    labels = set(space.labels or ())
    out: list[FileRow] = []
    for row, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            problems.add(f"not a JSON object: {exc.args[0] if exc.args else exc}", row=row, field=None, code="D310")
            continue
        if not isinstance(obj, dict):
            problems.add(f"not a JSON object but {type(obj).__name__}", row=row, field=None, code="D310")
            continue
        if "id" not in obj:
            problems.add("no 'id' key", row=row, field="id", code="D304")
            continue
        item = _name(obj["id"])
        if "label" in obj:
            value = parse_value(obj.get("value"), problems, row)
            if value is not None:
                out.append(FileRow(item, _name(obj["label"]), value, row))
            continue
        for key, raw in obj.items():
            if key not in labels and (key.lower() in NOT_LABELS or key.startswith("_")):
                continue
            value = parse_value(raw, problems, row, field=key)
            if value is not None:
                out.append(FileRow(item, key, value, row))
    return out


def _name(value: Any) -> str:
    """An id or label as text (a number id in JSON is its decimal text)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    return json.dumps(value)


# -- Label Studio --------------------------------------------------------------------------------


def _label_studio_rows(text: str, space: Space, problems: Problems) -> list[FileRow]:
    try:
        tasks = json.loads(text)
    except ValueError as exc:
        problems.add(f"not a Label Studio JSON export: {exc}", row=None, field=None, code="D310",
                     hint="export the project as JSON (Export → JSON) and give that file")
        return []
    if not isinstance(tasks, list):
        problems.add("not a Label Studio JSON export (a list of tasks)", row=None, field=None, code="D310")
        return []
    out: list[FileRow] = []
    for row, task in enumerate(tasks, start=1):
        if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
            problems.add("a task without 'data'", row=row, field="data", code="D310")
            continue
        data = task["data"]
        item = _name(data.get("id"))
        if not item:
            problems.add("the task's data has no 'id' (the item id alframe wrote)", row=row, field="data.id",
                         code="D305", hint="import alframe's questions-round-NNNN.label-studio.json tasks")
            continue
        annotation = _latest_annotation(task.get("annotations"))
        if annotation is None:
            continue  # not annotated yet, or skipped
        chosen = _choices(annotation, problems, row)
        if chosen is None:
            continue
        cell_label = data.get("label")
        if cell_label:  # unit cell: one yes/no question
            if not chosen:
                continue
            if len(chosen) > 1:
                problems.add(f"{len(chosen)} choices {chosen} for one yes/no question", row=row,
                             field="annotations", code="D306")
                continue
            value = parse_value(chosen[0], problems, row, field="annotations")
            if value is not None:
                out.append(FileRow(item, _name(cell_label), value, row))
            continue
        asked = data.get("asked")
        labels = [str(x) for x in asked] if isinstance(asked, list) else list(space.labels or ())
        for name in chosen:
            if name not in labels:
                out.append(FileRow(item, name, 1, row))  # a label not asked: checked as any row
        for name in labels:
            out.append(FileRow(item, name, int(name in chosen), row))
    return out


def _latest_annotation(annotations: Any) -> dict[str, Any] | None:
    if not isinstance(annotations, list):
        return None
    kept = [a for a in annotations if isinstance(a, dict) and not a.get("was_cancelled")]
    if not kept:
        return None
    return max(enumerate(kept), key=lambda ka: (str(ka[1].get("updated_at") or ka[1].get("created_at") or ""), ka[0]))[1]


def _choices(annotation: dict[str, Any], problems: Problems, row: int) -> list[str] | None:
    result = annotation.get("result")
    if not isinstance(result, list):
        problems.add("an annotation without a 'result' list", row=row, field="annotations", code="D310")
        return None
    out: list[str] = []
    for r in result:
        value = r.get("value") if isinstance(r, dict) else None
        choices = value.get("choices") if isinstance(value, dict) else None
        if choices is None:
            continue  # another control's result (a note, a rating): not an answer
        if not isinstance(choices, list):
            problems.add("'choices' is not a list", row=row, field="annotations", code="D310")
            return None
        out.extend(str(c) for c in choices)
    return out
