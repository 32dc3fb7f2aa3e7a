"""``load_dataset``: a data plan and a label plan in, a checked :class:`Dataset` out.

The one straight path of the data layer: open the file(s), check that every field the spec
names exists, stream the rows once (ids, texts, numbers, label cells, each checked strictly),
choose the label space over the whole file, sort items by id, settle duplicate ids, split off
the test items and hash what determines the data. Every problem is a
:class:`~alframe.errors.DataError` naming the file, the line (1-based, as an editor shows it;
in CSV the header is line 1) and the field.

``DataPlan.limit`` reads only the first N item rows of the data file (before sorting), for
quick slices; a separate test file is always read whole.

The data file may hold no labels at all (a cold start: every item's label field missing or
null, or the field absent from the file): the label space then comes from the spec's ``names``
or from a test file's labels. Without labelled test items no test metric can be computed; a
data file without labels and a test split held out of it (``test fraction`` above 0) is refused,
since those items could be neither scored nor asked (D220).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from alframe.data.dataset import Dataset
from alframe.data.labels import (
    CellError,
    binary_codes,
    code_matrix,
    count_list_positives,
    list_cell,
    list_matrix,
    misparsed_separator,
    resolve_columns,
    select_labels,
    unknown_field,
)
from alframe.data.readers import MISSING, HugeNumber, JSONTooDeep, Table, format_of, loads, open_table, shown
from alframe.errors import DataError, DataErrors, nearest
from alframe.plan import DataPlan, LabelPlan

TEXT_JOIN = " | "
#: Longest item id (characters): ids are stored, shown and exported with every answer; as long as
#: the longest JSON integer read as a number.
MAX_ID_CHARS = 4000
#: Problems of one file's rows reported at once; reading stops after one more.
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class _Layout:
    """Which fields to read, in the order the reader returns them."""

    id_field: str
    text_fields: tuple[str, ...]
    numeric_fields: tuple[str, ...]
    label_fields: tuple[str, ...]  # the list column, or the binary label columns
    source: str
    separator: str
    absent: bool = False  # the label list field is not in the file: every item is unlabelled
    label_note: str | None = None  # "the data file has no field 'tag' (did you mean 'tags'?)"

    @property
    def columns(self) -> list[str]:
        labels = [] if self.absent else list(self.label_fields)
        return [self.id_field, *self.text_fields, *self.numeric_fields, *labels]


@dataclass
class _Rows:
    """One file's rows as read, in file order."""

    path: str
    lines: list[int] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    numbers: list[list[float]] = field(default_factory=list)
    numeric_names: list[str] = field(default_factory=list)
    tag_sets: list[tuple[str, ...] | None] = field(default_factory=list)  # source "list"
    codes: bytearray = field(default_factory=bytearray)  # source "columns", row-major


def load_dataset(data: DataPlan, labels: LabelPlan) -> Dataset:
    """Read the data the plan names into a :class:`Dataset` (items sorted by id)."""
    main = open_table(data.path, data.format)
    layout = _layout(data, labels, main)
    rows = _read(main, layout, data.limit)
    test_table = open_table(data.test_path, format_of(data.test_path)) if data.test_path else None
    space = _label_space(rows, layout, labels, test_table)
    matrix = _label_matrix(rows, layout, space.names)

    parts = [(rows, matrix)]
    if test_table is not None:
        if space.test is None:
            test_layout = _test_layout(layout, space.names, test_table)
            space.test = (_read(test_table, test_layout, None), test_layout)
        test_rows, test_layout = space.test
        parts.append((test_rows, _label_matrix(test_rows, test_layout, space.names)))
    return _assemble(parts, space, data, labels)


# --- fields ---------------------------------------------------------------------------------


