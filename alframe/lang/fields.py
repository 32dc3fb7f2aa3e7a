"""The spec's settings as the compiler uses them, derived from their declarations.

Each setting is declared once, on the plan field it fills (:func:`alframe.settings.setting` in
:mod:`alframe.plan`): statement word, syntax, help, check, default, vary key. This module turns
those declarations into :data:`FIELDS` (dotted plan path → :class:`Field`, in the plan's order)
and :data:`VARY_KEYS`, and each declared check into a converter. The compiler converts each
statement through this table; ``vary`` checks each of its values through the same entry, so
``vary ensemble [1, 0]`` fails exactly as ``ensemble 0`` does; ``alframe explain`` and the docs
take each field's description from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from alframe import plan as P
from alframe import settings as S
from alframe.errors import SpecError
from alframe.fsutil import name_problem
from alframe.lang import values as V
from alframe.lang.values import Context
from alframe.plan import (  # noqa: F401  (re-exported: the values a setting may take)
    ACCELERATORS,
    DIVERSITY,
    FORMATS,
    LOGGERS,
    MAX_COST,
    MAX_SEED,
    OPTIMIZERS,
    PRECISIONS,
    SCHEDULES,
    STRATEGIES,
    THRESHOLDS,
    UNITS,
)
from alframe.registry import Param, params_of
from alframe.spec import CallValue, ListValue, Name, Number, Text, Value

#: short forms Lightning also accepts, normalised to the full name
PRECISION_ALIASES = {"64": "64-true", "32": "32-true", "16": "16-mixed", "bf16": "bf16-mixed"}
#: built-in metrics where lower is better: a stop target (reached at value >= target) makes no
#: sense on them. A plugin's metric is taken to be higher-is-better, as the stop rule does.
LOWER_IS_BETTER = ("hamming",)

Convert = Callable[[Value, Context], Any]


@dataclass(frozen=True)
class Field:
    """A plan field as the spec language knows it."""

    path: str  # dotted plan path
    syntax: str  # how it is written
    help: str
    convert: Convert
    vary: str | None = None  # the key ``vary`` uses for it (None: cannot be varied)
    setting: S.Setting | None = None  # the declaration it comes from
    block: str | None = None  # the block it is written in (None: at the top level)

    @property
    def word(self) -> str:
        """The statement word (``batch`` for ``train.batch_size``)."""
        return self.setting.word if self.setting is not None else self.syntax.split()[0]

    @property
    def default(self) -> Any:
        """What a spec that does not write it gets (:data:`alframe.settings.COMPUTED`: the
        builder computes it, or a default component is named by the check)."""
        return self.setting.default if self.setting is not None else S.COMPUTED


def _int(what: str, low: int, high: int) -> Convert:
    return lambda v, ctx: V.integer(v, what, low, high)


def _real(what: str, low: float, high: float, **kw: bool) -> Convert:
    return lambda v, ctx: V.real(v, what, low, high, **kw)


def _bool(what: str) -> Convert:
    return lambda v, ctx: V.boolean(v, what)


def _choice(what: str, choices: tuple[str, ...]) -> Convert:
    return lambda v, ctx: V.choice(v, what, choices)


def _call(kind: str, path: str) -> Convert:
    return lambda v, ctx: V.call(v, kind, ctx, origin=path)


def _names(what: str, kind: str | None = None, choices: tuple[str, ...] | None = None) -> Convert:
    """A list of names (or one name); ``none`` or ``[]`` is the empty list."""

    def convert(v: Value, ctx: Context) -> tuple[str, ...]:
        items = v.items if isinstance(v, ListValue) else (v,)
        out: list[str] = []
        for item in items:
            if kind is not None:
                word = V.component(item, kind, ctx)
            elif choices is not None:
                word = V.name(item, what)
                if word == "none" and len(items) == 1:
                    return ()
                word = V.choice(item, what, choices)
            else:
                word = V.name(item, what)
            if word in out:
                raise SpecError(f"'{word}' is listed twice in {what}", code="E401", pos=item.pos)
            out.append(word)
        if kind is not None and not out:
            raise SpecError(f"{what} needs at least one name", code="E311", pos=v.pos)
        return tuple(out)

    return convert


def _optional(convert: Convert, what: str, takes: str) -> Convert:
    """``early_stop 3`` / ``early_stop no``: a value, or no (None)."""

    def inner(v: Value, ctx: Context) -> Any:
        if isinstance(v, Name):
            if V.BOOLS.get(v.value.lower()) is False:
                return None
            raise SpecError(f"{what} takes {takes} or no, not '{v.value}'", code="E310", pos=v.pos)
        return convert(v, ctx)

    return inner


def _run_name(v: Value, ctx: Context) -> str:
    word = v.value if isinstance(v, Text) else V.name(v, "run")
    problem = run_name_problem(word)
    if problem is not None:
        raise SpecError(problem[0], code=problem[1], pos=v.pos, hint=RUN_NAME_HINT)
    return word


#: the rules ``query { stop NAME(ARGS) }`` may name, with their declared arguments (checked as a
#: component's are: unknown argument with "did you mean", type, bounds); see alframe.stopping
STOP_RULES: dict[str, tuple[Param, ...]] = {"stable": params_of(P.StableRule)}


def _stop_rule(v: Value, ctx: Context) -> Any:
    """``stable(window=3, agreement=0.99)`` → :class:`alframe.plan.StableRule`."""
    if not isinstance(v, CallValue):
        raise SpecError(f"stop takes a rule such as stable(window=3, agreement=0.99), not {V.describe(v)}",
                        code="E310", pos=v.pos)
    word = V.choice(v.name, "stop rule", tuple(STOP_RULES), code="E201")
    who = f"stop rule '{word}'"
    given = V._bind(v, STOP_RULES[word], who)
    values: dict[str, Any] = {}
    errors: list[SpecError] = []
    for p in STOP_RULES[word]:
        arg = given.get(p.name)
        if arg is None:
            values[p.name] = p.default
            continue
        try:
            if p.name == "agreement":  # (0, 1]: a kappa of 0 is chance agreement, never a stop
                values[p.name] = _open_low(arg.value, f"argument 'agreement' of {who}", p)
            else:
                values[p.name] = V.argument(arg.value, p, who, ctx)
        except SpecError as exc:
            errors.extend(exc.errors if isinstance(exc, V.SpecErrorGroup) else [exc])
    if errors:
        raise V.SpecErrorGroup(errors)
    return P.StableRule(**values)


def _open_low(v: Value, what: str, p: Param) -> float:
    """A real argument in (low, high]: the type error as an argument's (E305), the range as an
    argument's (E306)."""
    if not isinstance(v, Number):
        raise SpecError(f"{what} takes a number, not {V.describe(v)}", code="E305", pos=v.pos)
    try:
        return V.real(v, what, p.low, p.high, open_low=True)
    except SpecError as exc:
        exc.code = "E306"
        exc.hint = "agreement is a mean Cohen's kappa; Bloodgood & Vijay-Shanker stop at 0.99"
        raise


