"""The one object that talks to the person at the terminal.

Commands never print directly: they hand renderables and messages to :class:`Terminal`, which
owns the rich consoles (results to stdout, messages and errors to stderr) and decides whether
live displays are appropriate (``interactive``: stdout is a terminal and ``CI`` is not set).
Errors are printed exactly as :meth:`AlframeError.render` wrote them: no markup is interpreted
(a spec line may contain ``[``) and long lines are not wrapped, so carets stay under their text.
"""

from __future__ import annotations

import os
import traceback
from typing import IO, Any

from rich.console import Console
from rich.text import Text

from alframe.errors import AlframeError


class Terminal:
    def __init__(
        self,
        *,
        debug: bool = False,
        stdout: IO[str] | None = None,
        stderr: IO[str] | None = None,
        color: bool | None = None,
    ) -> None:
        no_color = None if color is None else not color
        self.console = Console(file=stdout, highlight=False, no_color=no_color)
        self.err_console = Console(file=stderr, stderr=stderr is None, highlight=False, no_color=no_color)
        self.debug = debug

    @property
    def interactive(self) -> bool:
        """Live displays only for a person watching a terminal, never in CI logs."""
        return self.console.is_terminal and not os.environ.get("CI")

    # ---- results (stdout) -------------------------------------------------------------

    def print(self, *objects: Any, **kwargs: Any) -> None:
        self.console.print(*objects, **kwargs)

    def success(self, message: str) -> None:
        self.console.print(Text(message, style="green"), soft_wrap=True)

    def info(self, message: str) -> None:
        self.console.print(Text(message), soft_wrap=True)

    # ---- messages (stderr) ------------------------------------------------------------

    def warn(self, message: str) -> None:
        self.err_console.print(Text("warning: ", style="yellow bold") + Text(message), soft_wrap=True)

    def error(self, message: str) -> None:
        self.err_console.print(Text("error: ", style="red bold") + Text(message), soft_wrap=True)

    def print_error(self, err: AlframeError) -> None:
        """An expected failure, as its ``render()`` says; the traceback only with --debug."""
        if self.debug:
            self.print_traceback(err)
        text = Text()
        for i, line in enumerate(err.render().splitlines()):
            if i:
                text.append("\n")
            style = "red" if ": error[" in line or line.startswith("error[") else None
            text.append(line, style=style)
        self.err_console.print(text, soft_wrap=True)

    def print_traceback(self, exc: BaseException) -> None:
        lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
        self.err_console.print(Text("".join(lines).rstrip()), soft_wrap=True)
