"""Calling hooks so that a misbehaving plugin is named, and what it returns is checked.

pluggy's first-result call does not say *which* implementation answered, and the engine must
be able to say "plugin 'alframe-foo', hook 'alframe_query' returned a duplicate cell". So the
plugin manager (:class:`PluginManager`, pluggy's own with ``register`` extended) registers
each plugin as a :class:`PluginView` of it, whose hook implementations are the plugin's
wrapped in a small recorder: it notes which plugin returned a result, and turns an unexpected
exception into a :class:`~alframe.errors.PluginError` naming the plugin and hook (a write the
disk refused, full or read-only, is the named :func:`~alframe.fsutil.storage_error` instead).
pluggy sees only the wrapped functions, from registration on: nothing of pluggy's is rewritten.
The hooks are called through pluggy, so ``tryfirst``/``trylast`` ordering and ``wrapper=True``
implementations (timing, progress, tracing: never wrapped) work as pluggy documents.

Every result is then checked against its hook's contract (:data:`alframe.contracts.CONTRACTS`)
before the caller sees it: a result that breaks it is a ``PluginError`` naming the plugin that
gave it, raised before anything of the round is committed.

A built-in stage that hands the work to a component a plugin registered (a policy, an
oracle, a metric) says so with :func:`component`: what the component raises or returns is
then blamed on that plugin, not on alframe.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import pluggy

from alframe.contracts import Broken, checked
from alframe.errors import AlframeError, PluginError
from alframe.fsutil import storage_error

if TYPE_CHECKING:
    from alframe.plugins import Plugins

BUILTIN = "alframe (built-in)"
#: the attribute pluggy's marker sets on a hook implementation (``HookimplMarker("alframe")``)
_MARKER = "alframe_impl"


class _Answering:
    """The implementation being called: the plugin that answers for its result (the
    component's plugin once the implementation hands the work to one)."""

    def __init__(self, who: str) -> None:
        self.who = who


_answering: ContextVar[_Answering | None] = ContextVar("alframe_answering", default=None)


def call_first(plugins: Plugins, hook: str, **kwargs: Any) -> tuple[Any, str]:
    """Call a first-result hook: ``(checked result, name of the plugin that gave it)``.

    Raises :class:`PluginError` when no implementation answers or the answer breaks the
    hook's contract.
    """
    result, who = _call(plugins, hook, kwargs)
    if result is None:
        raise PluginError("no plugin implements this stage", hook=hook)
    return result, who


def call_optional(plugins: Plugins, hook: str, **kwargs: Any) -> Any:
    """Call a first-result hook for which ``None`` is a valid answer (``alframe_should_stop``);
    any other answer is checked against the hook's contract."""
    return _call(plugins, hook, kwargs)[0]


def call_all(plugins: Plugins, hook: str, **kwargs: Any) -> None:
    """Call every implementation of an observer hook (``alframe_round_end``)."""
    getattr(plugins.pm.hook, hook)(**kwargs)


def call_each(plugins: Plugins, hook: str, **kwargs: Any) -> list[Any]:
    """Every implementation's result of a collecting hook (``alframe_train_callbacks``), each
    checked against the hook's contract; a broken one names no single plugin (pluggy gathers
    the results), so the error names the hook."""
    return [check_result(hook, r, kwargs, "?") for r in getattr(plugins.pm.hook, hook)(**kwargs)]


def _call(plugins: Plugins, hook: str, kwargs: dict[str, Any]) -> tuple[Any, str]:
    responders = plugins.pm.responders
    responders.pop(hook, None)
    result = getattr(plugins.pm.hook, hook)(**kwargs)
    who = responders.get(hook, "?")
    return check_result(hook, result, kwargs, who), who


def check_result(hook: str, result: Any, kwargs: Mapping[str, Any], who: str) -> Any:
    """``result`` as hook ``hook``'s contract checks it; a :class:`PluginError` naming ``who``
    (the plugin that gave it) when it breaks the contract."""
    try:
        return checked(hook, result, kwargs)
    except Broken as exc:
        rnd = getattr(kwargs.get("state"), "round", None)
        where = f"; round {rnd} is not committed" if rnd is not None else ""
        raise PluginError(f"{exc}{where}", plugin=who, hook=hook) from None


@contextmanager
def component(plugins: Plugins, kind: str, name: str) -> Iterator[None]:
    """Around a built-in stage's call of the registered component ``kind`` ``name``: a
    plugin's component answers for what it raises and, from then on, for the stage's result."""
    with on_behalf_of(owner(plugins, kind, name), f"{kind} {name!r}"):
        yield


def owner(plugins: Plugins, kind: str, name: str) -> str:
    """The plugin that registered component ``kind`` ``name``, as errors name it."""
    comp = plugins.registry.get(kind, name)
    return BUILTIN if comp is None or comp.plugin == "alframe" else comp.plugin


@contextmanager
def on_behalf_of(who: str, what: str, *, result: bool = True) -> Iterator[None]:
    """Around a built-in stage's call of something plugin ``who`` provided (``what``: "policy
    'coin'", "the model"): ``who`` answers for what it raises and, with ``result``, for the
    stage's result (the stage returns what it gave)."""
    answering = _answering.get()
    before = answering.who if answering is not None else None
    if answering is not None:
        answering.who = who
    try:
        yield
    except PluginError as exc:
        if exc.plugin is None:
            exc.plugin = who
        raise
    except (AlframeError, KeyboardInterrupt):
        raise
    except Exception as exc:
        if who == BUILTIN:
            raise
        raise _fault(exc, who, f"while {what} of {who} ran", f"{what}: ") from exc
    finally:
        if answering is not None and before is not None and not result:
            answering.who = before


def _fault(exc: Exception, who: str, where: str, prefix: str = "", hook: str | None = None) -> AlframeError:
    """An unexpected exception in plugin ``who``'s code: the named storage error when the disk
    refused a write (no fault of the plugin), else a :class:`PluginError` naming ``who``."""
    named = storage_error(exc, where)
    if named is not None:
        return named
    return PluginError(f"{prefix}{type(exc).__name__}: {exc}", plugin=who, hook=hook)


class PluginManager(pluggy.PluginManager):
    """pluggy's plugin manager, registering a plugin as its :class:`PluginView`. The
    plugin itself still answers for ``get_name``, ``is_registered``, ``unregister`` and
    ``get_hookcallers``; ``get_plugins`` lists the views (every other attribute of a view is
    the plugin's)."""

    def __init__(self, project_name: str) -> None:
        super().__init__(project_name)
        #: hook → the plugin whose implementation gave the last call's result
        self.responders: dict[str, str] = {}
        #: registered name → the label errors give the plugin (set by :mod:`alframe.plugins`)
        self.label: Callable[[str], str] = lambda name: name
        self._views: dict[int, PluginView] = {}

    def register(self, plugin: Any, name: str | None = None) -> str | None:
        if plugin is None or isinstance(plugin, PluginView):
            return super().register(plugin, name)
        if id(plugin) in self._views:
            raise ValueError(f"Plugin already registered under a different name: {plugin!r}")
        name = name or self.get_canonical_name(plugin)
        view = PluginView(plugin, lambda: self.label(name), self.responders)
        registered = super().register(view, name)
        if registered is not None:
            self._views[id(plugin)] = view
        return registered

    def _view(self, plugin: Any) -> Any:
        return self._views.get(id(plugin), plugin)

    def unregister(self, plugin: Any | None = None, name: str | None = None) -> Any | None:
        view = super().unregister(None if plugin is None else self._view(plugin), name)
        if isinstance(view, PluginView):
            self._views.pop(id(view.plugin), None)
            return view.plugin
        return view

    def is_registered(self, plugin: Any) -> bool:
        return super().is_registered(self._view(plugin))

    def get_name(self, plugin: Any) -> str | None:
        return super().get_name(self._view(plugin))

    def get_hookcallers(self, plugin: Any) -> list[pluggy.HookCaller] | None:
        return super().get_hookcallers(self._view(plugin))


class PluginView:
    """A plugin as the manager registers it: each hook implementation the plugin marked is
    its own wrapped in a recorder (wrappers and ``alframe_register`` as they are); every other
    attribute is read from the plugin."""

    def __init__(self, plugin: Any, who: Callable[[], str], responders: dict[str, str]) -> None:
        self.__dict__["plugin"] = plugin
        for attr in dir(plugin):
            if not attr.startswith("alframe_"):
                continue
            fn = getattr(plugin, attr, None)
            opts = getattr(fn, _MARKER, None)
            if not callable(fn) or not isinstance(opts, dict):
                continue  # not marked: pluggy would not take it either
            plain = attr == "alframe_register" or opts.get("wrapper") or opts.get("hookwrapper")
            self.__dict__[attr] = fn if plain else _recorder(fn, attr, who, responders)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["plugin"], name)

    def __repr__(self) -> str:
        return f"<recorded {self.__dict__['plugin']!r}>"


def _recorder(fn: Callable[..., Any], hook: str, who: Callable[[], str], responders: dict[str, str]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        answering = _Answering(who())
        token = _answering.set(answering)
        try:
            result = fn(*args, **kwargs)
        except PluginError as exc:
            # alframe's helpers (cell checks, selection) raise naming the hook only
            if exc.plugin is None:
                exc.plugin = answering.who
            if exc.hook is None:
                exc.hook = hook
            raise
        except (AlframeError, KeyboardInterrupt):
            raise
        except Exception as exc:
            # a full disk or a read-only folder is no fault of the plugin that was writing
            filename = getattr(exc, "filename", None)
            where = (f"{filename}, " if filename else "") + f"while {answering.who} ran {hook}"
            raise _fault(exc, answering.who, where, hook=hook) from exc
        finally:
            _answering.reset(token)
        if result is not None and hook not in responders:
            responders[hook] = answering.who
        return result

    return call
