"""The ``alframe`` command: global options, one module per subcommand, clean failures.

The command line is a click group. Each command lives in ``alframe/cli/<module>.py`` and
exposes ``command`` (a :class:`click.Command` declared with :mod:`alframe.cli.base`) and
``execute(args, terminal) -> int``; :data:`COMMANDS` lists them in the order ``--help`` shows;
plugins add commands through the ``alframe_register_commands`` hook.
Expected failures (:class:`~alframe.errors.AlframeError`) print their ``render()`` text and exit
with their own code, never a traceback unless ``--debug``; Ctrl-C exits 130; a write the disk
refused (full, read-only) exits 5 with a named error wherever it happened; anything else is a
bug in alframe or a plugin and exits 70 with one line.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.metadata as md
import signal
import sys
from types import ModuleType
from typing import Any

import click

from alframe.cli import base
from alframe.cli.terminal import Terminal
from alframe.errors import AlframeError, PluginError

#: command modules under alframe/cli/, in --help order
COMMANDS: list[str] = ["run", "check", "explain", "plugins_cmd", "compare", "report", "answer", "status", "export"]

EXIT_INTERRUPTED = base.EXIT_INTERRUPTED
EXIT_INTERNAL = base.EXIT_INTERNAL

DESCRIPTION = """\
Data-efficient deep learning with many binary outputs: declare an active-learning experiment
in a .al spec, check it, and run it."""

EPILOG = """\
examples:
  alframe check specs/*.al           validate specs, every error with line and column
  alframe explain specs/quickstart.al   the compiled plan, every default filled in
  alframe plugins                    installed plugins and the names they register
  alframe run specs/quickstart.al    run (or resume) the experiment
  alframe answer runs/NAME answers.csv   store a person's answers (and corrections) in a run
  alframe status runs/NAME           where a run stands, and the command that continues it
  alframe export runs/NAME --predict --out predictions.csv   the model's labels for every item

environment:
  ALFRAME_DISABLE_PLUGIN_AUTOLOAD=1  load no third-party plugin unless named (like --no-plugins)
  ALFRAME_PLUGINS=a,b                plugins to load when autoload is off (like -p)
  ALFRAME_TRACE_HOOKS=1              print every hook call and its duration to stderr
"""


def _version() -> str:
    try:
        return md.version("alframe")
    except md.PackageNotFoundError:
        return "0+unknown"


class Group(base.Command, click.Group):
    """The ``alframe`` group: built-in commands in :data:`COMMANDS` order, then the commands
    plugins add through the ``alframe_register_commands`` hook (loaded only when a command is
    not a built-in one, or for the help and shell completion)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._plugins_added = False

    def _add_plugin_commands(self, ctx: click.Context) -> None:
        if self._plugins_added:
            return
        self._plugins_added = True
        from alframe.cli.common import load_plugins

        plugins = load_plugins(argparse.Namespace(**ctx.find_root().params))
        built_in = dict(self.commands)
        plugins.hook.alframe_register_commands(cli=self)
        replaced = sorted(name for name, command in built_in.items() if self.commands.get(name) is not command)
        self.commands.update(built_in)
        if replaced:
            raise PluginError(f"a plugin adds a command named {', '.join(map(repr, replaced))}, "
                              "the name of a built-in command; give it another name",
                              hook="alframe_register_commands")

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            self._add_plugin_commands(ctx)
        return self.commands.get(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        try:
            self._add_plugin_commands(ctx)
        except AlframeError:  # a broken plugin does not hide the built-in commands
            pass
        return list(self.commands)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.commands[name]
            if not cmd.hidden:
                rows.append((f"    {name}", cmd.get_short_help_str(limit=200)))
        if rows:
            formatter.write_paragraph()
            formatter.write("commands:\n")
            width = max(len(n) for n, _ in rows) + 2
            for name, text in rows:
                formatter.write(f"{name:<{width}}{text}\n")


def command_modules() -> list[ModuleType]:
    return [importlib.import_module(f"alframe.cli.{name}") for name in COMMANDS]


def build_cli() -> Group:
    """The ``alframe`` click group with every built-in command (a fresh one each call, so the
    commands a plugin adds never outlive the plugins that were loaded)."""

    @click.group("alframe", cls=Group, help=DESCRIPTION, epilog=EPILOG, invoke_without_command=True,
                 context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
    @click.version_option(_version(), "--version", prog_name="alframe", message="%(prog)s %(version)s")
    @base.global_options
    @click.pass_context
    def cli(ctx: click.Context, **params: Any) -> int | None:
        if ctx.invoked_subcommand is None:
            click.echo(ctx.get_help())
            return 2
        return None

    for module in command_modules():
        cli.add_command(module.command)
    return cli


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); return the exit code."""
    cli = build_cli()
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)

    def call() -> Any:
        try:
            return cli.main(args=argv, prog_name="alframe", standalone_mode=False)
        except click.exceptions.Exit as exc:
            return exc.exit_code
        except click.ClickException as exc:  # usage errors: exit 2
            exc.show()
            return exc.exit_code
        except click.Abort:
            raise KeyboardInterrupt from None

    return base.guarded(call, debug, Terminal(debug=debug))


def run_command(module: ModuleType, args: argparse.Namespace, terminal: Terminal) -> int:
    """``module.execute(args, terminal)`` with clean failures (:func:`alframe.cli.base.guarded`)."""
    return base.guarded(lambda: module.execute(args, terminal), bool(getattr(args, "debug", False)), terminal)


def entry() -> None:
    """The ``alframe`` command. Once a run stopped as asked (exit 130), a late Ctrl-C while the
    interpreter shuts down is ignored: it would end the process by SIGINT after the resume
    hint was printed, and a caller would see a crash instead of a clean stop."""
    try:
        code = main()
    except KeyboardInterrupt:
        code = EXIT_INTERRUPTED
    if code == EXIT_INTERRUPTED:
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        except ValueError:  # not the main thread
            pass
    sys.exit(code)


if __name__ == "__main__":
    entry()