def _layout(data: DataPlan, labels: LabelPlan, table: Table) -> _Layout:
    named = [(data.id_field, "the id field")]
    named += [(f, "text field") for f in data.text_fields]
    named += [(f, "numeric field") for f in data.numeric_fields]
    if labels.source == "list":
        if not labels.column:
            raise DataError("labels from a list need the name of the field holding the list", path=table.path)
        named.append((labels.column, "label list field"))
    absent, note = False, None
    for name, role in named:
        if name not in table.fields:
            if role == "label list field":
                # an unlabelled data file (a cold start); a JSONL object lacking it reads as unknown
                absent = table.format != "jsonl"
                guess = nearest(name, [f for f in table.fields if f != name])
                note = f"the data file {Path(table.path).name} has no field '{name}'" + (
                    f" (did you mean '{guess}'?)" if guess else "")
                continue
            raise unknown_field(name, table.fields, table.path, role)
    if labels.source == "list":
        label_fields: tuple[str, ...] = (labels.column or "",)
    elif labels.source == "columns":
        patterns = labels.columns or labels.names
        if not patterns:
            raise DataError("labels from columns need the column names or globs", path=table.path)
        reserved = {data.id_field, *data.text_fields, *data.numeric_fields}
        label_fields = tuple(sorted(resolve_columns(patterns, table.fields, reserved, table.path)))
    else:
        raise DataError(f"unknown label source {labels.source!r} (sources: list, columns)", path=table.path)
    return _Layout(
        data.id_field, data.text_fields, data.numeric_fields, label_fields, labels.source, labels.separator, absent, note
    )


def _test_layout(layout: _Layout, names: list[str], table: Table) -> _Layout:
    """The test file must hold the same fields; for binary columns only the chosen labels."""
    label_fields = layout.label_fields if layout.source == "list" else tuple(names)
    test = _Layout(
        layout.id_field, layout.text_fields, layout.numeric_fields, label_fields, layout.source, layout.separator
    )
    for name in test.columns:
        if name not in table.fields:
            raise DataError(
                f"the test file lacks the field '{name}' that the data file has",
                path=table.path,
                field=name,
                hint="the test file needs the data file's id, text, numeric and label fields",
            )
    return test


# --- rows -----------------------------------------------------------------------------------


def _read(table: Table, layout: _Layout, limit: int | None) -> _Rows:
    out = _Rows(table.path)
    n_text, n_num = len(layout.text_fields), len(layout.numeric_fields)
    label_names = list(layout.label_fields)
    widths: list[int] | None = None
    problems: list[DataError] = []
    for line, values in table.rows(layout.columns, limit):
        if len(problems) > MAX_PROBLEMS:  # one past the cap: enough to say there are more
            break
        if isinstance(values, DataError):  # a row the reader could not read
            problems.append(values)
            continue
        try:
            out.ids.append(_item_id(values[0], layout.id_field))
            texts = [_text(v, f) for v, f in zip(values[1 : 1 + n_text], layout.text_fields)]
            out.texts.append(TEXT_JOIN.join(t for t in texts if t))
            if n_num:
                nums = values[1 + n_text : 1 + n_text + n_num]
                row, row_widths = _numbers(nums, layout.numeric_fields, widths)
                widths = widths or row_widths
                out.numbers.append(row)
            cells = values[1 + n_text + n_num :]
            if layout.absent:
                out.tag_sets.append(None)
            elif layout.source == "list":
                out.tag_sets.append(list_cell(cells[0], label_names[0], layout.separator))
            else:
                out.codes.extend(binary_codes(cells, label_names))
        except CellError as exc:
            # every problem of the file at once (up to MAX_PROBLEMS): reading goes on, and the rows
            # read are never used, since the file is refused
            problems.append(DataError(f"line {line}: {exc.message}", path=table.path, row=line, field=exc.field,
                                      hint=exc.hint, code=exc.code))
            continue
        out.lines.append(line)
    if problems:
        shown = problems[:MAX_PROBLEMS]
        if len(shown) == 1:
            raise shown[0]
        raise DataErrors(shown, more=len(problems) - len(shown))
    if not out.ids:
        raise DataError("the file holds no items", path=table.path)
    out.numeric_names = _numeric_names(layout.numeric_fields, widths or [])
    return out


def _item_id(value: Any, name: str) -> str:
    if isinstance(value, str):
        text = value.strip()
        if len(text) > MAX_ID_CHARS:
            raise CellError(f"the id is {len(text):,} characters long; the limit is {MAX_ID_CHARS:,}", name, code="D101")
        if text:
            return text
    elif isinstance(value, HugeNumber):
        raise CellError(f"the id is {value!r}; the limit is {MAX_ID_CHARS:,} characters", name, code="D101")
    elif isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    elif value is not None and value is not MISSING:
        raise CellError(f"the id {shown(value)} is not a string or an integer", name, code="D101")
    raise CellError("the item has no id", name, "every item needs a non-empty id", code="D101")


