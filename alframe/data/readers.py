"""Readers: a data file in, rows of raw values out, each with the line a user sees in an editor.

A reader knows the file format and nothing about labels. It opens the file, names its fields
(the CSV header, the keys of the first JSON object, the Parquet schema) and yields, for the
columns asked for, ``(line, values)`` with values in the asked order and :data:`MISSING` where
a JSON object lacks a key. CSV cells are strings; JSON and Parquet values keep their types.

Reading streams line by line, so bytes are decoded per line: a non-UTF-8 byte is reported with
its line, a BOM is stripped, CRLF line ends are fine, and a field longer than
:data:`MAX_FIELD_CHARS` is refused with its line and field name before it reaches the model.
So are a NUL byte in a CSV file (no text file holds one), a JSON value nested deeper than
:data:`MAX_JSON_DEPTH` and, where a field needs a number, id or label, a JSON integer longer than
:data:`MAX_INT_DIGITS` digits (read as :class:`HugeNumber`, so that the field can say so).

Line numbers are 1-based as in an editor; in a CSV file the header is line 1, so the first item
is on line 2. A quoted CSV cell may span lines: its record is reported at its first line.
"""

from __future__ import annotations

import csv
import gzip
import json
import math
import zlib
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from alframe.errors import DataError

#: Longest field alframe accepts (characters); longer means a broken file, not a description.
MAX_FIELD_CHARS = 1 << 20
#: The csv module's own limit, set above ours so that ours (which names the field) speaks first.
_CSV_HARD_LIMIT = 1 << 26


class _Missing:
    """A JSON object without the key (distinct from an explicit ``null``)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

#: Deepest JSON nesting accepted (a label list is 1 deep; thousands deep is a broken file, and
#: Python's own decoder would overflow its stack).
MAX_JSON_DEPTH = 100
#: Longest JSON integer read as a number (Python refuses to convert beyond 4,300 digits).
MAX_INT_DIGITS = 4000


class HugeNumber:
    """A JSON integer of more than :data:`MAX_INT_DIGITS` digits, or a JSON number too large
    for a float (``1e400``): kept as its length or its text, so the field that holds it can say
    so (it is no usable id, number or label)."""

    def __init__(self, digits: int, text: str | None = None) -> None:
        self.digits = digits
        self.text = text

    def __repr__(self) -> str:
        return self.text if self.text is not None else f"a {self.digits:,}-digit number"


def shown(value: Any, limit: int = 40) -> str:
    """A value as a message quotes it: a long string cut to ``limit`` characters with its length,
    a long integer as its number of digits, so that a 5,000-digit cell makes a one-line error."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}… ({len(value):,} characters)"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**limit:
        return f"a {len(str(abs(value))):,}-digit number"
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text):,} characters)"


class JSONTooDeep(ValueError):
    """JSON nested deeper than :data:`MAX_JSON_DEPTH`; ``key`` is the top-level key holding
    the deep value ('' when it is not under a key)."""

    def __init__(self, key: str) -> None:
        super().__init__(f"nested more than {MAX_JSON_DEPTH} levels deep")
        self.key = key


def loads(text: str) -> Any:
    """``json.loads`` with bounds: deep nesting raises :class:`JSONTooDeep` (found before
    decoding, so the decoder never recurses that deep), long integers become
    :class:`HugeNumber`. Other errors are ``json.JSONDecodeError`` as usual."""
    if text.count("[") + text.count("{") > MAX_JSON_DEPTH:
        key = _too_deep(text)
        if key is not None:
            raise JSONTooDeep(key)
    try:
        return json.loads(text, parse_int=_parse_int, parse_float=_parse_float)
    except RecursionError:  # a stack smaller than the depth limit needs
        raise JSONTooDeep("") from None


def _parse_int(digits: str) -> int | HugeNumber:
    return int(digits) if len(digits) <= MAX_INT_DIGITS else HugeNumber(len(digits))


