"""Plugin loading: built-ins, entry points, an autoload switch, and a typed facade.

Plugins are trusted code, so they are loaded only from installed distributions through the
``alframe`` entry-point group, never from a spec. Loading is explicit and idempotent
(:func:`load`), never an import side effect.

- ``ALFRAME_DISABLE_PLUGIN_AUTOLOAD=1`` (or ``--no-plugins``) loads only the built-ins and the
  plugins named explicitly, as pytest's ``PYTEST_DISABLE_PLUGIN_AUTOLOAD`` does.
- ``ALFRAME_PLUGINS=name,other`` (or ``-p name``) names plugins (entry-point or distribution
  names) to load when autoload is off.
- ``ALFRAME_TRACE_HOOKS=1`` prints every hook call and its duration to stderr.

A hook implementation with a misspelt name or an unknown argument fails at load time with a
:class:`~alframe.errors.PluginError` naming its distribution.
"""

from __future__ import annotations

import importlib
import importlib.metadata as md
import os
import sys
import time
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pluggy

from alframe import hookspecs
from alframe.errors import PluginError, nearest
from alframe.hookcall import BUILTIN, PluginManager
from alframe.registry import Registry

ENTRY_POINT_GROUP = "alframe"
AUTOLOAD_ENV = "ALFRAME_DISABLE_PLUGIN_AUTOLOAD"
PLUGINS_ENV = "ALFRAME_PLUGINS"
TRACE_ENV = "ALFRAME_TRACE_HOOKS"

#: Built-in behaviour: ordinary plugin modules, registered before any third-party one.
BUILTIN_MODULES = (
    "alframe.builtin.components",
    "alframe.builtin.stages",
)


@dataclass
class PluginInfo:
    name: str  # entry-point name (or module name for built-ins)
    distribution: str
    version: str
    module: str
    builtin: bool = False


@dataclass
class Plugins:
    """The loaded plugin manager, its registry, and what was loaded from where."""

    pm: PluginManager
    registry: Registry
    infos: list[PluginInfo] = field(default_factory=list)

    @property
    def hook(self) -> Any:
        return self.pm.hook

    def distribution_of(self, plugin: object) -> str:
        return self.distribution_named(self.pm.get_name(plugin) or "?")

    def distribution_named(self, name: str) -> str:
        """The distribution of the plugin registered as ``name`` (the name itself if unknown)."""
        for info in self.infos:
            if info.name == name or info.module == name:
                return info.distribution
        return name

    def versions(self) -> dict[str, str]:
        """Distribution → version of every plugin loaded (stored with each run)."""
        return {i.distribution: i.version for i in self.infos}


def _label(dist: str) -> str:
    """How errors name a plugin's distribution (alframe's own hooks as built-in)."""
    return BUILTIN if dist == "alframe" else dist


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def _validate(pm: pluggy.PluginManager, plugin: ModuleType | object, dist: str) -> None:
    """Register ``plugin`` and check its hook names and arguments against the specs."""
    known = sorted(n for n in dir(hookspecs) if n.startswith("alframe_"))
    for name in dir(plugin):
        if name.startswith("alframe_") and name not in known:
            guess = nearest(name, known)
            raise PluginError(
                f"'{name}' is not an alframe hook"
                + (f"; did you mean '{guess}'?" if guess else f" (hooks: {', '.join(known)})"),
                plugin=dist,
            )
    try:
        pm.register(plugin, name=getattr(plugin, "__name__", None))
    except pluggy.PluginValidationError as exc:
        raise PluginError(str(exc), plugin=dist) from None
    except ValueError as exc:  # already registered: loading is idempotent
        if "already registered" not in str(exc):
            raise
    try:
        pm.check_pending()
    except pluggy.PluginValidationError as exc:
        raise PluginError(str(exc), plugin=dist) from None


def load(autoload: bool | None = None, names: list[str] | None = None) -> Plugins:
    """Load built-ins and plugins, then fill the registry.

    :param autoload: load every installed plugin of the entry-point group; default from the
        environment (on unless ``ALFRAME_DISABLE_PLUGIN_AUTOLOAD`` is set).
    :param names: plugins to load even when autoload is off (entry-point or distribution names).
    """
    if autoload is None:
        autoload = not _truthy(os.environ.get(AUTOLOAD_ENV))
    wanted = set(names or [])
    wanted |= {n.strip() for n in os.environ.get(PLUGINS_ENV, "").split(",") if n.strip()}

    pm = PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    plugins = Plugins(pm=pm, registry=Registry())
    pm.label = lambda name: _label(plugins.distribution_named(name))
    version = _version("alframe")

    for modname in BUILTIN_MODULES:
        module = importlib.import_module(modname)
        _validate(pm, module, "alframe")
        plugins.infos.append(PluginInfo(modname, "alframe", version, modname, builtin=True))

    found: set[str] = set()
    skipped: list[str] = []
    for ep in md.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist is not None else ep.name
        if not autoload and ep.name not in wanted and dist not in wanted:
            skipped.append(f"{ep.name} ({dist})")
            continue
        found |= {ep.name, dist}
        try:
            obj = ep.load()
        except Exception as exc:  # a broken plugin must name itself
            raise PluginError(f"cannot import entry point {ep.value!r}: {exc}", plugin=dist) from None
        _validate(pm, obj, dist)
        dist_version = ep.dist.version if ep.dist is not None else "?"
        plugins.infos.append(PluginInfo(ep.name, dist, dist_version, getattr(obj, "__name__", ep.value)))

    missing = sorted(wanted - found)
    if missing:
        raise PluginError(
            "plugin(s) not installed: " + ", ".join(missing),
            hook=None,
        )

    plugins.registry.unloaded = tuple(skipped)
    _fill_registry(plugins)
    if _truthy(os.environ.get(TRACE_ENV)):
        _trace(pm)
    return plugins


def _fill_registry(plugins: Plugins) -> None:
    """Call ``alframe_register`` plugin by plugin, in load order (built-ins first), so each
    registration knows its plugin and a clash always names the later one."""
    order = {info.module: i for i, info in enumerate(plugins.infos)}
    ranked = sorted(plugins.pm.get_plugins(), key=lambda p: order.get(plugins.pm.get_name(p) or "", len(order)))
    for plugin in ranked:
        impl = getattr(plugin, "alframe_register", None)
        if impl is None:
            continue
        dist = plugins.distribution_of(plugin)
        plugins.registry.current_plugin = dist
        try:
            impl(registry=plugins.registry)
        except PluginError:
            raise
        except Exception as exc:
            raise PluginError(f"{type(exc).__name__}: {exc}", plugin=dist, hook="alframe_register") from None
    plugins.registry.current_plugin = "alframe"


def _trace(pm: pluggy.PluginManager) -> None:
    starts: list[float] = []

    def before(hook_name: str, impls: Any, kwargs: Any) -> None:
        starts.append(time.perf_counter())
        print(f"[alframe hook] {hook_name} ← {[i.plugin_name for i in impls]}", file=sys.stderr)

    def after(outcome: Any, hook_name: str, impls: Any, kwargs: Any) -> None:
        took = time.perf_counter() - starts.pop() if starts else 0.0
        print(f"[alframe hook] {hook_name} done in {took:.3f}s", file=sys.stderr)

    pm.add_hookcall_monitoring(before, after)


def _version(dist: str) -> str:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        return "0+unknown"
