"""How a plan field declares the spec setting that fills it: once, beside the field.

A field of a plan dataclass (:mod:`alframe.plan`) that a spec can set carries its setting in
its metadata (:func:`setting`): how the spec writes it, its help line, the check its value goes
through and the key ``vary`` uses for it; its default is the field's own. Everything else is derived from that declaration: the
compiler's table (:data:`alframe.lang.fields.FIELDS`), the parse-tree handler of a simple
statement, the block a misplaced statement belongs to, the generic building of a plan section,
``alframe explain`` and the docs' statement table. Adding a simple setting is this declaration
plus its grammar rule in ``lang/spec.lark``.

The checks are descriptions, not code: :mod:`alframe.lang.fields` turns each into a converter.
This module imports nothing from alframe, so the plan stays importable without the language.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

#: the field has no default the plan dataclass could hold (the builder computes it)
COMPUTED: Any = dataclasses.MISSING

# ---- checks -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    """How a written value is checked and converted (see :mod:`alframe.lang.fields`)."""

    #: what an error calls the value (default: the statement word)
    what: str | None = dataclasses.field(default=None, kw_only=True)


@dataclass(frozen=True)
class Int(Check):
    """A whole number in [low, high]."""

    low: int
    high: int


@dataclass(frozen=True)
class Real(Check):
    """A number in [low, high] (an open end leaves its bound out)."""

    low: float
    high: float
    open_low: bool = False
    open_high: bool = False


@dataclass(frozen=True)
class Bool(Check):
    """yes or no."""


@dataclass(frozen=True)
class Choice(Check):
    """One of the names in ``choices``."""

    choices: tuple[str, ...]


@dataclass(frozen=True)
class OrNo(Check):
    """A value checked by ``inner``, or ``no`` (None): ``early_stop 3`` / ``early_stop no``."""

    inner: Check
    takes: str  # what the value is, for "early_stop takes a patience in epochs or no"


@dataclass(frozen=True)
class Component(Check):
    """A registered component of ``kind`` with its arguments; ``default`` names the one a spec
    that writes none gets, with its declared argument defaults."""

    kind: str
    default: str | None = None


@dataclass(frozen=True)
class Names(Check):
    """A list of names (or one name), each listed once: registered ``kind``s, ``choices`` (where
    ``none`` is the empty list), or any names."""

    kind: str | None = None
    choices: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Strings(Check):
    """Distinct non-empty strings (field names, globs, label names)."""


@dataclass(frozen=True)
class Chars(Check):
    """A quoted string of 1 to ``max_len`` characters."""

    max_len: int = 256


@dataclass(frozen=True)
class Custom(Check):
    """A check written as code: :data:`alframe.lang.fields.CUSTOM` ``[name]``."""

    name: str


# ---- the declaration --------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """A spec setting, as declared on the plan field it fills."""

    syntax: str  # how it is written, e.g. "epochs N"
    help: str
    check: Check
    default: Any = COMPUTED  # when the spec does not write it (COMPUTED: its section's builder knows)
    vary: str | None = None  # the key ``vary`` uses for it (None: cannot be varied)
    word: str = ""  # the statement word (default: the syntax's first word)
    #: the grammar rule of a simple statement ``word value`` (its handler and its building are
    #: generic); None: a statement with its own handler and its own building code
    rule: str | None = None

    @property
    def what(self) -> str:
        return self.check.what or self.word


def setting(
    syntax: str,
    help: str,
    check: Check,
    *,
    vary: str | None = None,
    default: Any = COMPUTED,
    word: str | None = None,
    rule: str | None = "",
) -> dict[str, Setting]:
    """The metadata of a dataclass field declaring a spec setting (see the module's text)::

        epochs: int = field(default=3, metadata=setting("epochs N", "epochs per round", Int(1, 10_000), vary="epochs"))

    The setting's default is the field's; ``default`` is for a field the plan requires (no
    dataclass default) that a spec still need not write (the query batch). ``rule`` is the
    grammar rule of a simple statement (default: the word); None marks a statement handled by
    hand (a composite statement, a block head).
    """
    word = word if word is not None else syntax.split()[0]
    return {"setting": Setting(syntax=syntax, help=help, check=check, default=default, vary=vary, word=word,
                               rule=(rule or word) if rule is not None else None)}


def setting_of(f: dataclasses.Field[Any]) -> Setting | None:
    """The setting a dataclass field declares, if any, with the field's default as its own."""
    found = f.metadata.get("setting")
    if not isinstance(found, Setting):
        return None
    if found.default is COMPUTED and f.default is not dataclasses.MISSING:
        return dataclasses.replace(found, default=f.default)
    return found