def _parse_float(text: str) -> float | HugeNumber:
    """A JSON number with a fraction or exponent; one that overflows a float (``1e400``, which
    Python would read as infinity, a value JSON cannot write) is a :class:`HugeNumber`."""
    value = float(text)
    if math.isinf(value):
        return HugeNumber(len(text), shown(text))
    return value


def _too_deep(text: str) -> str | None:
    """The top-level key under which ``text`` nests deeper than the limit ('' for none), or
    None when it does not."""
    depth, in_string, escaped, start = 0, False, False, 0
    last: str | None = None  # the last string closed at depth 1
    key: str | None = None
    for i, c in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif c == "\\":
                escaped = True
            elif c == '"':
                in_string = False
                if depth == 1:
                    last = text[start:i]
        elif c == '"':
            in_string, start = True, i + 1
        elif c in "[{":
            depth += 1
            if depth > MAX_JSON_DEPTH:
                return _json_string(key) if key is not None else ""
        elif c in "]}":
            depth -= 1
        elif depth == 1 and c == ":":
            key = last
        elif depth == 1 and c == ",":
            key = None
    return None


def _json_string(raw: str) -> str:
    try:
        value = json.loads(f'"{raw}"')
    except ValueError:
        return raw
    return value if isinstance(value, str) else raw


FORMATS = ("csv", "jsonl", "parquet")


def format_of(path: str | Path) -> str:
    """The format named by a file's extension (``.gz`` allowed for csv and jsonl)."""
    name = Path(path).name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    for ext, fmt in ((".csv", "csv"), (".jsonl", "jsonl"), (".ndjson", "jsonl"), (".parquet", "parquet")):
        if name.endswith(ext):
            return fmt
    raise DataError(
        f"cannot tell the format of '{Path(path).name}' from its extension",
        path=path,
        hint="use .csv, .jsonl or .parquet (.csv.gz and .jsonl.gz also work)",
    )


@dataclass
class Table:
    """An opened data file: its field names, and a way to stream its rows."""

    path: str
    format: str
    fields: list[str]
    _rows: Any = field(repr=False)

    def rows(self, columns: list[str], limit: int | None = None) -> Iterator[tuple[int, list[Any] | DataError]]:
        """``(line, [value per column])`` for every item row, in file order; at most ``limit``.

        A row the reader cannot make values of (the wrong number of CSV fields, a line that is
        no JSON object, a NUL byte, a field too long or nested too deep) comes as ``(line,
        DataError)`` in its place, and reading goes on: the caller reports every problem of
        the file at once. What leaves the rest unreadable (a malformed CSV quote, bad bytes)
        is raised."""
        return self._rows(columns, limit)


def open_table(path: str | Path, fmt: str | None = None) -> Table:
    """Open a data file of format ``fmt`` (default: from the extension)."""
    p = Path(path)
    fmt = fmt or format_of(p)
    if not p.is_file():
        where = "no such file" if not p.exists() else "not a file"
        raise DataError(f"cannot read data: {where}", path=p)
    if fmt == "csv":
        return _csv_table(p)
    if fmt == "jsonl":
        return _jsonl_table(p)
    if fmt == "parquet":
        return _parquet_table(p)
    raise DataError(f"unknown data format {fmt!r} (formats: {', '.join(FORMATS)})", path=p)


# --- bytes to lines -------------------------------------------------------------------------


def _open_bytes(path: Path) -> IO[bytes] | gzip.GzipFile:
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


def _text_lines(path: Path, counter: list[int]) -> Generator[str, None, None]:
    """Decoded lines; ``counter[0]`` is the number of the line last yielded."""
    try:
        with _open_bytes(path) as fh:
            for raw in fh:
                counter[0] += 1
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise DataError(
                        f"line {counter[0]}: byte 0x{raw[exc.start]:02x} at column {exc.start + 1} is not UTF-8",
                        path=path,
                        row=counter[0],
                        hint="save the file as UTF-8",
                    ) from None
                if counter[0] == 1 and line.startswith("\ufeff"):
                    line = line[1:]
                yield line
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise DataError(f"not a readable gzip file ({exc})", path=path, row=counter[0] or None) from None