def _text(value: Any, name: str) -> str:
    if isinstance(value, str):
        return value
    if value is None or value is MISSING:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    what = repr(value) if isinstance(value, HugeNumber) else type(value).__name__
    raise CellError(f"expected text, found {what}", name, code="D102")


def _numbers(values: list[Any], names: tuple[str, ...], widths: list[int] | None) -> tuple[list[float], list[int]]:
    """One row's numeric fields flattened; a JSON list is a vector field of fixed width."""
    row: list[float] = []
    row_widths: list[int] = []
    for k, (value, name) in enumerate(zip(values, names)):
        if isinstance(value, str) and value.lstrip().startswith("["):
            value = _json_vector(value, name)
        if isinstance(value, list):
            numbers = [_number(v, name) for v in value]
        else:
            numbers = [_number(value, name)]
        if widths is not None and len(numbers) != widths[k]:
            raise CellError(f"the vector has {len(numbers)} numbers; earlier rows have {widths[k]}", name, code="D105")
        row.extend(numbers)
        row_widths.append(len(numbers))
    return row, row_widths


def _json_vector(text: str, name: str) -> Any:
    try:
        return loads(text)
    except JSONTooDeep as exc:
        raise CellError(f"the vector is {exc}", name, code="D104") from None
    except json.JSONDecodeError:
        raise CellError(f"{shown(text)} is not a number or a JSON list of numbers", name, code="D103") from None


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or value is None or value is MISSING or isinstance(value, (list, dict)):
        what = "missing" if value is MISSING else ("empty (null)" if value is None else shown(value))
        raise CellError(f"the numeric value is {what}, not a number", name, code="D103")
    if isinstance(value, HugeNumber):
        raise CellError(f"the value is {value!r}, too large for a 32-bit float", name, code="D104")
    if isinstance(value, str):
        if not value.strip():
            raise CellError("the numeric cell is empty", name, "every item needs a value here", code="D103")
        try:
            number = float(value)
        except ValueError:
            raise CellError(f"{shown(value)} is not a number", name, code="D103") from None
        if math.isinf(number) and not any(w in value.lower() for w in ("inf", "nan")):
            raise CellError(f"the value {shown(value.strip())} is too large for a 32-bit float", name, code="D104")
    elif isinstance(value, (int, float)):
        try:
            number = float(value)
        except OverflowError:
            raise CellError(f"the value is {shown(value)}, too large for a 32-bit float", name, code="D104") from None
    else:
        raise CellError(f"the numeric value is {type(value).__name__}, not a number", name, code="D103")
    if not math.isfinite(number):
        raise CellError(f"the value {value!r} is not finite (NaN or infinite)", name, code="D104")
    return number


def _numeric_names(fields: tuple[str, ...], widths: list[int]) -> list[str]:
    names: list[str] = []
    for name, width in zip(fields, widths):
        names += [name] if width == 1 else [f"{name}[{k}]" for k in range(width)]
    return names


# --- labels ---------------------------------------------------------------------------------


@dataclass
class _Space:
    """The chosen label space and what the start summary says about it."""

    names: list[str]
    origin: str  # where the names came from, in words
    candidates: int  # labels the counted file offered
    removed: list[str]  # one phrase per filter that dropped labels
    notes: list[str]  # warnings found on the way
    test: tuple[_Rows, _Layout] | None = None  # the test file, when it was read to choose


def _counts(rows: _Rows, layout: _Layout) -> dict[str, int]:
    """Positives per candidate label in one file."""
    if layout.source == "list":
        return dict(count_list_positives(rows.tag_sets))
    codes = code_matrix(rows.codes, len(rows.ids), len(layout.label_fields))  # [n, C]
    positives = (codes == 1).sum(axis=0)
    return {name: int(p) for name, p in zip(layout.label_fields, positives)}


def _labelled_rows(rows: _Rows, layout: _Layout) -> int:
    """Items of one file with at least one known label cell."""
    if layout.source == "list":
        return sum(1 for t in rows.tag_sets if t is not None)
    codes = code_matrix(rows.codes, len(rows.ids), len(layout.label_fields))  # [n, C]
    return int((codes >= 0).any(axis=1).sum()) if codes.size else 0


