"""Grid expansion: a plan with ``vary``/``repeat`` lines becomes a list of ordinary runs.

Every combination of the ``vary`` values is a *setting*; every setting runs ``repeat`` times.
A :class:`Variant` is one such run: a plain :class:`~alframe.plan.Plan` (no vary, no repeat)
with its own name and seed, run in its own folder ``<experiment>/<setting>/repeat-<r>/``.

Seeds make the comparison *paired*: repeat ``r`` gets one seed derived from the spec's seed and
``r`` (:func:`repeat_seed`), and every setting uses that same seed for repeat ``r`` (a
``vary seed [...]`` axis is the one exception: each of its values is that setting's base seed). The test
split is the spec's (``data { test fraction … seed … }``) in every run, so settings of one repeat
share their test split and, where the seed policy and unit agree, their seed set; the
differences between settings of a repeat are then the settings' own.

Names are stable and filesystem-safe: built from the axis words and values
(``policy=iwal(base=uncertainty)__heads=joint``), arguments shown only where they differ from
the component's registered defaults, so the same spec always gives the same folders and a
re-run resumes them.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from alframe.errors import RunError
from alframe.plan import Call, Plan
from alframe.record.experiment import variant_name
from alframe.registry import Registry
from alframe.seeds import repeat_seed

#: The registry kind of a Call found at a plan path's last field.
KIND_OF_FIELD = {
    "policy": "policy",
    "seed_policy": "policy",
    "heads": "heads",
    "imbalance": "imbalance",
    "encoder": "encoder",
    "trunk": "trunk",
    "oracle": "oracle",
}

MAX_NAME = 100  # characters of one folder name
_UNSAFE = re.compile(r"[^A-Za-z0-9._,=()+\-]")


@dataclass(frozen=True)
class Variant:
    """One run of an experiment."""

    name: str  # "<setting>/repeat-<r>": also its folder below the experiment folder
    setting: str  # "policy=random__heads=joint" (or a spec's run name in `alframe compare`)
    repeat: int  # 1-based
    seed: int  # the run seed of this repeat (the same in every setting)
    values: tuple[tuple[str, str], ...]  # (axis word, value as named) for each axis
    plan: Plan  # the derived plan: no vary, no repeat, name and seed set


def safe_name(text: str) -> str:
    """A folder name: unsafe characters become ``_``; a long name is cut and given a hash."""
    out = _UNSAFE.sub("_", text.replace(" ", ""))
    if out in ("", ".", "..") or out.startswith("."):
        out = "_" + out
    if len(out) > MAX_NAME:
        digest = hashlib.sha256(text.encode()).hexdigest()[:8]
        out = out[: MAX_NAME - 9] + "~" + digest
    return out


def value_label(value: Any, field: str, registry: Registry | None = None) -> str:
    """How a vary value is named: a component with the arguments that differ from its defaults
    (``iwal(floor=0.05)``), a range as ``1..2``, a boolean as yes/no, a number as written."""
    if isinstance(value, Call):
        args = value.args
        kind = KIND_OF_FIELD.get(field)
        comp = registry.get(kind, value.name) if registry is not None and kind else None
        if comp is not None:
            defaults = comp.defaults()
            args = tuple((k, v) for k, v in args if k not in defaults or defaults[k] != v)
        return str(Call(value.name, args)).replace(" ", "")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(x, int) for x in value):
        return f"{value[0]}..{value[1]}"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def setting_name(values: Sequence[tuple[str, str]], default: str) -> str:
    """``key=value`` pairs joined by ``__``; ``default`` (the run name) when nothing varies."""
    if not values:
        return safe_name(default)
    return safe_name("__".join(f"{k}={v}" for k, v in values))


def expand(plan: Plan, registry: Registry | None = None, *, repeat: int | None = None) -> list[Variant]:
    """Every run a plan with ``vary``/``repeat`` describes, repeat-major.

    Repeat 1 of every setting comes before repeat 2 of any, so a grid stopped half-way already
    holds one comparable run of each setting.

    :param registry: to name component values by their non-default arguments (without it every
        argument is shown).
    :param repeat: overrides the plan's ``repeat``.
    """
    n_repeat = plan.repeat if repeat is None else repeat
    if n_repeat < 1:
        raise RunError(f"repeat must be at least 1, got {n_repeat}", code="X102")
    axes = plan.vary
    labelled = []
    for axis in axes:
        field = axis.path.rsplit(".", 1)[-1]
        names = [value_label(v, field, registry) for v in axis.values]
        names = _disambiguate(names, axis.values)
        labelled.append([(axis.key, name, value) for name, value in zip(names, axis.values)])
    combos = list(itertools.product(*labelled)) if axes else [()]
    settings: list[tuple[str, tuple[tuple[str, str], ...], Plan]] = []
    seen: dict[str, int] = {}
    for combo in combos:
        derived = plan
        for axis, (_, _, value) in zip(axes, combo):
            derived = derived.replace_path(axis.path, value)
        pairs = tuple((k, n) for k, n, _ in combo)
        name = setting_name(pairs, plan.name)
        if name in seen:
            raise RunError(f"two settings of the grid share the name {name!r}", code="X103",
                           hint="give the vary values distinct arguments")
        seen[name] = 1
        settings.append((name, pairs, derived))
    # a `vary seed [...]` axis gives settings their own base seed; otherwise all share the spec's
    return _repeats(settings, [derived.seed for _, _, derived in settings], n_repeat)


def expand_plans(plans: Sequence[Plan], registry: Registry | None = None, *, repeat: int, seed: int) -> list[Variant]:
    """The runs of ``alframe compare``: each plan is one setting named by its run name (a plan
    with its own ``vary`` lines gives one setting per combination, ``<run>__<axes>``).

    Every setting's repeat ``r`` uses :func:`repeat_seed(seed, r) <repeat_seed>`, whatever seed
    its own spec names, so the comparison is paired.
    """
    if repeat < 1:
        raise RunError(f"repeat must be at least 1, got {repeat}", code="X102")
    settings: list[tuple[str, tuple[tuple[str, str], ...], Plan]] = []
    seen: set[str] = set()
    for plan in plans:
        for v in expand(plan, registry, repeat=1):
            name = safe_name(plan.name) if not v.values else safe_name(f"{plan.name}__{v.setting}")
            if name in seen:
                raise RunError(f"two specs give the setting name {name!r}", code="X104",
                               hint="give each spec its own `run \"name\"`")
            seen.add(name)
            base = replace(v.plan, name=plan.name)
            settings.append((name, (("run", plan.name),) + v.values, base))
    return _repeats(settings, [seed] * len(settings), repeat)


def _repeats(
    settings: list[tuple[str, tuple[tuple[str, str], ...], Plan]],
    base_seeds: list[int],
    n_repeat: int,
) -> list[Variant]:
    out: list[Variant] = []
    for r in range(1, n_repeat + 1):
        for (name, pairs, derived), base_seed in zip(settings, base_seeds):
            seed = repeat_seed(base_seed, r)
            vname = variant_name(name, r)
            p = replace(derived, name=f"{derived.name}/{vname}", seed=seed, vary=(), repeat=1, ceiling=False)
            out.append(Variant(name=vname, setting=name, repeat=r, seed=seed, values=pairs, plan=p))
    return out


def _disambiguate(names: list[str], values: Sequence[Any]) -> list[str]:
    """Values whose short names collide are named in full (every argument shown)."""
    out = list(names)
    for i, n in enumerate(names):
        if names.count(n) > 1:
            v = values[i]
            out[i] = str(v).replace(" ", "") if isinstance(v, Call) else repr(v)
    return out


def settings_of(variants: Sequence[Variant]) -> list[str]:
    """Setting names in grid order, each once."""
    return list(dict.fromkeys(v.setting for v in variants))
