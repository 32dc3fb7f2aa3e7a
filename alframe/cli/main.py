"""The ``alframe`` command: global options, one module per subcommand, clean failures.

Each command lives in ``alframe/cli/<module>.py`` and exposes ``add_parser(subparsers)`` and
``execute(args, terminal) -> int``; :data:`COMMANDS` lists them in the order ``--help`` shows.
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

from alframe.cli.terminal import Terminal
from alframe.errors import AlframeError
from alframe.fsutil import storage_error

#: command modules under alframe/cli/, in --help order
COMMANDS: list[str] = ["run", "check", "explain", "plugins_cmd", "compare", "report", "answer", "status", "export"]

EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 70

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


def _add_global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """The same options before or after the command name (``alframe -p x check`` or
    ``alframe check -p x``); after it they must not reset what was given before."""
    default: Any = None if top else argparse.SUPPRESS
    g = parser.add_argument_group("global options")
    g.add_argument("--debug", action="store_true", default=False if top else argparse.SUPPRESS,
                   help="show the traceback of any error")
    g.add_argument("--no-plugins", action="store_true", default=False if top else argparse.SUPPRESS,
                   help="do not autoload third-party plugins (env ALFRAME_DISABLE_PLUGIN_AUTOLOAD=1)")
    g.add_argument("-p", "--plugin", action="append", metavar="NAME", default=default,
                   help="load this plugin even with autoload off (repeatable; env ALFRAME_PLUGINS)")
    g.add_argument("--data-root", metavar="DIR", default=default,
                   help="folder the spec's data paths may use (default: the spec's folder)")


def command_modules() -> list[ModuleType]:
    return [importlib.import_module(f"alframe.cli.{name}") for name in COMMANDS]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="alframe",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"alframe {_version()}")
    _add_global_options(parser, top=True)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for module in command_modules():
        before = set(subparsers.choices)
        module.add_parser(subparsers)
        for name in set(subparsers.choices) - before:
            sub = subparsers.choices[name]
            sub.set_defaults(_module=module)
            _add_global_options(sub, top=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, usage errors
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    terminal = Terminal(debug=args.debug)
    module = getattr(args, "_module", None)
    if module is None:
        parser.print_help()
        return 2
    return run_command(module, args, terminal)


def run_command(module: ModuleType, args: argparse.Namespace, terminal: Terminal) -> int:
    try:
        return int(module.execute(args, terminal) or 0)
    except AlframeError as exc:
        terminal.print_error(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        terminal.error("interrupted")
        return EXIT_INTERRUPTED
    except OSError as exc:
        named = storage_error(exc, exc.filename)  # a full disk or read-only folder, wherever it was met
        if named is None:
            return _internal(exc, args, terminal)
        named.__cause__ = exc
        terminal.print_error(named)  # with --debug, the traceback of the write that failed
        return named.exit_code
    except Exception as exc:  # a bug: one line, the traceback on request
        return _internal(exc, args, terminal)


def _internal(exc: Exception, args: argparse.Namespace, terminal: Terminal) -> int:
    if args.debug:
        terminal.print_traceback(exc)
    terminal.error(f"internal error: {type(exc).__name__}: {exc} (run with --debug for the traceback)")
    return EXIT_INTERNAL


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