def _label_space(rows: _Rows, layout: _Layout, plan: LabelPlan, test_table: Table | None) -> _Space:
    """The label names a run learns: the spec's ``names``; else those of the data file; else, when
    the data file holds no positive label at all (a cold start), those of the test file. A label
    field the data file does not have is named in the error when no label is found (a typo)."""
    try:
        return _choose_labels(rows, layout, plan, test_table)
    except DataError as exc:
        if layout.label_note and exc.path == rows.path:
            exc.message += f" ({layout.label_note})"
            exc.args = (exc.message,)
        raise


def _choose_labels(rows: _Rows, layout: _Layout, plan: LabelPlan, test_table: Table | None) -> _Space:
    counts = _counts(rows, layout)
    cold = _labelled_rows(rows, layout) == 0
    notes: list[str] = []
    if cold and layout.label_note:
        notes.append(layout.label_note + ": every item in it is unlabelled")
    test: tuple[_Rows, _Layout] | None = None

    def read_test() -> dict[str, int]:
        nonlocal test
        assert test_table is not None
        test_layout = _test_layout(layout, list(layout.label_fields), test_table)
        test = (_read(test_table, test_layout, None), test_layout)
        return _counts(*test)

    removed: list[str] = []
    if plan.names:
        known = counts
        if test_table is not None and any(n not in counts for n in plan.names):
            known = {**read_test(), **{k: v for k, v in counts.items() if v}}
        names = select_labels(counts, plan, rows.path, known=known, notes=notes if cold else None)
        return _Space(names, "named in the spec", len(names), [], notes, test)
    if test_table is not None and not any(counts.values()):
        test_counts = read_test()
        names = select_labels(test_counts, plan, test_table.path, removed=removed)
        origin = "found in the test file (the data file holds no labels)"
        candidates = test_counts
    else:
        names = select_labels(counts, plan, rows.path, removed=removed)
        origin, candidates = "found in the data file", counts
    if layout.source == "list":
        warning = misparsed_separator(candidates, layout.separator)
        if warning:
            notes.append(warning)
    return _Space(names, origin, len(candidates), removed, notes, test)


def _label_matrix(rows: _Rows, layout: _Layout, names: list[str]) -> np.ndarray:
    """int8 [n, L] in the order of ``names``."""
    if layout.source == "list":
        return list_matrix(rows.tag_sets, names)
    codes = code_matrix(rows.codes, len(rows.ids), len(layout.label_fields))  # [n, C]
    col = {name: j for j, name in enumerate(layout.label_fields)}
    return np.ascontiguousarray(codes[:, [col[n] for n in names]])


# --- assembling -----------------------------------------------------------------------------


def _assemble(parts: list[tuple[_Rows, np.ndarray]], space: _Space, data: DataPlan, plan: LabelPlan) -> Dataset:
    names = space.names
    ids = [i for rows, _ in parts for i in rows.ids]
    texts = [t for rows, _ in parts for t in rows.texts]
    origin = [(k, line) for k, (rows, _) in enumerate(parts) for line in rows.lines]
    labels = np.concatenate([m for _, m in parts], axis=0)  # [n, L]
    numeric = _numeric_matrix(parts)
    order = sorted(range(len(ids)), key=ids.__getitem__)
    warnings: list[str] = []
    keep = _settle_duplicates(order, ids, texts, numeric, labels, origin, [r for r, _ in parts], names, warnings)

    sel = np.asarray(keep, dtype=np.int64)
    from_test = np.asarray([origin[i][0] == 1 for i in keep], dtype=bool)
    test_idx, pool_idx = _split(len(keep), from_test, data)
    labels = np.ascontiguousarray(labels[sel])
    _check_test_split(labels, test_idx, pool_idx, data)
    warnings[:0] = space.notes
    _label_warnings(labels, names, test_idx, warnings)
    return Dataset(
        path=data.path,
        ids=[ids[i] for i in keep],
        texts=[texts[i] for i in keep],
        numeric=None if numeric is None else np.ascontiguousarray(numeric[sel]),
        numeric_names=parts[0][0].numeric_names,
        labels=labels,
        label_names=names,
        test_idx=test_idx,
        pool_idx=pool_idx,
        fingerprint=_fingerprint(data, plan, names),
        warnings=warnings,
        notes=_start_notes(labels, test_idx, pool_idx, space, data),
    )