RUN_NAME_HINT = 'the run folder is runs/<name>: use letters, digits, "-", "_" and "." (e.g. run "nightly")'


def run_name_problem(word: str) -> tuple[str, str] | None:
    """(message, code) when ``word`` cannot name a run folder inside the run root: ``.``,
    ``..`` or a path would put it elsewhere (E501); blank, too long or control characters are
    out of range (E311)."""
    problem = name_problem(word)
    if problem is None:
        return None
    leaves = set(word) <= {"."} or any(c in word for c in "/\\")
    return (f"the run name {word!r} cannot be a folder inside runs/: {problem}", "E501" if leaves else "E311")


DEVICES_HINT = (
    "devices takes a count of at least 1, a list of device indices such as [0, 1], or auto "
    "(every device Lightning finds: what Lightning's -1 means)"
)


def _devices(v: Value, ctx: Context) -> str:
    """A count (at least 1), a list of distinct indices, or auto; a quoted "2" or "0,1" is read
    as the count or list it spells. Lightning's -1 ("all") and 0 are refused: ``auto`` says all,
    and no device is no trainer."""
    if isinstance(v, Number):
        return str(_device_number(v, 1))
    if isinstance(v, ListValue):
        if not v.items:
            raise SpecError("devices needs at least one device index", code="E311", pos=v.pos, hint=DEVICES_HINT)
        ids: list[int] = []
        for item in v.items:
            index = _device_number(item, 0)
            if index in ids:
                raise SpecError(f"device {index} is listed twice in devices", code="E401", pos=item.pos)
            ids.append(index)
        return ",".join(map(str, ids)) + ("," if len(ids) == 1 else "")
    word = v.value if isinstance(v, Text) else V.name(v, "devices")
    if word == "auto":
        return word
    parts = [part.strip() for part in word.split(",")]
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()  # "0," is a list of one index
    if not all(part.isdigit() for part in parts):
        raise SpecError(f"devices takes a count, a list of indices or auto, not '{word}'", code="E310", pos=v.pos, hint=DEVICES_HINT)
    if len(parts) == 1 and "," not in word and int(parts[0]) < 1:
        raise SpecError(f"devices must be at least 1, not '{word}'", code="E311", pos=v.pos, hint=DEVICES_HINT)
    if len(set(map(int, parts))) < len(parts):
        raise SpecError(f"a device is listed twice in devices '{word}'", code="E401", pos=v.pos)
    return word


