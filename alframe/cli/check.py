"""``alframe check SPEC...``: parse and validate specs, reporting every error of every file."""

from __future__ import annotations

import argparse
import glob
import os
from typing import Any

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
  alframe check --no-plugins spec.al   as if no third-party plugin were installed
  alframe check --data-root /data spec.al   allow data paths under /data
"""


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "check",
        help="validate specs; every error with file:line:col",
        description=DESCRIPTION,
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("specs", nargs="+", metavar="SPEC", help=".al files, folders of them, or globs")
    p.add_argument("-q", "--quiet", action="store_true", help="print errors only, not the valid files")
    from alframe.cli.common import add_set_option

    add_set_option(p)


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
    for path in paths:
        try:
            plan = compile_spec(path, plugins, args)
        except (SpecErrors, SpecError) as exc:
            bad_files += 1
            n_errors += len(exc.errors) if isinstance(exc, SpecErrors) else 1
            terminal.print_error(exc)
            continue
        if not args.quiet:
            terminal.success(f"ok  {path}  ({_summary(plan)})")
    if len(paths) > 1 or bad_files:
        summary = f"{len(paths)} spec(s) checked: {len(paths) - bad_files} valid"
        if bad_files:
            summary += f", {bad_files} with {n_errors} error(s)"
        (terminal.info if not bad_files else terminal.error)(summary)
    return 2 if bad_files else 0


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
