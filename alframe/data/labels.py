"""The label space: reading label cells strictly, and choosing which labels a run learns.

Two ways a file holds labels (:class:`alframe.plan.LabelPlan`):

- ``source "list"``: one field holds the item's **complete** positive set, as a JSON list or a
  string split by ``separator``. Every label not in the list is a 0 for that item; an explicit
  ``null`` (or ``?`` / ``unknown``), or a JSON object without the field, means all of the item's
  labels are unknown (an unlabelled item, never "no labels"); a blank CSV cell is an error,
  because "no labels" must be written (``[]``) and "unknown" too (``?``), never guessed.
- ``source "columns"``: one 0/1 field per label, named or matched by globs. A blank cell is an
  error (a blank is never read as 0); ``?``, ``unknown``, JSON ``null`` and a JSON object without
  the field mean unknown.

Cells become int8 codes 1, 0 and -1 (unknown). The filters (include/exclude globs,
``min_positives``, ``max_labels``, or an explicit ``names`` list) run over the whole data file,
and the chosen names are sorted, so label ``j`` is the same label in every run on that file.
"""

from __future__ import annotations

import fnmatch
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

from alframe.data.readers import MISSING, JSONTooDeep, loads, shown
from alframe.errors import DataError, nearest
from alframe.plan import LabelPlan

UNKNOWN_CODE = 255  # stored in a bytearray, read back as int8 -1

#: Cell → code for every accepted spelling. ``True``/``1``/``1.0`` hash alike, so JSON booleans
#: and floats equal to 0 or 1 are found too.
_BINARY: dict[Any, int] = {
    "0": 0,
    "1": 1,
    "0.0": 0,
    "1.0": 1,
    0: 0,
    1: 1,
    "?": UNKNOWN_CODE,
    "unknown": UNKNOWN_CODE,
    "Unknown": UNKNOWN_CODE,
    "UNKNOWN": UNKNOWN_CODE,
    None: UNKNOWN_CODE,
}
_UNKNOWN_WORDS = {"?", "unknown", "null"}
_BINARY_HINT = "write 1 (yes), 0 (no), or ? (unknown)"
_LIST_HINT = "write [] for an item with no labels, or null (JSONL) / ? (CSV) when its labels are unknown"


class CellError(Exception):
    """A bad value in one cell; the reading loop adds the file and line."""

    def __init__(self, message: str, field: str, hint: str | None = None, code: str = "D100") -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.hint = hint
        self.code = code


# --- cells ----------------------------------------------------------------------------------


def binary_codes(values: list[Any], names: list[str]) -> list[int]:
    """Codes (1, 0, :data:`UNKNOWN_CODE`) of one row's binary label cells."""
    try:
        codes: list[int | None] = list(map(_BINARY.get, values))  # None: not a plain spelling
    except TypeError:  # an unhashable value (a list or object)
        codes = [None]
    if None in codes:
        return [binary_cell(v, n) for v, n in zip(values, names)]
    return codes  # type: ignore[return-value]


def binary_cell(value: Any, name: str) -> int:
    """The slow path of :func:`binary_codes`: tolerate spaces, explain what is wrong."""
    if value is MISSING:
        return UNKNOWN_CODE  # a JSON object without the field: unknown, never 0
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise CellError("empty label cell: a blank is never read as 0", name, _BINARY_HINT, code="D106")
        code = _BINARY.get(text)
        if code is None and text.lower() in _UNKNOWN_WORDS:
            code = UNKNOWN_CODE
        if code is not None:
            return code
        raise CellError(f"label value {shown(value)} is not 0 or 1", name, _BINARY_HINT, code="D106")
    try:
        code = _BINARY.get(value)
    except TypeError:
        code = None
    if code is not None:
        return code
    raise CellError(f"label value {shown(value)} is not 0 or 1", name, _BINARY_HINT, code="D106")