def _long_field(path: Path, line: int, name: str, size: int) -> DataError:
    return DataError(
        f"line {line}: field '{name}' is {size:,} characters long; the limit is {MAX_FIELD_CHARS:,}",
        path=path,
        row=line,
        field=name,
    )


# --- CSV ------------------------------------------------------------------------------------


def _csv_table(path: Path) -> Table:
    if csv.field_size_limit() < _CSV_HARD_LIMIT:
        csv.field_size_limit(_CSV_HARD_LIMIT)
    header = _csv_header(path)

    def rows(columns: list[str], limit: int | None) -> Iterator[tuple[int, list[Any] | DataError]]:
        index = {name: i for i, name in enumerate(header)}
        picks = [index[c] for c in columns]
        yield from _csv_rows(path, header, picks, limit)

    return Table(str(path), "csv", header, rows)


def _csv_header(path: Path) -> list[str]:
    counter = [0]
    lines = _text_lines(path, counter)
    try:
        header = next(csv.reader(lines), None)
    finally:
        lines.close()
    if not header:
        raise DataError("the file is empty: expected a header line naming the fields", path=path, row=1)
    header = [h.strip() for h in header]
    if "\x00" in "".join(header):
        raise DataError(
            "line 1 (the header): a field name holds a NUL byte", path=path, row=1,
            hint="a text file has no NUL bytes: the file is binary, truncated or in another encoding (UTF-16?)",
        )
    seen: set[str] = set()
    for name in header:
        if not name:
            raise DataError("line 1 (the header): a field has no name", path=path, row=1)
        if name in seen:
            raise DataError(f"line 1 (the header): field '{name}' appears twice", path=path, row=1, field=name)
        seen.add(name)
    return header


def _csv_rows(path: Path, header: list[str], picks: list[int], limit: int | None) -> Iterator[tuple[int, list[Any] | DataError]]:
    counter = [0]
    lines = _text_lines(path, counter)
    reader = csv.reader(lines, strict=True)
    width, last_end, produced = len(header), 1, 0
    try:
        next(reader, None)  # header
        last_end = counter[0]
        while limit is None or produced < limit:
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise DataError(f"line {last_end + 1}: malformed CSV ({exc})", path=path, row=last_end + 1) from None
            start, last_end = last_end + 1, counter[0]
            if not values or (len(values) == 1 and not values[0].strip() and width > 1):
                continue  # a blank line
            try:
                if len(values) != width:
                    raise DataError(
                        f"line {start} has {len(values)} fields; the header (line 1) has {width}",
                        path=path,
                        row=start,
                        hint="a field holding the separator must be quoted",
                    )
                if max(map(len, values)) > MAX_FIELD_CHARS:
                    _check_lengths(path, start, header, values)
                if "\x00" in "".join(values):
                    _check_nul(path, start, header, values)
            except DataError as exc:
                yield start, _row_problem(exc)  # reported with the file's other problems
                continue
            produced += 1
            yield start, [values[i] for i in picks]
    finally:
        lines.close()


#: the code of a row the reader cannot make values of (see :meth:`Table.rows`)
ROW_UNREADABLE = "D108"


def _row_problem(exc: DataError) -> DataError:
    if exc.code == DataError.code:
        exc.code = ROW_UNREADABLE
    return exc


def _check_nul(path: Path, line: int, header: list[str], values: list[str]) -> None:
    for name, value in zip(header, values):
        if "\x00" in value:
            raise DataError(
                f"line {line}: field '{name}' holds a NUL byte (at character {value.index(chr(0)) + 1})",
                path=path,
                row=line,
                field=name,
                hint="a text file has no NUL bytes: the file is binary, truncated or in another encoding (UTF-16?)",
            )


