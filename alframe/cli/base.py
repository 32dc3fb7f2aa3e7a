"""What every command of the click command line shares: the global options (before or after the
command name), help printed as written (descriptions and examples keep their line breaks, each
argument keeps its help line), and the one place where failures become exit codes."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

import click

from alframe.errors import AlframeError
from alframe.fsutil import storage_error

EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 70


class Argument(click.Argument):
    """A positional argument with a help line (click's own have none)."""

    def __init__(self, *args: Any, help: str = "", **kwargs: Any) -> None:  # noqa: A002
        self.help_text = help
        super().__init__(*args, **kwargs)


def argument(*decls: str, help: str = "", **kwargs: Any) -> Callable[[Any], Any]:  # noqa: A002
    return click.argument(*decls, cls=Argument, help=help, **kwargs)


def _write_raw(formatter: click.HelpFormatter, text: str) -> None:
    formatter.write_paragraph()
    formatter.write(text.rstrip("\n") + "\n")


class Command(click.Command):
    """A command whose description and examples are printed as written, with an ``arguments``
    section before the options."""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.help:
            _write_raw(formatter, self.help)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(p.make_metavar(ctx), p.help_text) for p in self.get_params(ctx)
                if isinstance(p, Argument) and p.help_text]
        if rows:
            with formatter.section("arguments"):
                formatter.write_dl(rows)
        super().format_options(ctx, formatter)

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        if self.epilog:
            _write_raw(formatter, self.epilog)


GLOBAL_OPTIONS = ("debug", "no_plugins", "plugin", "data_root")


def global_options(f: Any) -> Any:
    """The same options before or after the command name (``alframe -p x check`` or
    ``alframe check -p x``); after it they add to (never reset) what was given before."""
    for option in reversed([
        click.option("--debug", is_flag=True, default=False, help="show the traceback of any error"),
        click.option("--no-plugins", is_flag=True, default=False,
                     help="do not autoload third-party plugins (env ALFRAME_DISABLE_PLUGIN_AUTOLOAD=1)"),
        click.option("-p", "--plugin", multiple=True, metavar="NAME",
                     help="load this plugin even with autoload off (repeatable; env ALFRAME_PLUGINS)"),
        click.option("--data-root", metavar="DIR", default=None,
                     help="folder the spec's data paths may use (default: the spec's folder)"),
    ]):
        f = option(f)
    return f


def set_option(f: Any) -> Any:
    """``--set KEY=VALUE`` (repeatable) on the commands that compile a spec."""
    return click.option("--set", "set", multiple=True, metavar="KEY=VALUE",
                        help="a value in place of the spec's, named as `alframe explain` shows it "
                             "(e.g. --set query.budget=20000; repeatable); recorded in the run")(f)


def json_option(what: str) -> Callable[[Any], Any]:
    return click.option("--json", "json", is_flag=True, help=f"print {what} as JSON on standard output")


def namespace(ctx: click.Context, params: dict[str, Any]) -> argparse.Namespace:
    """The command's values and the global options given before the command name, as the
    ``args`` of a command module's ``execute``; repeatable options and arguments are lists."""
    top = ctx.find_root().params
    values = {k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}
    values["debug"] = bool(top.get("debug")) or bool(values.get("debug"))
    values["no_plugins"] = bool(top.get("no_plugins")) or bool(values.get("no_plugins"))
    plugins = list(top.get("plugin") or ()) + list(values.get("plugin") or ())
    values["plugin"] = plugins or None
    values["data_root"] = values.get("data_root") or top.get("data_root")
    return argparse.Namespace(**values)


def invoke(ctx: click.Context, execute: Callable[[argparse.Namespace, Any], int | None],
           params: dict[str, Any]) -> int:
    """Run a command module's ``execute`` with clean failures (see :func:`guarded`)."""
    from alframe.cli.terminal import Terminal

    args = namespace(ctx, params)
    terminal = Terminal(debug=args.debug)
    return guarded(lambda: execute(args, terminal), args.debug, terminal)


def guarded(call: Callable[[], Any], debug: bool, terminal: Any) -> int:
    """Expected failures (:class:`~alframe.errors.AlframeError`) print their ``render()`` text and
    exit with their own code; Ctrl-C exits 130; a write the disk refused exits 5 with a named
    error; anything else is a bug and exits 70 with one line (the traceback with ``--debug``)."""
    try:
        result = call()
        return int(result or 0) if not isinstance(result, bool) else int(result)
    except AlframeError as exc:
        terminal.print_error(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        terminal.error("interrupted")
        return EXIT_INTERRUPTED
    except OSError as exc:
        named = storage_error(exc, exc.filename)  # a full disk or read-only folder, wherever it was met
        if named is None:
            return _internal(exc, debug, terminal)
        named.__cause__ = exc
        terminal.print_error(named)  # with --debug, the traceback of the write that failed
        return named.exit_code
    except Exception as exc:  # a bug: one line, the traceback on request
        return _internal(exc, debug, terminal)


def _internal(exc: Exception, debug: bool, terminal: Any) -> int:
    if debug:
        terminal.print_traceback(exc)
    terminal.error(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)")
    return EXIT_INTERNAL
