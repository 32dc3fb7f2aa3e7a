"""Checking one spec value: its type, its range, its name against the registry.

Every function here takes a spec node (which knows its position) and returns a plain Python
value for the plan, or raises a :class:`SpecError` pointing at the node. Component arguments are
checked against the component's own :class:`~alframe.registry.Param` declarations, the same
declarations ``alframe explain`` and the docs show, so there is one source of truth.

Nothing is imported or evaluated: a name is only ever a key into the registry, and anything that
looks like code (``os.system``, ``pkg:attr``, ``__import__``) is refused with its own code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alframe import plan
from alframe.errors import SpecError, nearest
from alframe.lang import paths
from alframe.registry import Param, Registry
from alframe.spec import Arg, CallValue, CodeRef, ListValue, Name, Number, Range, Text, Value

BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}
KIND_WORDS = {
    "encoder": "encoder",
    "trunk": "trunk",
    "heads": "heads",
    "policy": "policy",
    "oracle": "oracle",
    "imbalance": "imbalance method",
    "metric": "metric",
}


@dataclass
class Context:
    """What checking needs besides the value: the registry and where paths may lead."""

    registry: Registry
    spec_dir: Path
    root: Path
    #: call path → {argument → position}, filled by :func:`call` for ``Plan.origins``
    arg_origins: dict[str, dict[str, Any]] | None = None


def describe(v: Value) -> str:
    """The value as the user wrote it, for messages."""
    if isinstance(v, Number):
        return v.text
    if isinstance(v, Text):
        shown = v.value if len(v.value) <= 40 else v.value[:37] + "..."
        return f'"{shown}"'
    if isinstance(v, Name):
        return f"'{v.value}'"
    if isinstance(v, CodeRef):
        return f"'{v.text}'"
    if isinstance(v, Range):
        return f"{v.low}..{v.high}"
    if isinstance(v, ListValue):
        return "a list"
    if isinstance(v, CallValue):
        if v.args or v.parens:
            return f"a call of '{_callee(v)}'"
        return describe(v.name)
    return "this value"


def _callee(v: CallValue) -> str:
    return v.name.value if isinstance(v.name, Name) else v.name.text


def _error(v: Any, message: str, code: str, **kw: Any) -> SpecError:
    return SpecError(message, code=code, pos=getattr(v, "pos", None), **kw)


# ---- scalars ----------------------------------------------------------------------------


def name(v: Value, what: str) -> str:
    """A bare identifier (a call without arguments counts); code references are refused."""
    if isinstance(v, CallValue) and not v.args and not v.parens:
        v = v.name
    if isinstance(v, CodeRef):
        raise code_ref(v)
    if isinstance(v, Name):
        if v.value.startswith("__"):
            raise _error(
                v,
                f"'{v.value}' looks like Python code; a spec names only registered components",
                "E703",
            )
        return v.value
    raise _error(v, f"{what} takes a name, not {describe(v)}", "E310")


def code_ref(v: CodeRef) -> SpecError:
    if v.style == "dotted":
        return _error(
            v,
            f"'{v.text}' is a dotted name; a spec names only registered components and never imports anything",
            "E701",
            hint="use the bare name a plugin registered (see `alframe plugins`)",
        )
    return _error(
        v,
        f"'{v.text}' is a module:attribute reference; a spec names only registered components and never imports anything",
        "E702",
        hint="install the plugin that registers it and use its registered name (see `alframe plugins`)",
    )


def integer(v: Value, what: str, low: int | None = None, high: int | None = None) -> int:
    if isinstance(v, Number) and isinstance(v.value, float) and v.value.is_integer():
        v = Number(int(v.value), v.text, pos=v.pos)
    if not isinstance(v, Number) or not isinstance(v.value, int):
        raise _error(v, f"{what} takes a whole number, not {describe(v)}", "E310")
    _bounds(v, what, v.value, low, high, "E311")
    return int(v.value)


def real(
    v: Value,
    what: str,
    low: float | None = None,
    high: float | None = None,
    *,
    open_low: bool = False,
    open_high: bool = False,
) -> float:
    if not isinstance(v, Number):
        raise _error(v, f"{what} takes a number, not {describe(v)}", "E310")
    value = float(v.value)
    bad = (
        (low is not None and (value < low or (open_low and value == low)))
        or (high is not None and (value > high or (open_high and value == high)))
    )
    if bad:
        raise _error(v, f"{what} must be {_span(low, high, open_low, open_high)}, not {v.text}", "E311")
    return value


def boolean(v: Value, what: str) -> bool:
    word = name(v, what) if not isinstance(v, (Number, Text, ListValue, Range)) else None
    if word is None or word.lower() not in BOOLS:
        raise _error(v, f"{what} takes yes or no, not {describe(v)}", "E310")
    return BOOLS[word.lower()]


def choice(v: Value, what: str, choices: tuple[str, ...], code: str = "E203") -> str:
    word = v.value if isinstance(v, Text) else name(v, what)
    if word not in choices:
        guess = nearest(word, choices)
        raise _error(
            v,
            f"unknown {what} '{word}'",
            code,
            expected=list(choices),
            hint=f"did you mean '{guess}'?" if guess else None,
        )
    return word


def text(v: Value, what: str) -> str:
    if isinstance(v, Text):
        return v.value
    raise _error(v, f'{what} takes a quoted string, not {describe(v)}', "E310")


def _bounds(v: Value, what: str, value: float, low: Any, high: Any, code: str) -> None:
    """Whole numbers name the bound they cross; real numbers show their whole interval."""
    whole = isinstance(value, int)
    if low is not None and value < low:
        span = _span(low, None) if whole else _span(low, high)
    elif high is not None and value > high:
        span = _span(None, high) if whole else _span(low, high)
    else:
        return
    raise _error(v, f"{what} must be {span}, not {describe(v)}", code)


def _span(low: Any, high: Any, open_low: bool = False, open_high: bool = False) -> str:
    def fmt(x: Any) -> str:
        return f"{x:g}" if isinstance(x, float) else f"{x:,}".replace(",", "_") if abs(x) >= 10_000 else str(x)

    if low is not None and high is not None:
        left = "more than" if open_low else "at least"
        if not open_low and not open_high:
            return f"between {fmt(low)} and {fmt(high)}"
        right = "less than" if open_high else "at most"
        return f"{left} {fmt(low)} and {right} {fmt(high)}"
    if low is not None:
        return f"{'more than' if open_low else 'at least'} {fmt(low)}"
    return f"{'less than' if open_high else 'at most'} {fmt(high)}"


# ---- components -------------------------------------------------------------------------


def component(v: Value, kind: str, ctx: Context) -> str:
    """A registered name of ``kind``, with "did you mean" from the installed plugins."""
    word = name(v.name if isinstance(v, CallValue) else v, KIND_WORDS[kind])
    if ctx.registry.get(kind, word) is None:
        known = ctx.registry.names(kind)
        guess = nearest(word, known)
        hint = f"did you mean '{guess}'? " if guess else ""
        if ctx.registry.unloaded:
            hint += (
                "plugin autoload is off and these installed plugins were not loaded: "
                f"{', '.join(ctx.registry.unloaded)}; load one with -p NAME (or ALFRAME_PLUGINS)"
            )
        else:
            hint += "`alframe plugins` lists the names installed plugins register"
        raise _error(
            v.name if isinstance(v, CallValue) else v,
            f"unknown {KIND_WORDS[kind]} '{word}'",
            "E201",
            expected=known,
            hint=hint,
        )
    return word


def call(v: Value, kind: str, ctx: Context, origin: str | None = None) -> plan.Call:
    """A component with arguments checked against its Params, defaults filled, in order."""
    if not isinstance(v, CallValue):
        raise _error(v, f"expected a {KIND_WORDS[kind]} name, not {describe(v)}", "E310")
    comp_name = component(v, kind, ctx)
    comp = ctx.registry.get(kind, comp_name)
    assert comp is not None  # component() checked it
    given = _bind(v, comp.params, f"{KIND_WORDS[kind]} '{comp_name}'")
    args: list[tuple[str, Any]] = []
    errors: list[SpecError] = []
    where: dict[str, Any] = {}
    for p in comp.params:
        if p.name in given:
            arg = given[p.name]
            try:
                args.append((p.name, argument(arg.value, p, f"{KIND_WORDS[kind]} '{comp_name}'", ctx)))
                where[p.name] = arg.pos
            except SpecError as exc:
                errors.extend(exc.errors if isinstance(exc, SpecErrorGroup) else [exc])
        elif p.required:
            errors.append(
                _error(
                    v,
                    f"{KIND_WORDS[kind]} '{comp_name}' needs the argument '{p.name}'",
                    "E303",
                    hint=f"write {comp_name}({p.name}=...)" + (f": {p.help}" if p.help else ""),
                )
            )
        elif p.type == "policies":  # the default names policies: fill in their own defaults
            args.append((p.name, tuple(_default_policy(d, ctx) for d in p.default)))
        else:
            args.append((p.name, p.default))
    if errors:
        raise SpecErrorGroup(errors)
    if origin is not None and ctx.arg_origins is not None:
        ctx.arg_origins[origin] = where
    return plan.Call(comp_name, tuple(args))


class SpecErrorGroup(SpecError):
    """Several errors found in one value (a call's arguments); the compiler unpacks them."""

    def __init__(self, errors: list[SpecError]) -> None:
        super().__init__(errors[0].message, code=errors[0].code, pos=errors[0].pos)
        self.errors = errors


def _bind(v: CallValue, params: tuple[Param, ...], who: str) -> dict[str, Arg]:
    """Match positional and keyword arguments to declared parameters."""
    errors: list[SpecError] = []
    given: dict[str, Arg] = {}
    seen_keyword = False
    for i, arg in enumerate(v.args):
        if arg.name is None:
            if seen_keyword:
                errors.append(_error(arg, "a positional argument after a keyword argument", "E304",
                                     hint="give positional arguments first, or name this one"))
                continue
            if i >= len(params):
                errors.append(_error(
                    arg,
                    f"{who} takes {_count(len(params))}; {len(v.args)} given",
                    "E302",
                    expected=[p.name for p in params] or None,
                ))
                continue
            key = params[i].name
        else:
            seen_keyword = True
            key = arg.name
            if not any(p.name == key for p in params):
                names = [p.name for p in params]
                guess = nearest(key, names)
                errors.append(SpecError(
                    f"{who} has no argument '{key}'",
                    code="E301",
                    pos=arg.name_pos or arg.pos,
                    expected=names or None,
                    hint=f"did you mean '{guess}'?" if guess else None,
                ))
                continue
        if key in given:
            errors.append(SpecError(
                f"argument '{key}' of {who} is given twice",
                code="E402",
                pos=arg.name_pos or arg.pos,
            ))
            continue
        given[key] = arg
    if errors:
        raise SpecErrorGroup(errors)
    return given


def _count(n: int) -> str:
    return "no arguments" if n == 0 else "1 argument" if n == 1 else f"at most {n} arguments"


def argument(v: Value, p: Param, who: str, ctx: Context) -> Any:
    """One argument value against its declaration (type, range, choices)."""
    what = f"argument '{p.name}' of {who}"
    if p.type == "int":
        value: Any = _retype(lambda: integer(v, what))
        _bounds(v, what, value, p.low, p.high, "E306")
    elif p.type == "float" and p.choices and not isinstance(v, Number):  # a number, or one of its names
        if not isinstance(v, (Name, CallValue, CodeRef)):
            raise _error(v, f"{what} takes a number or {', '.join(p.choices)}, not {describe(v)}", "E305")
        value = _retype(lambda: name(v, what))
        if value not in p.choices:
            guess = nearest(value, p.choices)
            raise _error(v, f"{what} takes a number or {', '.join(p.choices)}; not '{value}'", "E307",
                         expected=list(p.choices), hint=f"did you mean '{guess}'?" if guess else None)
    elif p.type == "float":
        value = _retype(lambda: real(v, what))
        _bounds(v, what, value, p.low, p.high, "E306")
    elif p.type == "bool":
        value = _retype(lambda: boolean(v, what))
    elif p.type == "name":
        value = _retype(lambda: name(v, what))
        if p.choices is not None and value not in p.choices:
            guess = nearest(value, p.choices)
            raise _error(v, f"{what} must be one of {', '.join(p.choices)}; not '{value}'", "E307",
                         expected=list(p.choices), hint=f"did you mean '{guess}'?" if guess else None)
    elif p.type == "str":
        value = _string(v, what)
        if p.choices is not None and value not in p.choices:
            raise _error(v, f"{what} must be one of {', '.join(p.choices)}", "E307", expected=list(p.choices))
        if p.name == "path" or p.name.endswith("_path"):
            value = str(paths.confine(value, v, ctx.spec_dir, ctx.root))
    elif p.type == "range":
        value = _range(v, what, p)
    elif p.type == "policies":
        value = policies(v, what, ctx)
    else:  # "list"
        value = _list(v, what)
    return value


def policies(v: Value, what: str, ctx: Context) -> tuple[plan.Call, ...]:
    """A list of registered policies, each checked as a ``policy`` statement's call is (unknown
    name: E201 with "did you mean"; its arguments against its Params). A policy that itself
    takes policies (``adaptive``) cannot be one of them, and none may appear twice."""
    if not isinstance(v, ListValue):
        raise _error(v, f"{what} takes a list of policies such as [random, uncertainty], not {describe(v)}", "E305")
    out: list[plan.Call] = []
    errors: list[SpecError] = []
    for item in v.items:
        try:
            c = call(item, "policy", ctx)
        except SpecError as exc:
            errors.extend(exc.errors if isinstance(exc, SpecErrorGroup) else [exc])
            continue
        comp = ctx.registry.get("policy", c.name)
        assert comp is not None  # call() checked it
        where = item.name if isinstance(item, CallValue) else item
        if any(p.type == "policies" for p in comp.params):
            errors.append(_error(where, f"{what}: '{c.name}' chooses among policies itself and cannot be one of them",
                                 "E307", hint="list the policies it should choose among, e.g. [random, uncertainty]"))
        elif c in out:
            errors.append(_error(where, f"{what}: '{c}' is listed twice", "E306",
                                 hint="each policy once; to try a variant, give it other arguments"))
        else:
            out.append(c)
    if errors:
        raise SpecErrorGroup(errors)
    if len(out) < 2:
        raise _error(v, f"{what} needs at least 2 policies to choose among, not {len(out)}", "E306",
                     hint="with one policy, write it as the policy itself")
    return tuple(out)


def _default_policy(default: Any, ctx: Context) -> plan.Call:
    """A policy named in a Param's default, with its own defaults filled (as if written)."""
    if isinstance(default, plan.Call):
        return default
    comp = ctx.registry.get("policy", default)
    if comp is None:  # a plugin's default naming a policy that is not installed
        raise SpecError(f"the default policy list names '{default}', which is not registered", code="E201")
    return plan.Call(default, tuple((p.name, p.default) for p in comp.params if not p.required))


def _retype(fn: Any) -> Any:
    """Run a scalar check, reporting a type mistake as an argument error (E305)."""
    try:
        return fn()
    except SpecError as exc:
        if exc.code == "E310":
            exc.code = "E305"
        raise


def _string(v: Value, what: str) -> str:
    if isinstance(v, Text):
        return v.value
    if isinstance(v, CallValue) and not v.args and not v.parens and isinstance(v.name, Name):
        return v.name.value
    raise _error(v, f'{what} takes a quoted string, not {describe(v)}', "E305")


def _range(v: Value, what: str, p: Param) -> tuple[int, int]:
    if isinstance(v, Number) and isinstance(v.value, int):
        low = high = v.value
    elif isinstance(v, Range):
        low, high = v.low, v.high
    else:
        raise _error(v, f"{what} takes a range such as 1..2, not {describe(v)}", "E305")
    if low > high:
        raise _error(v, f"{what}: the range {low}..{high} is empty (its start is after its end)", "E306")
    for end in (low, high):
        if (p.low is not None and end < p.low) or (p.high is not None and end > p.high):
            raise _error(v, f"{what} must lie {_span(p.low, p.high)}, not {low}..{high}", "E306")
    return (low, high)


def _list(v: Value, what: str) -> tuple[Any, ...]:
    if not isinstance(v, ListValue):
        raise _error(v, f"{what} takes a list such as [a, b], not {describe(v)}", "E305")
    out: list[Any] = []
    for item in v.items:
        if isinstance(item, Number):
            out.append(item.value)
        elif isinstance(item, Text):
            out.append(item.value)
        else:
            out.append(_retype(lambda item=item: name(item, what)))
    return tuple(out)