def _device_number(v: Value, low: int) -> int:
    try:
        return V.integer(v, "devices" if low else "a device index", low, 1 << 16)
    except SpecError as exc:
        exc.hint = exc.hint or DEVICES_HINT
        raise


def _precision(v: Value, ctx: Context) -> str:
    if isinstance(v, Number):
        word = v.text
    elif isinstance(v, Text):
        word = v.value
    else:
        word = V.name(v, "precision")
    word = PRECISION_ALIASES.get(word, word)
    return V.choice(Text(word, pos=v.pos), "precision", PRECISIONS)


def _texts(what: str) -> Convert:
    def convert(v: Value, ctx: Context) -> tuple[str, ...]:
        items = v if isinstance(v, tuple) else (v,)
        out = tuple(V.text(i, what) if not isinstance(i, Text) else i.value for i in items)
        for i, item in enumerate(items):
            if out[i] in out[:i]:
                raise SpecError(f"'{out[i]}' is listed twice in {what}", code="E401", pos=item.pos)
            if not out[i]:
                raise SpecError(f"{what} takes non-empty names", code="E311", pos=item.pos)
        return out

    return convert


def _text(what: str, max_len: int = 256) -> Convert:
    def convert(v: Value, ctx: Context) -> str:
        word = V.text(v, what)
        if not word or len(word) > max_len:
            raise SpecError(f"{what} takes 1 to {max_len} characters", code="E311", pos=v.pos)
        return word

    return convert


#: checks written as code, by the name a declaration gives them (:class:`alframe.settings.Custom`)
CUSTOM: dict[str, Convert] = {
    "none": lambda v, c: None,  # a composite statement: its value is taken by its own code
    "field": lambda v, c: v.value,  # type: ignore[union-attr]  # the grammar gives a Text here
    "run_name": _run_name,
    "devices": _devices,
    "precision": _precision,
    "stop_rule": _stop_rule,
}


def converter(check: S.Check, what: str, path: str) -> Convert:
    """The converter of a declared check (``what`` names the value in messages)."""
    what = check.what or what
    if isinstance(check, S.Int):
        return _int(what, check.low, check.high)
    if isinstance(check, S.Real):
        return _real(what, check.low, check.high, open_low=check.open_low, open_high=check.open_high)
    if isinstance(check, S.Bool):
        return _bool(what)
    if isinstance(check, S.Choice):
        return _choice(what, check.choices)
    if isinstance(check, S.OrNo):
        return _optional(converter(check.inner, what, path), what, check.takes)
    if isinstance(check, S.Component):
        return _call(check.kind, path)
    if isinstance(check, S.Names):
        return _names(what, kind=check.kind, choices=check.choices)
    if isinstance(check, S.Strings):
        return _texts(what)
    if isinstance(check, S.Chars):
        return _text(what, check.max_len)
    if isinstance(check, S.Custom):
        return CUSTOM[check.name]
    raise TypeError(f"no converter for the check {check!r} of {path}")


def _walk() -> Iterator[Field]:
    for path, block, _, s in P.declared():
        yield Field(path, s.syntax, s.help, converter(s.check, s.word, path), s.vary, s, block)


#: dotted plan path → its setting, in the plan's order
FIELDS: dict[str, Field] = {f.path: f for f in _walk()}
#: vary key → plan path
VARY_KEYS: dict[str, str] = {f.vary: f.path for f in FIELDS.values() if f.vary}
