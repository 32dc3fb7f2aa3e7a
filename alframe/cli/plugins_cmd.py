"""``alframe plugins``: every installed plugin, its version, the names it registers by kind,
and the stage hooks it implements."""

from __future__ import annotations

import argparse
import importlib.metadata as md
import json
from dataclasses import dataclass, field
from typing import Any

import click
from rich.text import Text
from rich.tree import Tree

from alframe.cli import base
from alframe.cli.terminal import Terminal
from alframe.plugins import ENTRY_POINT_GROUP, Plugins
from alframe.registry import KINDS

DESCRIPTION = """\
List the plugins alframe loads: each distribution and its version, every name it registers,
grouped by kind (encoders, trunks, heads, policies, oracles, imbalance methods, metrics), and
the stage implementations (which alframe_* hooks) it provides. Installed plugins that were not
loaded (autoload off) are listed too, with how to load them."""

EXAMPLE = """\
examples:
  alframe plugins
  alframe plugins --no-plugins -p cardinality   only the built-ins and one named plugin
  alframe plugins --json
"""

PLURAL = {
    "encoder": "encoders",
    "trunk": "trunks",
    "heads": "heads",
    "policy": "policies",
    "oracle": "oracles",
    "imbalance": "imbalance methods",
    "metric": "metrics",
}


@dataclass
class PluginRow:
    distribution: str
    version: str
    builtin: bool
    loaded: bool = True
    entry_points: list[str] = field(default_factory=list)
    modules: list[str] = field(default_factory=list)
    components: dict[str, list[str]] = field(default_factory=dict)
    hooks: list[str] = field(default_factory=list)


@click.command("plugins", cls=base.Command,
               short_help="list installed plugins and the names and hooks they provide",
               help=DESCRIPTION, epilog=EXAMPLE)
@click.option("--json", "json", is_flag=True, help="print the list as JSON")
@base.global_options
@click.pass_context
def command(ctx: click.Context, **params: Any) -> int:
    return base.invoke(ctx, execute, params)


def execute(args: argparse.Namespace, terminal: Terminal) -> int:
    from alframe.cli.common import load_plugins

    plugins = load_plugins(args)
    rows = plugin_rows(plugins)
    if args.json:
        terminal.console.print_json(json.dumps([r.__dict__ for r in rows]))
        return 0
    terminal.print(plugins_tree(rows))
    return 0


def plugin_rows(plugins: Plugins) -> list[PluginRow]:
    """One row per distribution: loaded ones first (built-ins leading), then installed ones
    that autoload left out."""
    rows: dict[str, PluginRow] = {}
    for info in plugins.infos:
        row = rows.setdefault(info.distribution, PluginRow(info.distribution, info.version, info.builtin))
        if not info.builtin:
            row.entry_points.append(info.name)
        row.modules.append(info.module)
    for kind in KINDS:
        for name in plugins.registry.names(kind):
            comp = plugins.registry.get(kind, name)
            dist = comp.plugin if comp is not None else "?"
            row = rows.setdefault(dist, PluginRow(dist, "?", False))
            row.components.setdefault(kind, []).append(name)
    for plugin in plugins.pm.get_plugins():
        dist = plugins.distribution_of(plugin)
        row = rows.setdefault(dist, PluginRow(dist, "?", False))
        for caller in plugins.pm.get_hookcallers(plugin) or []:
            if caller.name not in row.hooks:
                row.hooks.append(caller.name)
    for row in rows.values():
        row.hooks.sort()
    loaded = set(rows)
    for ep in md.entry_points(group=ENTRY_POINT_GROUP):
        dist = ep.dist.name if ep.dist is not None else ep.name
        if dist not in loaded:
            row = rows.setdefault(dist, PluginRow(dist, ep.dist.version if ep.dist else "?", False, loaded=False))
            row.entry_points.append(ep.name)
    return sorted(rows.values(), key=lambda r: (not r.loaded, not r.builtin, r.distribution))


def plugins_tree(rows: list[PluginRow]) -> Tree:
    root = Tree(Text("alframe plugins", style="bold"))
    for row in rows:
        label = Text(row.distribution, style="bold magenta" if row.loaded else "dim")
        label.append(f" {row.version}")
        if row.builtin:
            label.append("  built-in", style="dim")
        elif row.entry_points:
            label.append(f"  entry point: {', '.join(row.entry_points)}", style="dim")
        if not row.loaded:
            label.append(
                f"  not loaded (autoload is off; load it with -p {row.entry_points[0] if row.entry_points else row.distribution})",
                style="yellow",
            )
        node = root.add(label)
        for kind in KINDS:
            names = row.components.get(kind)
            if names:
                node.add(Text(f"{PLURAL[kind]}: ", style="bold").append(", ".join(names)))
        if row.hooks:
            node.add(Text("stage implementations: ", style="bold").append(", ".join(row.hooks)))
    return root
