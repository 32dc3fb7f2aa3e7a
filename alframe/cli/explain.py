"""``alframe explain SPEC``: the compiled plan as a tree, every default filled in.

Each value says where it came from: the spec line that wrote it, or "default". Components
(encoder, policy, oracle, ...) show every argument, given or defaulted, and the plugin that
registered them, so what will run is visible before anything runs.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from typing import Any

import click
from rich.text import Text
from rich.tree import Tree

from alframe.cli import base
from alframe.cli.terminal import Terminal
from alframe.lang.fields import FIELDS
from alframe.plan import Call, Plan
from alframe.registry import Registry
from alframe.settings import Component

DESCRIPTION = """\
Compile a spec and show the plan that would run: data source and fields, label space rule,
model (encoder, trunk, heads, ensemble), training, weighting, query policy and its arguments,
oracle, metrics, trainer options and any vary/repeat grid. Every default is filled in, and
each value says where it came from (spec line or default)."""

EXAMPLE = """\
examples:
  alframe explain specs/quickstart.al
  alframe explain specs/compare.al --json > plan.json
"""

#: what a defaulted field defaults to when the default depends on other fields
DERIVED = {
    "name": "the spec file's name",
    "data.format": "from the file's extension",
    "query.seed_size": "the query batch (at most the budget)",
}
#: plan path → component kind of its Call fields (from the settings' declared checks)
KIND_OF = {
    path: f.setting.check.kind
    for path, f in FIELDS.items()
    if f.setting is not None and isinstance(f.setting.check, Component)
}
SECTIONS = ("data", "labels", "model", "train", "weighting", "query", "oracle", "evaluate", "trainer", "cost")


@click.command("explain", cls=base.Command,
               short_help="show the compiled plan, defaults filled, with where each value came from",
               help=DESCRIPTION, epilog=EXAMPLE)
@base.argument("spec", metavar="SPEC", help="the .al spec file")
@click.option("--json", "json", is_flag=True, help="print the plan as JSON (no origins)")
@base.set_option
@base.global_options
@click.pass_context
def command(ctx: click.Context, **params: Any) -> int:
    return base.invoke(ctx, execute, params)


def execute(args: argparse.Namespace, terminal: Terminal) -> int:
    from alframe.cli.common import compile_spec, load_plugins

    plugins = load_plugins(args)
    plan = compile_spec(args.spec, plugins, args)
    if args.json:
        terminal.console.print_json(json.dumps(plan.to_dict(), default=str))
        return 0
    terminal.print(plan_tree(plan, plugins.registry))
    return 0


def plan_tree(plan: Plan, registry: Registry) -> Tree:
    root = Tree(
        Text.assemble(
            (plan.name, "bold"), "  ", (plan.spec_path, "dim"), "  ", (f"fingerprint {plan.fingerprint()}", "dim")
        )
    )
    run = root.add(Text("run", style="bold cyan"))
    for path in ("name", "seed", "ceiling", "repeat"):
        run.add(_leaf(plan, path, path, getattr(plan, path)))
    for section in SECTIONS:
        value = getattr(plan, section)
        if isinstance(value, Call):
            _call(root, plan, registry, section, section, value, header=True)
            continue
        branch = root.add(_section_label(plan, section))
        for f in dataclasses.fields(value):
            path = f"{section}.{f.name}"
            item = getattr(value, f.name)
            if isinstance(item, Call):
                _call(branch, plan, registry, path, f.name, item)
            elif path == "query.stop":
                _stop(branch, plan, item)
            elif path == "query.stable":
                what = "no" if item is None else f"stable(window={item.window}, agreement={item.agreement:g})"
                branch.add(Text("stop: ", style="bold").append(what).append_text(_origin(plan, path)))
            else:
                branch.add(_leaf(plan, path, f.name, item))
    if plan.vary:
        _vary(root, plan)
    return root


def _section_label(plan: Plan, section: str) -> Text:
    text = Text(section, style="bold cyan")
    pos = plan.origins.get(section)
    text.append(f"  line {pos.line}" if pos else "  (not in the spec: all defaults)", style="dim")
    return text


def _origin(plan: Plan, path: str) -> Text:
    from alframe.lang.overrides import overridden

    if path in overridden(plan.spec_text):
        return Text("  ← --set", style="bold green")
    pos = plan.origins.get(path)
    if pos is not None:
        return Text(f"  ← line {pos.line}", style="green")
    derived = DERIVED.get(path)
    return Text(f"  default ({derived})" if derived else "  default", style="dim")


def _leaf(plan: Plan, path: str, label: str, value: Any) -> Text:
    text = Text(f"{label}: ", style="bold")
    text.append(_fmt(value))
    text.append_text(_origin(plan, path))
    return text


def _call(parent: Tree, plan: Plan, registry: Registry, path: str, label: str, call: Call, header: bool = False) -> None:
    kind = KIND_OF.get(path, "")
    comp = registry.get(kind, call.name) if kind else None
    text = Text(f"{label}: ", style="bold cyan" if header else "bold")
    text.append(call.name, style="magenta")
    text.append_text(_origin(plan, path))
    if comp is not None and comp.plugin != "alframe":
        text.append(f"  [{comp.plugin}]", style="yellow")
    node = parent.add(text)
    if comp is not None and comp.help:
        node.add(Text(comp.help, style="dim italic"))
    for name, value in call.args:
        node.add(_leaf(plan, f"{path}.{name}", name, value))


def _stop(parent: Tree, plan: Plan, rules: Any) -> None:
    if not rules:
        parent.add(Text("stop: ", style="bold").append("budget or rounds only").append_text(_origin(plan, "query.stop")))
        return
    for i, rule in enumerate(rules):
        what = f"{rule.metric} ≥ {rule.target:g}" + (" of the ceiling" if rule.of_ceiling else "") \
            + (" estimated from the answers" if rule.estimated else "")
        parent.add(Text("target: ", style="bold").append(what).append_text(_origin(plan, f"query.stop.{i}")))


def _vary(root: Tree, plan: Plan) -> None:
    n = 1
    for axis in plan.vary:
        n *= max(1, len(axis.values))
    branch = root.add(Text(f"vary  {n} setting(s) × repeat {plan.repeat}", style="bold cyan"))
    for axis in plan.vary:
        field = FIELDS.get(axis.path)
        label = Text(f"{axis.key}", style="bold").append(f" ({axis.path})", style="dim")
        label.append_text(_origin(plan, f"vary.{axis.key}"))
        node = branch.add(label)
        if field is not None:
            node.add(Text(field.help, style="dim italic"))
        for i, value in enumerate(axis.values):
            node.add(Text(_fmt(value)).append_text(_origin(plan, f"vary.{axis.key}.{i}")))


def _fmt(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None:
        return "none"
    if isinstance(value, Call):
        return str(value)
    if isinstance(value, tuple):
        if len(value) == 2 and all(isinstance(x, int) and not isinstance(x, bool) for x in value):
            return f"{value[0]}..{value[1]}"
        return ", ".join(_fmt(v) for v in value) if value else "(none)"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
