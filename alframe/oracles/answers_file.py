"""The ``file`` oracle: answers a person writes into a CSV file, read again on every call.

An answers file decouples the person from the run: they fill it in at their own pace (in a
spreadsheet or an annotation tool's export) and the run picks up what is there. It is the
"batch annotation" set-up of Settles, *Active Learning Literature Survey*, 2009, §6.4 (real
annotation costs and delays), with the file as the channel.

Format (UTF-8, a BOM and CRLF line ends are fine, extra columns are ignored)::

    id,label,value
    sku-001,outdoor,1
    sku-001,kids,0
    sku-002,outdoor,

``value`` is ``1`` (yes), ``0`` (no) or blank (not answered yet: the cell stays unknown and
is asked again later). Every problem is an error naming the file, the row (the line number,
the header being row 1) and the field — an unknown label or id with the nearest known one, a
value outside {0, 1}, one cell answered twice with different values naming both rows — and
never a silently dropped row.

The compiler resolves the spec's path against the spec's folder (it may not leave it); a
relative path given in Python is resolved against the current directory. A file that does not
exist yet holds no answers: the run writes the round's questions beside itself and waits
(``waits_for_answers``), naming this path.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alframe.data.dataset import UNKNOWN, Dataset
from alframe.errors import DataError, nearest
from alframe.fsutil import NotRegularFile, read_regular
from alframe.oracles.cells import as_cells

COLUMNS = ("id", "label", "value")


@dataclass(frozen=True)
class Answer:
    value: int  # 0 or 1
    row: int  # line number in the file (header = 1)


@dataclass(frozen=True)
class FileRow:
    """One answered row of an answers file, before its id and label are looked up."""

    item: str
    label: str
    value: int  # 0 or 1
    row: int  # line number in the file (header = 1)


class FileOracle:
    """Answers the asked cells the file has; -1 (unknown) for the others.

    The file is read again on every call, so a person may also change an answer already
    given: :meth:`given` is what the file says now, which the engine compares with the stored
    answers at the start of each round (a changed one is kept as a new revision)."""

    #: a round whose questions are not all answered waits (the run stops and is resumed)
    waits_for_answers = True

    def __init__(self, path: str):
        given = Path(path)
        self.path = given if given.is_absolute() else Path.cwd() / given
        #: stored with each answer as who gave it
        self.source = f"file {self.path.name}"
        self._index: tuple[tuple[int, int], dict[str, int]] | None = None

    def given(self, dataset: Dataset) -> dict[tuple[int, int], int]:
        """Every answer in the file now, ``(item index, label index) → 0/1``."""
        return {cell: a.value for cell, a in self.read(dataset).items()}

    def answer(
        self, dataset: Dataset, items: np.ndarray, labels: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        items, labels = as_cells(dataset, items, labels)
        table = self.read(dataset)
        out = np.full(len(items), UNKNOWN, dtype=np.int8)  # [m]
        for i, cell in enumerate(zip(items.tolist(), labels.tolist())):
            found = table.get(cell)
            if found is not None:
                out[i] = found.value
        return out

    def read(self, dataset: Dataset) -> dict[tuple[int, int], Answer]:
        """Every answer in the file, keyed by ``(item index, label index)``; validates all rows.
        No file yet means no answers yet."""
        if not self.path.exists():
            return {}
        text = _read_text(self.path)
        return parse_answers(text, str(self.path), self._id_index(dataset), dataset.label_names)

    def _id_index(self, dataset: Dataset) -> dict[str, int]:
        """id → item index, built once per data set (the file is re-read, the ids are not)."""
        key = (id(dataset.ids), len(dataset.ids))
        if self._index is None or self._index[0] != key:
            self._index = (key, {item_id: i for i, item_id in enumerate(dataset.ids)})
        return self._index[1]


def _read_text(path: Path) -> str:
    try:
        raw = read_regular(path)
    except NotRegularFile as exc:
        raise DataError(
            f"cannot read the answers file: it is {exc.kind}, not a regular file", path=path, code="D301",
            hint="save the answers to a file and give that",
        ) from None
    except FileNotFoundError:
        raise DataError(
            "answers file not found",
            path=path,
            code="D301",
            hint=f"a relative path is resolved against the current directory ({Path.cwd()})",
        ) from None
    except OSError as exc:
        raise DataError(f"cannot read the answers file: {exc.strerror}", path=path, code="D301") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = raw[: exc.start].count(b"\n") + 1
        raise DataError(f"not UTF-8 (byte 0x{raw[exc.start]:02x})", path=path, row=row, code="D302") from None


def parse_answers(
    text: str, path: str, ids: dict[str, int], label_names: list[str]
) -> dict[tuple[int, int], Answer]:
    """Parse and check an answers file's text (see the module docstring for the rules)."""
    label_index = {name: j for j, name in enumerate(label_names)}
    table: dict[tuple[int, int], Answer] = {}

    def look_up(r: FileRow) -> None:  # row by row, so the first problem in the file is the one named
        key = (_lookup(r.item, ids, "id", path, r.row), _lookup(r.label, label_index, "label", path, r.row))
        table.setdefault(key, Answer(r.value, r.row))

    parse_rows(text, path, look_up)
    return table