def list_cell(value: Any, name: str, separator: str) -> tuple[str, ...] | None:
    """The positive set of one item (``None``: all of its labels are unknown)."""
    if value is MISSING or value is None:
        return None  # unknown: an unlabelled item (a missing field is never "no labels")
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise CellError("empty label list: a blank is never read as 'no labels'", name, _LIST_HINT, code="D107")
        if text.lower() in _UNKNOWN_WORDS:
            return None
        if text.startswith("["):
            return list_cell(_json_list(text, name), name, separator)
        return tuple(sorted({t.strip() for t in text.split(separator)} - {""}))
    if isinstance(value, list):
        return tuple(sorted({_label_name(v, name) for v in value} - {""}))
    raise CellError(f"expected a list of labels, found {type(value).__name__} {shown(value)}", name, _LIST_HINT, code="D107")


def _json_list(text: str, name: str) -> list[Any]:
    import json

    try:
        value = loads(text)
    except JSONTooDeep as exc:
        raise CellError(f"the label list is {exc}", name, _LIST_HINT, code="D107") from None
    except json.JSONDecodeError as exc:
        raise CellError(f"the label list {shown(text, 60)} is not a valid JSON list ({exc.msg})", name, code="D107") from None
    if not isinstance(value, list):
        raise CellError(f"expected a list of labels, found {shown(text, 60)}", name, _LIST_HINT, code="D107")
    return value


def _label_name(value: Any, name: str) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise CellError(f"a label in the list is {shown(value)}; labels are names (strings)", name, code="D107")


# --- columns and globs ----------------------------------------------------------------------


def is_glob(pattern: str) -> bool:
    return any(c in pattern for c in "*?[")


def resolve_columns(
    patterns: Iterable[str], fields: list[str], reserved: set[str], path: str
) -> dict[str, str]:
    """Label columns named by ``patterns`` (names or fnmatch globs) → the pattern that chose each.

    A glob never matches the id, text or numeric fields (``reserved``); a name or glob that
    matches nothing is an error naming the file's fields.
    """
    chosen: dict[str, str] = {}
    for pattern in patterns:
        if is_glob(pattern):
            matched = [f for f in fields if f not in reserved and fnmatch.fnmatchcase(f, pattern)]
            if not matched:
                raise DataError(
                    f"no field matches the label glob '{pattern}'",
                    path=path,
                    field=pattern,
                    hint="the file's fields: " + _listing(fields),
                )
            for f in matched:
                chosen.setdefault(f, pattern)
        elif pattern in fields:
            chosen.setdefault(pattern, pattern)
        else:
            raise unknown_field(pattern, fields, path, role="label column")
    return chosen


def unknown_field(name: str, fields: list[str], path: str, role: str) -> DataError:
    guess = nearest(name, fields)
    hint = (f"did you mean '{guess}'? " if guess else "") + "the file's fields: " + _listing(fields)
    return DataError(f"the spec names {role} '{name}', which the file does not have", path=path, field=name, hint=hint)


def _listing(names: list[str], limit: int = 40) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", … ({len(names) - limit} more)" if len(names) > limit else "")


# --- choosing the label space ---------------------------------------------------------------