def _numeric_matrix(parts: list[tuple[_Rows, np.ndarray]]) -> np.ndarray | None:
    """float32 [n, d], refusing values that overflow float32."""
    if not parts[0][0].numeric_names:
        return None
    blocks = []
    for rows, _ in parts:
        if rows.numeric_names != parts[0][0].numeric_names:
            raise DataError(
                f"the numeric fields have other widths than in the data file ({len(rows.numeric_names)} columns, "
                f"not {len(parts[0][0].numeric_names)})",
                path=rows.path,
            )
        with np.errstate(over="ignore"):
            block = np.asarray(rows.numbers, dtype=np.float64).astype(np.float32)  # [n_k, d]
        bad = np.argwhere(~np.isfinite(block))
        if len(bad):
            r, c = bad[0]
            raise DataError(
                f"line {rows.lines[r]}: {rows.numbers[r][c]!r} is too large for a 32-bit float",
                path=rows.path,
                row=rows.lines[r],
                field=rows.numeric_names[c],
            )
        blocks.append(block)
    return np.concatenate(blocks, axis=0)


def _settle_duplicates(
    order: list[int],
    ids: list[str],
    texts: list[str],
    numeric: np.ndarray | None,
    labels: np.ndarray,
    origin: list[tuple[int, int]],
    files: list[_Rows],
    names: list[str],
    warnings: list[str],
) -> list[int]:
    """Sorted row indices with each id once: identical repeats kept once, conflicts refused."""
    keep: list[int] = []
    repeats: list[str] = []
    for i in order:
        if keep and ids[keep[-1]] == ids[i]:
            first = keep[-1]
            _check_same(first, i, ids, texts, numeric, labels, origin, files, names)
            repeats.append(f"'{ids[i]}' ({_where(origin[first], files)} and {_where(origin[i], files)})")
            continue
        keep.append(i)
    if repeats:
        shown = ", ".join(repeats[:5]) + (f", and {len(repeats) - 5} more" if len(repeats) > 5 else "")
        warnings.append(f"{len(repeats)} duplicate item id(s) with identical values kept once: {shown}")
    return keep


def _check_same(
    a: int,
    b: int,
    ids: list[str],
    texts: list[str],
    numeric: np.ndarray | None,
    labels: np.ndarray,
    origin: list[tuple[int, int]],
    files: list[_Rows],
    names: list[str],
) -> None:
    where = f"{_where(origin[a], files)} and {_where(origin[b], files)}"
    file_b, line_b = origin[b]
    path = files[file_b].path
    if origin[a][0] != file_b:
        raise DataError(f"item '{ids[b]}' is both in the data file and in the test file ({where})", path=path, row=line_b)
    diff = np.flatnonzero(labels[a] != labels[b])
    if len(diff):
        j = int(diff[0])
        raise DataError(
            f"item '{ids[b]}' appears twice with conflicting labels ({where}): "
            f"'{names[j]}' is {labels[a, j]} on line {origin[a][1]} and {labels[b, j]} on line {line_b}",
            path=path,
            row=line_b,
            field=names[j],
        )
    if texts[a] != texts[b] or (numeric is not None and not np.array_equal(numeric[a], numeric[b])):
        raise DataError(
            f"item '{ids[b]}' appears twice with different text or numbers ({where})", path=path, row=line_b
        )


def _where(origin: tuple[int, int], files: list[_Rows]) -> str:
    k, line = origin
    return f"line {line}" if k == 0 else f"line {line} of {Path(files[k].path).name}"


def _split(n: int, from_test: np.ndarray, data: DataPlan) -> tuple[np.ndarray, np.ndarray]:
    """Test and pool indices (int64, ascending); the test items never enter the pool."""
    if data.test_path:
        is_test = from_test
    else:
        if not 0.0 <= data.test_fraction < 1.0:
            raise DataError(f"the test fraction must be in [0, 1), not {data.test_fraction}", path=data.path)
        n_test = int(math.floor(n * data.test_fraction + 0.5))
        if data.test_fraction > 0 and n >= 2:
            n_test = min(max(n_test, 1), n - 1)
        perm = np.random.default_rng(data.test_seed).permutation(n)  # [n]
        is_test = np.zeros(n, dtype=bool)
        is_test[perm[:n_test]] = True
    return np.flatnonzero(is_test).astype(np.int64), np.flatnonzero(~is_test).astype(np.int64)