def _check_lengths(path: Path, line: int, header: list[str], values: list[str]) -> None:
    for name, value in zip(header, values):
        if len(value) > MAX_FIELD_CHARS:
            raise _long_field(path, line, name, len(value))


# --- JSON lines -----------------------------------------------------------------------------


def _jsonl_table(path: Path) -> Table:
    first = next((obj for _, obj in _jsonl_objects(path, None) if isinstance(obj, dict)), None)
    if first is None:
        raise DataError("the file holds no JSON object", path=path)
    fields = list(first)

    def rows(columns: list[str], limit: int | None) -> Iterator[tuple[int, list[Any] | DataError]]:
        for line, obj in _jsonl_objects(path, limit):
            yield line, obj if isinstance(obj, DataError) else [obj.get(c, MISSING) for c in columns]

    return Table(str(path), "jsonl", fields, rows)


def _jsonl_objects(path: Path, limit: int | None) -> Iterator[tuple[int, dict[str, Any] | DataError]]:
    """``(line, object)`` for each JSON line, or ``(line, DataError)`` for a line that is none."""
    counter = [0]
    lines = _text_lines(path, counter)
    produced = 0
    try:
        for text in lines:
            if limit is not None and produced >= limit:
                return
            if not text.strip():
                continue
            line = counter[0]
            try:
                obj = _json_object(path, line, text)
            except DataError as exc:
                yield line, _row_problem(exc)  # reported with the file's other problems
                continue
            produced += 1
            yield line, obj
    finally:
        lines.close()


def _json_object(path: Path, line: int, text: str) -> dict[str, Any]:
    try:
        obj = loads(text)
    except JSONTooDeep as exc:
        raise DataError(
            f"line {line}: the value is {exc}", path=path, row=line, field=exc.key or None,
            hint="a field holds a number, a string or a list of them",
        ) from None
    except json.JSONDecodeError as exc:
        raise DataError(
            f"line {line}: not valid JSON ({exc.msg} at column {exc.colno})", path=path, row=line
        ) from None
    if not isinstance(obj, dict):
        raise DataError(
            f"line {line}: expected a JSON object {{...}}, found {type(obj).__name__}", path=path, row=line
        )
    if len(text) > MAX_FIELD_CHARS:
        _check_json_lengths(path, line, obj)
    return obj


def _check_json_lengths(path: Path, line: int, obj: dict[str, Any]) -> None:
    for name, value in obj.items():
        size = len(value) if isinstance(value, str) else len(json.dumps(value, default=_huge_as_digits))
        if size > MAX_FIELD_CHARS:
            raise _long_field(path, line, name, size)


def _huge_as_digits(value: Any) -> Any:
    """For measuring a field's length: a :class:`HugeNumber` counts as its digits."""
    if isinstance(value, HugeNumber):
        return "#" * (value.digits - 2)  # with its quotes, as long as the number was
    raise TypeError(type(value).__name__)


# --- Parquet --------------------------------------------------------------------------------


def _parquet_table(path: Path) -> Table:
    try:
        import pyarrow.parquet as pq
    except ImportError:
        raise DataError(
            "reading Parquet needs the optional dependency pyarrow, which is not installed",
            path=path,
            hint="pip install 'alframe[parquet]'  (or: pip install pyarrow), or convert the file to CSV/JSONL",
        ) from None
    try:
        pfile = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises several types for a broken file
        raise DataError(f"not a readable Parquet file ({exc})", path=path) from None
    fields = list(pfile.schema_arrow.names)

    def rows(columns: list[str], limit: int | None) -> Iterator[tuple[int, list[Any] | DataError]]:
        line = 0
        unique = list(dict.fromkeys(columns))  # a field may serve twice (id and text)
        for batch in pfile.iter_batches(columns=unique, batch_size=65536):
            cols = [batch.column(c).to_pylist() for c in columns]
            for values in zip(*cols):
                if limit is not None and line >= limit:
                    return
                line += 1
                yield line, list(values)

    return Table(str(path), "parquet", fields, rows)