def count_list_positives(tag_sets: Iterable[tuple[str, ...] | None]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for tags in tag_sets:
        if tags:
            counts.update(tags)
    return counts


def select_labels(
    counts: dict[str, int],
    plan: LabelPlan,
    path: str,
    *,
    removed: list[str] | None = None,
    known: dict[str, int] | None = None,
    notes: list[str] | None = None,
) -> list[str]:
    """The sorted label names a run learns, from each candidate's positives in ``counts``.

    ``removed`` (when given) receives one phrase per filter that dropped labels, for the run's
    start summary. With ``names``, ``known`` lists the labels the data knows of (default:
    ``counts``), and ``notes`` (when given, for a data file without labels) takes a warning for
    a name found nowhere instead of the error a name absent from labelled data is.
    """
    if plan.names:
        return _explicit(known if known is not None else counts, plan.names, path, notes)
    names = sorted(counts)
    said: list[str] = []
    if plan.include:
        kept = [n for n in names if any(fnmatch.fnmatchcase(n, g) for g in plan.include)]
        said.append(f"include {list(plan.include)} removed {len(names) - len(kept)}")
        names = kept
    if plan.exclude:
        kept = [n for n in names if not any(fnmatch.fnmatchcase(n, g) for g in plan.exclude)]
        said.append(f"exclude {list(plan.exclude)} removed {len(names) - len(kept)}")
        names = kept
    if plan.min_positives > 0:
        kept = [n for n in names if counts[n] >= plan.min_positives]
        said.append(f"min_positives {plan.min_positives} removed {len(names) - len(kept)}")
        names = kept
    if plan.max_labels is not None and len(names) > plan.max_labels:
        said.append(f"max_labels {plan.max_labels} removed {len(names) - plan.max_labels}")
        names = sorted(sorted(names, key=lambda n: (-counts[n], n))[: plan.max_labels])
    if not names:
        raise DataError(
            f"no labels left: the data has {len(counts)} candidate label(s); " + "; ".join(said or ["none given"]),
            path=path,
            hint="loosen the filters in the spec's labels block" if counts else
            "a data file without labels needs the label names: names [\"a\", \"b\"] in the labels block, "
            "or a labelled test file (test file \"…\")",
        )
    if removed is not None:
        removed.extend(s for s in said if not s.endswith(" removed 0"))
    return names


def _explicit(counts: dict[str, int], wanted: tuple[str, ...], path: str, notes: list[str] | None) -> list[str]:
    known = sorted(counts)
    for name in wanted:
        if name not in counts:
            guess = nearest(name, known)
            if notes is not None:  # an unlabelled data file: nothing to check a name against
                if known:
                    notes.append(
                        f"label '{name}' named in the spec occurs in no labelled item"
                        + (f" (did you mean '{guess}'?)" if guess else "")
                    )
                continue
            raise DataError(
                f"label '{name}' named in the spec does not occur in the data",
                path=path,
                field=name,
                hint=(f"did you mean '{guess}'? " if guess else "") + f"{len(known)} labels occur: " + _listing(known, 20),
            )
    return sorted(set(wanted))


#: characters that often join several labels in one string (besides the separator in use)
_JOINERS = ("|", ";", ",", "/")


def misparsed_separator(names: Iterable[str], separator: str) -> str | None:
    """A warning when label values look like several labels joined by a character other than
    ``separator`` (``a|b|c`` read with ``separator ","`` becomes one label per combination):
    at least 3 values hold the character and either a fifth of the values do, or the parts
    they split into are label values of their own. ``None`` when nothing looks wrong."""
    values = [n for n in names if n]
    if len(values) < 3:
        return None
    present = set(values)
    for joiner in _JOINERS:
        if joiner == separator:
            continue
        holding = [v for v in values if joiner in v.strip(joiner)]
        if len(holding) < 3:
            continue
        parts = {p.strip() for v in holding for p in v.split(joiner)} - {""}
        if len(holding) * 5 >= len(values) or (parts & present and len(parts & present) * 2 >= len(parts)):
            if joiner == "/" and not (parts & present):
                continue  # "sci/tech" is a name, unless its parts are labels too
            example = min(holding, key=lambda v: (-v.count(joiner), v))
            return (
                f"{len(holding)} of {len(values)} label values hold '{joiner}' (e.g. '{example}'): each combination "
                f"is a label of its own. Did you mean separator \"{joiner}\"? (labels from \"FIELD\" {{ separator \"{joiner}\" }})"
            )
    return None


# --- matrices -------------------------------------------------------------------------------


def list_matrix(tag_sets: list[tuple[str, ...] | None], names: list[str]) -> np.ndarray:
    """int8 [n, L]: 1 for a listed label, 0 for the rest, -1 for every label of a ``null`` item."""
    col = {name: j for j, name in enumerate(names)}
    out = np.zeros((len(tag_sets), len(names)), dtype=np.int8)  # [n, L]
    for i, tags in enumerate(tag_sets):
        if tags is None:
            out[i] = -1
            continue
        for t in tags:
            j = col.get(t)
            if j is not None:
                out[i, j] = 1
    return out


def code_matrix(codes: bytearray, n_rows: int, n_cols: int) -> np.ndarray:
    """int8 [n, C] from the row-major codes of :func:`binary_codes` (255 reads as -1)."""
    return np.frombuffer(bytes(codes), dtype=np.uint8).reshape(n_rows, n_cols).view(np.int8).copy()