def read_rows(path: str | Path) -> list[FileRow]:
    """The answered rows of an answers file, checked (header, fields, values, one value per
    cell); ids and labels are the caller's to look up."""
    return parse_rows(_read_text(Path(path)), str(path))


def parse_rows(text: str, path: str, check: Callable[[FileRow], None] | None = None) -> list[FileRow]:
    """The answered rows of an answers file's text, one per cell (a cell given the same value
    on two rows is one row; different values are an error naming both rows). ``check`` is
    called on each answered row as it is read (and may raise)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    columns = _header(reader, path)
    seen: dict[tuple[str, str], FileRow] = {}
    for fields in reader:
        row = reader.line_num
        if not any(f.strip() for f in fields):
            continue  # a blank line
        if len(fields) != len(columns.names):
            raise DataError(
                f"{len(fields)} fields, the header has {len(columns.names)}", path=path, row=row, code="D303"
            )
        item_id, label, value = (fields[columns.at[c]].strip() for c in COLUMNS)
        if value == "":
            continue  # not answered yet
        answer = FileRow(item_id, label, _value(value, path, row), row)
        if check is not None:
            check(answer)
        _add(seen, answer, path)
    return list(seen.values())


@dataclass(frozen=True)
class _Columns:
    names: list[str]
    at: dict[str, int]


def _header(reader: Iterator[list[str]], path: str) -> _Columns:
    first = next(reader, None)
    names = [c.strip().lower() for c in first] if first else []
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise DataError(
            f"the header must name the columns {', '.join(COLUMNS)}; missing {', '.join(missing)}",
            path=path,
            row=1,
            code="D304",
            hint="first line: id,label,value",
        )
    return _Columns(names, {c: names.index(c) for c in COLUMNS})


def _lookup(name: str, index: dict[str, int], field: str, path: str, row: int) -> int:
    found = index.get(name)
    if found is not None:
        return found
    guess = nearest(name, list(index)) if name else None
    raise DataError(
        f"unknown {field} {name!r}" if name else f"empty {field}",
        path=path,
        row=row,
        field=field,
        code="D305",
        hint=f"did you mean {guess!r}?" if guess else None,
    )


def _value(text: str, path: str, row: int) -> int:
    if text in ("0", "1"):
        return int(text)
    raise DataError(
        f"value {text!r} is not 0 or 1 (leave it blank when not answered yet)",
        path=path,
        row=row,
        field="value",
        code="D306",
    )


def _add(seen: dict[tuple[str, str], FileRow], answer: FileRow, path: str) -> None:
    key = (answer.item, answer.label)
    before = seen.get(key)
    if before is None:
        seen[key] = answer
    elif before.value != answer.value:
        raise DataError(
            f"cell (id {answer.item!r}, label {answer.label!r}) is answered {before.value} on row {before.row} "
            f"and {answer.value} on row {answer.row}",
            path=path,
            row=answer.row,
            field="value",
            code="D307",
            hint="keep one answer for the cell",
        )
