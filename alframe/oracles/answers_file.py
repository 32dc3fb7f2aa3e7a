"""The ``file`` oracle: answers a person writes into a file, read again on every call.

An answers file decouples the person from the run: they fill it in at their own pace (in a
spreadsheet or an annotation tool's export) and the run picks up what is there. It is the
"batch annotation" set-up of Settles, *Active Learning Literature Survey*, 2009, §6.4 (real
annotation costs and delays), with the file as the channel.

Formats (UTF-8, a BOM and CRLF line ends are fine): alframe's own CSV or JSONL, one row per
cell (``id,label,value``) or one row per item (``id`` and a column per label), or a Label
Studio JSON export of the tasks alframe wrote (see :mod:`alframe.oracles.answer_formats`)::

    id,label,value
    sku-001,outdoor,1
    sku-001,kids,no
    sku-002,outdoor,

A value is ``1``/``yes``/``true`` or ``0``/``no``/``false``; blank is not answered yet (the
cell stays unknown and is asked again later). Every problem of the file is reported at once,
each naming the file, the row and the field — an unknown label or id with the nearest known
one, a value that is not an answer, one cell answered twice with different values naming both
rows — and never a silently dropped row.

The compiler resolves the spec's path against the spec's folder (it may not leave it); a
relative path given in Python is resolved against the current directory. A file that does not
exist yet holds no answers: the run writes the round's questions beside itself and waits
(``waits_for_answers``), naming this path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from alframe.data.dataset import UNKNOWN, Dataset
from alframe.errors import DataError
from alframe.fsutil import NotRegularFile, read_regular
from alframe.oracles.answer_formats import FileRow, Rows, Space, parse_text
from alframe.oracles.args import FileArgs
from alframe.oracles.cells import as_cells
from alframe.protocols import OracleBase

__all__ = ["Answer", "FileOracle", "FileRow", "parse_answers", "read_rows"]


@dataclass(frozen=True)
class Answer:
    value: int  # 0 or 1
    row: int  # line number in the file (header = 1)


@dataclass(eq=False)
class FileOracle(FileArgs, OracleBase):  # type: ignore[misc]  # path: always given here, None in OracleBase
    """Answers the asked cells the file has; -1 (unknown) for the others.

    The file is read again on every call, so a person may also change an answer already
    given: :meth:`given` is what the file says now, which the engine compares with the stored
    answers at the start of each round (a changed one is kept as a new revision)."""

    #: a round whose questions are not all answered waits (the run stops and is resumed)
    waits_for_answers = True

    def __post_init__(self) -> None:
        given = Path(self.path)
        #: absolute from here on (a relative path is resolved against the current directory)
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
        path = Path(self.path)  # absolute since __post_init__
        if not path.exists():
            return {}
        text = _read_text(path)
        return parse_answers(text, str(path), self._id_index(dataset), dataset.label_names)

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
    """Parse and check an answers file's text in any format :mod:`answer_formats` reads
    (every problem reported at once), keyed by ``(item index, label index)``."""
    space = Space(list(label_names), has_item=ids.__contains__, item_names=lambda: list(ids))
    label_index = {name: j for j, name in enumerate(label_names)}
    return {(ids[r.item], label_index[r.label]): Answer(r.value, r.row) for r in parse_text(text, path, space)}


def read_rows(path: str | Path, space: Space) -> Rows:
    """The answered cells of an answers file, every row checked against ``space`` (the ids
    are the caller's to check when ``space.has_item`` is None)."""
    return parse_text(_read_text(Path(path)), str(path), space)