def _label_warnings(labels: np.ndarray, names: list[str], test_idx: np.ndarray, warnings: list[str]) -> None:
    def listing(cols: np.ndarray) -> str:
        shown = ", ".join(f"'{names[j]}'" for j in cols[:8])
        return shown + (f", … ({len(cols) - 8} more)" if len(cols) > 8 else "")

    if not (labels[test_idx] >= 0).any():
        return  # no test metrics at all: the start summary says so once
    none = np.flatnonzero(~(labels == 1).any(axis=0))
    if len(none):
        warnings.append(f"{len(none)} label(s) have no positive in the data; their metrics are undefined: {listing(none)}")
    if len(test_idx):
        in_test = np.flatnonzero(~(labels[test_idx] == 1).any(axis=0))
        in_test = np.setdiff1d(in_test, none)
        if len(in_test):
            warnings.append(
                f"{len(in_test)} label(s) have no positive in the test split; their test metrics are undefined "
                f"and left out of macro averages: {listing(in_test)}"
            )


def _check_test_split(labels: np.ndarray, test_idx: np.ndarray, pool_idx: np.ndarray, data: DataPlan) -> None:
    """A data file without any label cannot give a test split: its held-out items could be
    neither scored nor asked. Refused before anything is asked (the spec can still change)."""
    if data.test_path or not len(test_idx) or (labels >= 0).any():
        return
    raise DataError(
        f"the data file holds no labels, so the {len(test_idx):,} items of its test split (test fraction "
        f"{data.test_fraction:g}) could never be scored, and would never be asked either",
        path=data.path,
        code="D220",
        hint="write test fraction 0 in the data block (no test metrics: the run shows estimates from the answers), "
        'or give labelled test items: test file "FILE"',
    )


def _start_notes(labels: np.ndarray, test_idx: np.ndarray, pool_idx: np.ndarray, space: _Space, data: DataPlan) -> list[str]:
    """What the run will work with, in three lines: labels, items, test metrics."""
    n_labels = len(space.names)
    text = f"labels: {n_labels:,} {space.origin}"
    if space.candidates != n_labels and space.removed:
        text += f", of {space.candidates:,} candidates ({'; '.join(space.removed)})"
    lines = [text]
    pool_known = int((labels[pool_idx] >= 0).any(axis=1).sum()) if len(pool_idx) else 0
    test_known = int((labels[test_idx] >= 0).any(axis=1).sum()) if len(test_idx) else 0
    pool = f"items: {len(pool_idx):,} in the pool ({pool_known:,} labelled"
    pool += ": a cold start, every answer comes from the oracle)" if pool_known == 0 else ")"
    if data.test_path:
        test = f"{len(test_idx):,} in the test split from {Path(data.test_path).name} ({test_known:,} labelled)"
    elif len(test_idx):
        test = f"{len(test_idx):,} in the test split (test fraction {data.test_fraction:g}; {test_known:,} labelled)"
    else:
        test = "no test split"
    lines.append(f"{pool}, {test}")
    if test_known == 0:
        lines.append(
            "no labelled test items: alframe cannot report test metrics; after each round it shows estimates "
            "from the answers instead (answers, positives found, the model's expected micro-F1 on the pool)"
        )
    return lines


def _fingerprint(data: DataPlan, plan: LabelPlan, names: list[str]) -> str:
    """sha256 of the file bytes (and the test file's), the label names, fields and split."""
    h = hashlib.sha256()
    for path in (data.path, data.test_path):
        if path:
            with open(path, "rb") as fh:
                for chunk in iter(lambda: fh.read(1 << 20), b""):
                    h.update(chunk)
        h.update(b"\0file\0")
    meta = {
        "labels": names,
        "fields": [data.id_field, list(data.text_fields), list(data.numeric_fields), plan.source, plan.column],
        "split": [data.test_fraction, data.test_seed, bool(data.test_path), data.limit],
    }
    h.update(json.dumps(meta, sort_keys=True).encode())
    return h.hexdigest()[:16]
