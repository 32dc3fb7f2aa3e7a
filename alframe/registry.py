"""The registry of named components: the only things a spec can name.

A spec never imports or evaluates anything. Every name after ``encoder``, ``trunk``,
``policy``, ``oracle``, ``imbalance``, ``metrics`` … is looked up here, and plugins fill the
registry through the ``alframe_register`` hook, exactly as the built-ins do. A component declares
its arguments once: as the fields of a dataclass (:func:`arg`, read by :func:`params_of`), which
the implementation itself can subclass, or as a list of :class:`Param`. The checker validates
spec arguments against that declaration, ``alframe explain`` shows it, and the docs list it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from alframe.errors import PluginError

#: The kinds of component a spec can name, with the statement that names them.
KINDS: dict[str, str] = {
    "encoder": "model { encoder NAME(...) }",
    "trunk": "model { trunk NAME(...) }",
    "heads": "model { heads NAME(...) }",
    "policy": "query { policy NAME(...) } and the seed set's `seed N NAME`",
    "oracle": "oracle NAME(...)",
    "imbalance": "weighting { imbalance NAME(...) }",
    "metric": "evaluate { metrics [NAME, ...] }",
}

#: Types a parameter may declare. "name" is a bare identifier (e.g. ``base=margin``);
#: "range" is ``a..b`` (two ints); "list" a bracketed list of scalars; "policies" a bracketed
#: list of registered policies, each with its own arguments (``[random, uncertainty(measure=entropy)]``):
#: the plan holds them as :class:`alframe.plan.Call` values and :meth:`Registry.build` hands the
#: factory the built policies, as ``(label, policy)`` pairs (a meta-policy such as ``adaptive``).
PARAM_TYPES = ("int", "float", "str", "bool", "name", "range", "list", "policies")

REQUIRED: Any = object()


def lazy(module: str, attr: str) -> Callable[..., Any]:
    """A factory that imports ``module.attr`` only when a component is built, so that listing
    and checking names (``alframe check``, ``alframe plugins``) never imports torch."""

    def factory(**kwargs: Any) -> Any:
        import importlib

        return getattr(importlib.import_module(module), attr)(**kwargs)

    factory.__name__ = attr
    factory.__qualname__ = f"lazy({module}.{attr})"
    return factory


@dataclass(frozen=True)
class Param:
    """One declared argument of a component.

    ``choices`` restricts a "name"/"str" value; ``low``/``high`` bound numbers (inclusive).
    """

    name: str
    type: str
    default: Any = REQUIRED
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    help: str = ""

    def __post_init__(self) -> None:
        if self.type not in PARAM_TYPES:
            raise ValueError(f"param {self.name!r}: unknown type {self.type!r}; one of {PARAM_TYPES}")

    @property
    def required(self) -> bool:
        return self.default is REQUIRED


def arg(
    low: float | None = None,
    high: float | None = None,
    *,
    choices: tuple[str, ...] | None = None,
    help: str = "",
    type: str | None = None,
) -> dict[str, Any]:
    """The metadata of a component argument declared as a dataclass field, its default the
    field's own (none: required)::

        dim: int = field(default=64, metadata=arg(1, 4096, help="embedding width"))

    The type comes from the annotation (``int``, ``float``, ``bool``, ``tuple[int, int]`` a
    range, ``str`` a name when it has choices, else a string); ``type=`` names another."""
    return {"param": {"low": low, "high": high, "choices": choices, "help": help, "type": type}}


_ANNOTATED = {"int": "int", "float": "float", "bool": "bool", "tuple[int, int]": "range"}


def params_of(cls: type) -> tuple[Param, ...]:
    """The arguments a dataclass declares, one per field, in order (see :func:`arg`)."""
    out = []
    for f in dataclasses.fields(cls):
        meta = {"low": None, "high": None, "choices": None, "help": "", "type": None, **f.metadata.get("param", {})}
        annotation = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        kind = meta["type"] or _ANNOTATED.get(annotation)
        if kind is None and annotation == "str":
            kind = "name" if meta["choices"] else "str"
        if kind is None:
            raise TypeError(f"{cls.__name__}.{f.name}: say the argument's type, e.g. arg(type='list')")
        default = f.default if f.default is not dataclasses.MISSING else REQUIRED
        out.append(Param(f.name, kind, default, meta["low"], meta["high"], meta["choices"], meta["help"]))
    return tuple(out)


@dataclass(frozen=True)
class Component:
    """A named thing a spec can use.

    ``factory(**args)`` builds it, with ``args`` already checked and defaults filled.
    ``plugin`` is the distribution (or built-in module) that registered it.
    """

    kind: str
    name: str
    factory: Callable[..., Any]
    params: tuple[Param, ...] = ()
    help: str = ""
    plugin: str = "alframe"
    reference: str = ""

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.name == name:
                return p
        return None

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params if not p.required}


@dataclass
class Registry:
    """Components by kind and name. Filled once per process by :func:`alframe.plugins.load`."""

    components: dict[str, dict[str, Component]] = field(
        default_factory=lambda: {kind: {} for kind in KINDS}
    )
    #: which plugin is currently registering (set by the plugin manager around each call)
    current_plugin: str = "alframe"
    #: installed plugins that were not loaded (autoload off), as "entry point (distribution)":
    #: an unknown name may come from one of them, and the message can say how to load it
    unloaded: tuple[str, ...] = ()

    def register(
        self,
        kind: str,
        name: str,
        factory: Callable[..., Any],
        *,
        params: tuple[Param, ...] | list[Param] | type = (),
        help: str = "",
        reference: str = "",
    ) -> None:
        """Add a component; a second component of the same kind and name is an error.
        ``params`` is the list of its arguments, or a dataclass declaring them (:func:`params_of`)."""
        if kind not in self.components:
            raise PluginError(
                f"cannot register {name!r}: unknown kind {kind!r} (kinds: {', '.join(KINDS)})",
                plugin=self.current_plugin,
                hook="alframe_register",
            )
        if not name.isidentifier():
            raise PluginError(
                f"cannot register {kind} {name!r}: a name must be an identifier",
                plugin=self.current_plugin,
                hook="alframe_register",
            )
        existing = self.components[kind].get(name)
        if existing is not None:
            raise PluginError(
                f"{kind} {name!r} is registered twice: by {existing.plugin!r} and by {self.current_plugin!r}",
                plugin=self.current_plugin,
                hook="alframe_register",
            )
        self.components[kind][name] = Component(
            kind=kind,
            name=name,
            factory=factory,
            params=params_of(params) if isinstance(params, type) else tuple(params),
            help=help,
            plugin=self.current_plugin,
            reference=reference,
        )

    def get(self, kind: str, name: str) -> Component | None:
        return self.components.get(kind, {}).get(name)

    def names(self, kind: str) -> list[str]:
        return sorted(self.components.get(kind, {}))

    def build(self, kind: str, name: str, args: Mapping[str, Any]) -> Any:
        """Instantiate a component with already-validated arguments (defaults filled here too)."""
        comp = self.components[kind][name]
        full = comp.defaults()
        full.update(args)
        for p in comp.params:
            if p.type == "policies":
                full[p.name] = tuple(self._build_policy(c) for c in full[p.name])
        built = comp.factory(**full)
        if kind in ("policy", "oracle"):  # from here on an instance of its Protocol
            from alframe.protocols import conform

            built = conform(built, kind, comp.plugin, name)
        return built

    def _build_policy(self, call: Any) -> tuple[str, Any]:
        """One entry of a "policies" argument: a plan Call (or a bare name, as a default may
        be written) → ``(label, built policy)``; the label is the name with the arguments that
        differ from their defaults (``uncertainty(measure=entropy)``), as short as a spec can say it."""
        from alframe.plan import Call

        name, args = (call, {}) if isinstance(call, str) else (call.name, call.kwargs)
        defaults = self.components["policy"][name].defaults()
        label = str(Call(name, tuple((k, v) for k, v in args.items() if defaults.get(k, REQUIRED) != v)))
        return (label, self.build("policy", name, args))
