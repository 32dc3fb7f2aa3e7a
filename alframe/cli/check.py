"""``alframe check SPEC...``: parse and validate specs, reporting every error of every file."""

from __future__ import annotations

import argparse
import glob
import os
from typing import Any

import click

from alframe.cli import base
from alframe.cli.terminal import Terminal
from alframe.errors import SpecError, SpecErrors

DESCRIPTION = """\
Parse and validate each spec against the installed plugins, without reading any data. Every
error is reported as path:line:col: error[CODE]: message, with the source line, a caret under
the offending text, what was expected, and "did you mean ..." for a misspelt name. All errors
of a file are shown, not only the first. Exit status 0 when every spec is valid, 2 otherwise."""

EXAMPLE = """\
examples:
  alframe check specs/*.al
  alframe check specs/                 every .al file in a folder
  alframe check --no-plugins specs/quickstart.al   as if no third-party plugin were installed
  alframe check --data-root /data specs/quickstart.al   allow data paths under /data
"""


@click.command("check", cls=base.Command, short_help="validate specs; every error with file:line:col",
               help=DESCRIPTION, epilog=EXAMPLE)
@base.argument("specs", nargs=-1, required=True, metavar="SPEC...", help=".al files, folders of them, or globs")
@click.option("-q", "--quiet", is_flag=True, help="print errors only, not the valid files")
@base.json_option("one object per spec (path, valid, run name, policy, budget, errors)")
@base.set_option
@base.global_options
@click.pass_context
def command(ctx: click.Context, **params: Any) -> int:
    return base.invoke(ctx, execute, params)


def spec_paths(arguments: list[str]) -> list[str]:
    """Files as given; a folder stands for its ``*.al`` files; an unexpanded glob is expanded."""
    out: list[str] = []
    for arg in arguments:
        if os.path.isdir(arg):
            out.extend(sorted(glob.glob(os.path.join(arg, "*.al"))) or [os.path.join(arg, "*.al")])
        elif not os.path.exists(arg) and glob.has_magic(arg):
            out.extend(sorted(glob.glob(arg)) or [arg])
        else:
            out.append(arg)
    return out


def execute(args: argparse.Namespace, terminal: Terminal) -> int:
    from alframe.cli.common import compile_spec, load_plugins

    plugins = load_plugins(args)
    paths = spec_paths(args.specs)
    bad_files = 0
    n_errors = 0
    as_json = bool(getattr(args, "json", False))
    found: list[dict[str, Any]] = []
    for path in paths:
        try:
            plan = compile_spec(path, plugins, args)
        except (SpecErrors, SpecError) as exc:
            bad_files += 1
            errors = exc.errors if isinstance(exc, SpecErrors) else [exc]
            n_errors += len(errors)
            if as_json:
                found.append({"path": path, "valid": False, "errors": [_error_json(e) for e in errors]})
            else:
                terminal.print_error(exc)
            continue
        if as_json:
            found.append({"path": path, "valid": True, "run": plan.name, "policy": plan.query.policy.name,
                          "budget": plan.query.budget, "settings": _settings(plan), "repeat": plan.repeat,
                          "errors": []})
        elif not args.quiet:
            terminal.success(f"ok  {path}  ({_summary(plan)})")
    if len(paths) > 1 or bad_files:
        summary = f"{len(paths)} spec(s) checked: {len(paths) - bad_files} valid"
        if bad_files:
            summary += f", {bad_files} with {n_errors} error(s)"
        if not as_json:
            (terminal.info if not bad_files else terminal.error)(summary)
    if as_json:
        import json

        print(json.dumps({"specs": found, "valid": len(paths) - bad_files, "invalid": bad_files,
                          "errors": n_errors}, indent=2))
    return 2 if bad_files else 0


def _error_json(err: Any) -> dict[str, Any]:
    """One spec error as JSON: its code, message, where (path, line, column) and the hint."""
    out: dict[str, Any] = {"code": getattr(err, "code", None), "message": getattr(err, "message", str(err))}
    pos = getattr(err, "pos", None)
    for key, value in (("path", getattr(err, "path", None)), ("line", getattr(pos, "line", None)),
                       ("column", getattr(pos, "column", None)), ("hint", getattr(err, "hint", None)),
                       ("expected", getattr(err, "expected", None))):
        if value:
            out[key] = value
    return out


def _settings(plan: Any) -> int:
    n = 1
    for axis in plan.vary:
        n *= max(1, len(axis.values))
    return n


def _summary(plan: Any) -> str:
    """``run NAME, policy P, budget B``; a field a ``vary`` line changes shows its values (the
    spec's own value is then only a default no run uses)."""
    q = plan.query
    varied = {axis.path: axis.values for axis in plan.vary}

    def word(v: Any) -> str:
        return str(getattr(v, "name", v)) if not isinstance(v, int) else f"{v:,}"

    def shown(path: str, key: str, own: str) -> str:
        if path in varied:
            return f"{key} " + " | ".join(word(v) for v in varied[path]) + " (varied)"
        return f"{key} {own}"

    parts = [f"run {plan.name}", shown("query.policy", "policy", q.policy.name),
             shown("query.budget", "budget", f"{q.budget:,}")]
    if plan.vary:
        n = 1
        for axis in plan.vary:
            n *= max(1, len(axis.values))
        parts.append(f"{n} setting(s) × {plan.repeat}")
    return ", ".join(parts)
