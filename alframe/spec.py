"""The parsed spec: what the file says, as frozen dataclasses, before any checking.

:mod:`alframe.lang.transform` builds these from the parse tree; :mod:`alframe.compile` checks
them against the registry and turns them into a :class:`alframe.plan.Plan`. Every node keeps the
position it was written at (``pos``), so any later error can point at the exact text; positions
are excluded from equality, so two specs that say the same thing compare equal whatever their
layout. Values stay primitive (numbers, strings, names): nothing is resolved or imported here.

A statement that is absent is ``None`` (or an empty tuple); the compiler fills the default.
Blocks are generic (:class:`Block`): the settings a block may hold are declared once, on the plan
fields they fill (:mod:`alframe.plan`, :mod:`alframe.settings`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from alframe.errors import Pos


@dataclass(frozen=True)
class Node:
    pos: Pos | None = field(default=None, compare=False, repr=False, kw_only=True)


# ---- values -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Number(Node):
    value: int | float
    text: str  # as written (``2^18``, ``1e-3``), for messages


@dataclass(frozen=True)
class Text(Node):
    """A quoted string (or a field name written bare)."""

    value: str


@dataclass(frozen=True)
class Name(Node):
    """A bare identifier: a registry name, a choice (``item``), ``yes``/``no``."""

    value: str


@dataclass(frozen=True)
class CodeRef(Node):
    """Something that looks like code (``os.system``, ``pkg:attr``). Always rejected, except a
    dotted plan path after ``vary`` (``vary train.lr [...]``)."""

    text: str
    style: str  # "dotted" | "colon"


@dataclass(frozen=True)
class Range(Node):
    low: int
    high: int


@dataclass(frozen=True)
class ListValue(Node):
    items: tuple[Value, ...]


@dataclass(frozen=True)
class Arg(Node):
    name: str | None  # None for a positional argument
    value: Value
    name_pos: Pos | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class CallValue(Node):
    """``name`` or ``name(arg, key=value, ...)``: a registered component with arguments."""

    name: Name | CodeRef
    args: tuple[Arg, ...] = ()
    parens: bool = False  # written with parentheses, e.g. ``joint()``


Value = Number | Text | Name | CodeRef | Range | ListValue | CallValue
NameLike = Name | CodeRef


# ---- blocks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SplitSpec(Node):
    fraction: Number | None = None
    seed: Number | None = None
    file: Text | None = None


@dataclass(frozen=True)
class NamesFile(Node):
    """``names file "labels.txt"``: the label names, one a line, in a file beside the spec."""

    path: Text


@dataclass(frozen=True)
class ThresholdSpec(Node):
    mode: NameLike
    value: Number | None = None


@dataclass(frozen=True)
class SeedSetSpec(Node):
    size: Number
    policy: CallValue | None = None


@dataclass(frozen=True)
class TargetSpec(Node):
    metric: NameLike
    value: Number
    of_ceiling: bool = False
    estimated: bool = False  # on the estimate from the answers (target micro_f1 0.9 estimated)


@dataclass(frozen=True)
class VarySpec(Node):
    key: NameLike
    values: ListValue


#: statements that may be given more than once (each ``vary`` key, each ``target`` metric): a
#: block holds the tuple of them, empty when none is written
REPEATABLE = {"vary": "key", "targets": "metric"}


@dataclass(frozen=True)
class Block(Node):
    """A block (``train { ... }``) or the whole file: each statement written, by its key (the
    statement word, e.g. ``epochs``, ``batch``; or the key its handler gives a composite one,
    e.g. ``id_field``, ``test``, ``targets``), with the value as written.

    ``block.epochs`` reads a statement: None when it is not written (an empty tuple for the
    repeatable ones). What a block may hold is declared with the plan's settings
    (:mod:`alframe.settings`), not here: a new setting needs no change to the parsed spec.
    """

    word: str  # "data", "train", ... ("top" for the whole file)
    items: tuple[tuple[str, Any], ...] = ()  # (key, value), sorted by key: the layout is not compared

    def get(self, key: str) -> Any:
        for k, value in self.__dict__.get("items", ()):
            if k == key:
                return value
        return () if key in REPEATABLE else None

    def __getattr__(self, key: str) -> Any:
        if key.startswith("__"):
            raise AttributeError(key)
        return self.get(key)


class Spec(Block):
    """One ``.al`` file: its top-level statements, and its blocks (``spec.train``) as
    :class:`Block` values."""
