"""Tables that fit the terminal without cutting a number.

rich shrinks a table that is too wide by cutting its cells (``6,…``, ``0.…``). Here a table is
never cut: numbers are never wrapped, and when all the columns cannot stand side by side at the
console's width, the columns are dealt into several tables, each repeating the row names
(the first ``key`` columns). Long row names (grid settings) are replaced by short distinct
codes (``S1``, ``S2``, …) with the full names listed once below.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

Cell = str | Text

_BIG = re.compile(r"(?<![\d.,])(\d{4,})(?![\d.,]*\d)")


def with_separators(text: str) -> str:
    """``budget spent: 59954 of 60000`` → ``budget spent: 59,954 of 60,000`` (whole numbers of four
    digits or more; decimals are left alone)."""
    return _BIG.sub(lambda m: f"{int(m.group(1)):,}", text)


def short_names(names: Sequence[str], width: int, prefix: str = "S") -> tuple[list[str], list[str]]:
    """Row names to show and the legend lines: the names themselves when the longest fits in
    ``width``, else ``S1``, ``S2``, … with a legend ``S1  <full name>``."""
    if not names or max(len(n) for n in names) <= width:
        return list(names), []
    codes = [f"{prefix}{i}" for i in range(1, len(names) + 1)]
    return codes, [f"{c}  {n}" for c, n in zip(codes, names)]


def _plain(cell: Cell) -> str:
    return cell.plain if isinstance(cell, Text) else str(cell)


def _needed(columns: Sequence[str], rows: Sequence[Sequence[Cell]], j: int, key: int) -> int:
    """The narrowest column ``j`` may be: its widest number whole (a header may wrap at its
    spaces); a row name may fold, but not below 12 characters or its longest word."""
    header = max((len(w) for w in columns[j].split()), default=0)
    cells = [len(_plain(r[j])) for r in rows]
    if j < key:
        words = [len(w) for r in rows for w in _plain(r[j]).split()]
        return max(header, min(max(cells, default=0), max(12, max(words, default=0))))
    return max([header, *cells])


def _natural(columns: Sequence[str], rows: Sequence[Sequence[Cell]], j: int) -> int:
    return max([len(columns[j]), *[len(_plain(r[j])) for r in rows]])


def _widths(columns: Sequence[str], rows: Sequence[Sequence[Cell]], take: Sequence[int], key: int,
            width: int) -> list[int]:
    """Each column's width: at least what :func:`_needed` says, and as much more (up to its
    natural width, row names first) as the room allows."""
    out = [_needed(columns, rows, j, key) for j in take]
    room = width - (sum(out) + 3 * len(take) - 1)
    for i, j in enumerate(take):
        if room <= 0:
            break
        grow = min(room, _natural(columns, rows, j) - out[i])
        if grow > 0:
            out[i] += grow
            room -= grow
    return out


def _table(columns: Sequence[str], rows: Sequence[Sequence[Cell]], take: Sequence[int], key: int,
           width: int, key_justify: str = "left", **kwargs: Any) -> Table:
    t = Table(show_edge=False, header_style="bold", **kwargs)
    for j, w in zip(take, _widths(columns, rows, take, key, width)):
        # fixed widths: a number always has room for all of its digits; a header wraps at its
        # spaces, a row name folds
        t.add_column(columns[j], justify=key_justify if j < key else "right",  # type: ignore[arg-type]
                     width=w, overflow="fold")
    for row in rows:
        t.add_row(*[row[j] for j in take])
    return t


def _min_width(columns: Sequence[str], rows: Sequence[Sequence[Cell]], take: Sequence[int], key: int) -> int:
    """Width of the table with every column at its narrowest (cell padding 1 on each side,
    one rule between columns, no outer edge)."""
    return sum(_needed(columns, rows, j, key) + 2 for j in take) + max(0, len(take) - 1)


def fitted_tables(console: Console, columns: Sequence[str], rows: Sequence[Sequence[Cell]], *, key: int = 1,
                  width: int | None = None, **kwargs: Any) -> list[Table]:
    """One table, or several side by side no more, each at most ``width`` wide (default: the
    console's), with the first ``key`` columns repeated in each. A single column wider than the
    width stays one table (folded by rich if it must)."""
    width = width or console.width
    keys = list(range(min(key, len(columns))))
    rest = list(range(len(keys), len(columns)))
    if _min_width(columns, rows, keys + rest, key) <= width or not rest:
        return [_table(columns, rows, keys + rest, key, width, **kwargs)]
    groups: list[list[int]] = []
    current: list[int] = []
    for j in rest:
        if current and _min_width(columns, rows, keys + current + [j], key) > width:
            groups.append(current)
            current = [j]
        else:
            current.append(j)
    if current:
        groups.append(current)
    return [_table(columns, rows, keys + g, key, width, **kwargs) for g in groups]


def print_fitted(console: Console, columns: Sequence[str], rows: Sequence[Sequence[Cell]], *,
                 title: str | None = None, key: int = 1, width: int | None = None,
                 notes: Sequence[str] = (), **kwargs: Any) -> None:
    """Print a title line (it wraps at the console's width, not the table's), the table (dealt
    into several when it must be) and note lines below."""
    if title:
        console.print(Text(title, style="bold"), highlight=False)
    before = console.width
    if width and width > before:  # a log, not a terminal: as wide as it needs
        console.width = width
    try:
        for t in fitted_tables(console, columns, rows, key=key, width=width, **kwargs):
            console.print(t)
    finally:
        console.width = before
    for n in notes:
        console.print(Text(n, style="dim"), highlight=False)


# --- metrics for display (light: `alframe status` uses them without importing torch) -----

#: the row shown in place of test metrics when no test item is labelled (a cold start): the
#: model's expected micro-F1 on the pool, from ``metrics["estimate"]`` (docs/annotating.md)
ESTIMATE = "expected_micro_f1 (est.)"
#: the importance-weighted estimate from the answers (alframe.stopping), shown beside the test metrics
ESTIMATED = "estimated_micro_f1 (est.)"
#: the estimates and signals a round may carry besides the test metrics, as shown → as stored
SIGNALS = {ESTIMATED: "estimated_micro_f1", ESTIMATE: "expected_micro_f1", "stability": "stability"}


def metric_value(metrics: dict[str, Any], name: str) -> Any:
    if name == ESTIMATE:
        estimate = metrics.get("estimate")  # a cold start's estimates, or the figure beside test metrics
        return estimate.get("expected_micro_f1") if isinstance(estimate, dict) else metrics.get("expected_micro_f1")
    return metrics.get(SIGNALS.get(name, name))


def metric_text(metrics: dict[str, Any], name: str) -> str:
    """A metric for display: "–" when the round was not evaluated (or, for an estimate, did
    not measure it), "undefined" when the metric has no value (e.g. no positive in the test
    split)."""
    if not metrics:
        return "–"
    if name in SIGNALS and SIGNALS[name] not in metrics and not (name == ESTIMATE and "estimate" in metrics):
        return "–"  # not measured in this round (round 0: there was no model before it)
    value = metric_value(metrics, name)
    return "undefined" if value is None else f"{value:.4f}"
