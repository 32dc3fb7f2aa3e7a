"""Calling stage hooks so that a misbehaving plugin is named.

pluggy's first-result call does not say *which* implementation answered, and the engine must
be able to say "plugin 'alframe-foo', hook 'alframe_query' returned a duplicate cell". So the
engine calls first-result stage hooks here: the implementations are tried in pluggy's own order
(``tryfirst`` first, built-ins marked ``trylast`` last) and the one that answered is returned
with its result. Any exception other than an alframe error is wrapped in a
:class:`~alframe.errors.PluginError` naming the plugin and hook.
"""

from __future__ import annotations

from typing import Any

from alframe.errors import AlframeError, PluginError
from alframe.plugins import Plugins


def call_first(plugins: Plugins, hook: str, **kwargs: Any) -> tuple[Any, str]:
    """Call ``hook`` until an implementation returns non-None: ``(result, plugin name)``.

    Raises :class:`PluginError` when no implementation answers.
    """
    caller = getattr(plugins.pm.hook, hook)
    for impl in reversed(caller.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            continue
        args = {name: kwargs[name] for name in impl.argnames}
        who = _name(plugins, impl)
        try:
            result = impl.function(**args)
        except (AlframeError, KeyboardInterrupt):
            raise
        except Exception as exc:
            raise PluginError(f"{type(exc).__name__}: {exc}", plugin=who, hook=hook) from exc
        if result is not None:
            return result, who
    raise PluginError("no plugin implements this stage", hook=hook)


def call_all(plugins: Plugins, hook: str, **kwargs: Any) -> None:
    """Call every implementation of an observer hook (``alframe_round_end``)."""
    caller = getattr(plugins.pm.hook, hook)
    for impl in reversed(caller.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:
            continue
        args = {name: kwargs[name] for name in impl.argnames}
        try:
            impl.function(**args)
        except (AlframeError, KeyboardInterrupt):
            raise
        except Exception as exc:
            raise PluginError(f"{type(exc).__name__}: {exc}", plugin=_name(plugins, impl), hook=hook) from exc


def _name(plugins: Plugins, impl: Any) -> str:
    dist = plugins.distribution_of(impl.plugin)
    return "alframe (built-in)" if dist == "alframe" else dist
