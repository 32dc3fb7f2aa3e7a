"""Calling stage hooks so that a misbehaving plugin is named.

pluggy's first-result call does not say *which* implementation answered, and the engine must
be able to say "plugin 'alframe-foo', hook 'alframe_query' returned a duplicate cell". So, once
per plugin manager, every non-wrapper implementation of a stage hook is wrapped in a small
recorder: it notes which plugin returned a result, and turns an unexpected exception into a
:class:`~alframe.errors.PluginError` naming the plugin and hook (a write the disk refused,
full or read-only, is the named :func:`~alframe.fsutil.storage_error` instead). The hooks themselves are
still called through pluggy, so ``tryfirst``/``trylast`` ordering and ``wrapper=True``
implementations (timing, progress, tracing) work as pluggy documents.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from alframe.errors import AlframeError, PluginError
from alframe.fsutil import storage_error
from alframe.plugins import Plugins

_INSTRUMENTED = "_alframe_instrumented"


def call_first(plugins: Plugins, hook: str, **kwargs: Any) -> tuple[Any, str]:
    """Call a first-result hook: ``(result, name of the plugin that gave it)``.

    Raises :class:`PluginError` when no implementation answers.
    """
    responders = _instrument(plugins)
    responders.pop(hook, None)
    result = getattr(plugins.pm.hook, hook)(**kwargs)
    if result is None:
        raise PluginError("no plugin implements this stage", hook=hook)
    return result, responders.get(hook, "?")


def call_optional(plugins: Plugins, hook: str, **kwargs: Any) -> Any:
    """Call a first-result hook for which ``None`` is a valid answer (``alframe_should_stop``)."""
    _instrument(plugins)
    return getattr(plugins.pm.hook, hook)(**kwargs)


def call_all(plugins: Plugins, hook: str, **kwargs: Any) -> None:
    """Call every implementation of an observer hook (``alframe_round_end``)."""
    _instrument(plugins)
    getattr(plugins.pm.hook, hook)(**kwargs)


def plugin_label(plugins: Plugins, plugin: object) -> str:
    dist = plugins.distribution_of(plugin)
    return "alframe (built-in)" if dist == "alframe" else dist


def _instrument(plugins: Plugins) -> dict[str, str]:
    """Wrap every stage implementation not wrapped yet (plugins may be registered late);
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
        try:
            result = fn(*args, **kwargs)
        except (AlframeError, KeyboardInterrupt):
            raise
        except Exception as exc:
            # a full disk or a read-only folder is no fault of the plugin that was writing
            filename = getattr(exc, "filename", None)
            named = storage_error(exc, (f"{filename}, " if filename else "") + f"while {who} ran {hook}")
            if named is not None:
                raise named from exc
            raise PluginError(f"{type(exc).__name__}: {exc}", plugin=who, hook=hook) from exc
        if result is not None and hook not in responders:
            responders[hook] = who
        return result

    setattr(call, _INSTRUMENTED, True)
    return call
