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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alframe.data.dataset import UNKNOWN, Dataset
from alframe.errors import DataError, nearest
from alframe.oracles.cells import as_cells

COLUMNS = ("id", "label", "value")


@dataclass(frozen=True)
class Answer:
    value: int  # 0 or 1
    row: int  # line number in the file (header = 1)


class FileOracle:
    """Answers the asked cells the file has; -1 (unknown) for the others."""

    source = "file"
    #: a round whose questions are not all answered waits (the run stops and is resumed)
    waits_for_answers = True

    def __init__(self, path: str):
        given = Path(path)
        self.path = given if given.is_absolute() else Path.cwd() / given
        self._index: tuple[tuple[int, int], dict[str, int]] | None = None

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
        raw = path.read_bytes()
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
    reader = csv.reader(io.StringIO(text, newline=""))
    columns = _header(reader, path)
    label_index = {name: j for j, name in enumerate(label_names)}
    table: dict[tuple[int, int], Answer] = {}
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
        key = (_lookup(item_id, ids, "id", path, row), _lookup(label, label_index, "label", path, row))
        answer = Answer(_value(value, path, row), row)
        _add(table, key, answer, item_id, label, path)
    return table


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


def _add(
    table: dict[tuple[int, int], Answer],
    key: tuple[int, int],
    answer: Answer,
    item_id: str,
    label: str,
    path: str,
) -> None:
    before = table.get(key)
    if before is None:
        table[key] = answer
    elif before.value != answer.value:
        raise DataError(
            f"cell (id {item_id!r}, label {label!r}) is answered {before.value} on row {before.row} "
            f"and {answer.value} on row {answer.row}",
            path=path,
            row=answer.row,
            field="value",
            code="D307",
            hint="keep one answer for the cell",
        )
