"""What several commands share: loading plugins from the global options, compiling a spec."""

from __future__ import annotations

import argparse
import os

from alframe.compile import compile_file
from alframe.plan import Plan
from alframe.plugins import Plugins, load


def load_plugins(args: argparse.Namespace) -> Plugins:
    """Plugins as the global options say: ``--no-plugins`` turns autoload off (as does
    ``ALFRAME_DISABLE_PLUGIN_AUTOLOAD=1``); ``-p NAME`` (or ``ALFRAME_PLUGINS``) names plugins to
    load anyway."""
    autoload = False if getattr(args, "no_plugins", False) else None
    return load(autoload=autoload, names=list(getattr(args, "plugin", None) or []))


def compile_spec(path: str | os.PathLike[str], plugins: Plugins, args: argparse.Namespace) -> Plan:
    """Compile a spec against the loaded registry; data paths stay inside ``--data-root``
    (default: the spec's folder); ``--set KEY=VALUE`` options replace the spec's values
    (:mod:`alframe.lang.overrides`). Raises :class:`~alframe.errors.SpecErrors`."""
    options = list(getattr(args, "set", None) or [])
    if options:
        from alframe.lang.overrides import compile_with_overrides

        return compile_with_overrides(path, plugins.registry, options,  # type: ignore[return-value]
                                      root=getattr(args, "data_root", None))
    return compile_file(path, plugins.registry, root=getattr(args, "data_root", None))

