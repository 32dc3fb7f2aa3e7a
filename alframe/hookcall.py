"""Calling hooks so that a misbehaving plugin is named, and what it returns is checked.

pluggy's first-result call does not say *which* implementation answered, and the engine must
be able to say "plugin 'alframe-foo', hook 'alframe_query' returned a duplicate cell". So, once
per plugin manager, every non-wrapper implementation of a hook is wrapped in a small
recorder: it notes which plugin returned a result, and turns an unexpected exception into a
:class:`~alframe.errors.PluginError` naming the plugin and hook (a write the disk refused,
full or read-only, is the named :func:`~alframe.fsutil.storage_error` instead). The hooks themselves are
still called through pluggy, so ``tryfirst``/``trylast`` ordering and ``wrapper=True``
implementations (timing, progress, tracing) work as pluggy documents.

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
from typing import Any

from alframe.contracts import Broken, checked
from alframe.errors import AlframeError, PluginError
from alframe.fsutil import storage_error
from alframe.plugins import Plugins

_INSTRUMENTED = "_alframe_instrumented"
BUILTIN = "alframe (built-in)"


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
    _instrument(plugins)
    getattr(plugins.pm.hook, hook)(**kwargs)


def _call(plugins: Plugins, hook: str, kwargs: dict[str, Any]) -> tuple[Any, str]:
    responders = _instrument(plugins)
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


def plugin_label(plugins: Plugins, plugin: object) -> str:
    dist = plugins.distribution_of(plugin)
    return BUILTIN if dist == "alframe" else dist


def _instrument(plugins: Plugins) -> dict[str, str]:
    """Wrap every hook implementation not wrapped yet (plugins may be registered late);
    returns the hook → responder map the wrappers fill."""
    responders: dict[str, str] | None = getattr(plugins, _INSTRUMENTED, None)
    if responders is None:
        responders = {}
        setattr(plugins, _INSTRUMENTED, responders)
    for hook_name in dir(plugins.pm.hook):
        if not hook_name.startswith("alframe_") or hook_name == "alframe_register":
            continue
        for impl in getattr(plugins.pm.hook, hook_name).get_hookimpls():
            if impl.hookwrapper or impl.wrapper or getattr(impl.function, _INSTRUMENTED, False):
                continue
            impl.function = _recorder(impl.function, hook_name, plugin_label(plugins, impl.plugin), responders)
    return responders


def _recorder(fn: Callable[..., Any], hook: str, who: str, responders: dict[str, str]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        answering = _Answering(who)
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

    setattr(call, _INSTRUMENTED, True)
    return call
