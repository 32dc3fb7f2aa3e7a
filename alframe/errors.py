"""Domain errors.

Every error a user can cause is an :class:`AlframeError`. The command line prints its
``render()`` text and exits with its ``exit_code``; it never shows a traceback for one (unless
``--debug``). Errors carry where they happened (spec file:line:col, or data file/row/field) so
the message can point at the exact place.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class AlframeError(Exception):
    """Base of every expected failure; ``render()`` is what the user reads."""

    exit_code = 1
    code = "E000"

    def render(self) -> str:
        return f"error[{self.code}]: {self}"


@dataclass(frozen=True)
class Pos:
    """A place in a spec file (1-based line and column)."""

    line: int
    column: int
    end_line: int | None = None
    end_column: int | None = None

    def __str__(self) -> str:
        return f"{self.line}:{self.column}"


class SpecError(AlframeError):
    """A problem in a ``.al`` file, shown as ``path:line:col: error[CODE]: message``.

    ``source`` is the text of the file (for the caret line); ``hint`` is e.g. "did you mean
    'uncertainty'?".
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        code: str = "E100",
        path: str | Path | None = None,
        pos: Pos | None = None,
        source: str | None = None,
        hint: str | None = None,
        expected: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.path = str(path) if path is not None else None
        self.pos = pos
        self.source = source
        self.hint = hint
        self.expected = expected

    def with_context(self, path: str | Path, source: str) -> SpecError:
        """Attach the file (errors raised deep in validation know only a position)."""
        if self.path is None:
            self.path = str(path)
        if self.source is None:
            self.source = source
        return self

    def render(self) -> str:
        where = self.path or "<spec>"
        if self.pos is not None:
            where += f":{self.pos.line}:{self.pos.column}"
        out = [f"{where}: error[{self.code}]: {self.message}"]
        if self.pos is not None and self.source:
            line = source_line(self.source, self.pos.line)
            if line is not None:
                out.extend(_caret_lines(line, self.pos))
        if self.expected:
            out.append("  expected: " + ", ".join(self.expected))
        if self.hint:
            out.append(f"  hint: {self.hint}")
        return "\n".join(out)


def source_line(source: str, line: int) -> str | None:
    """Line ``line`` (1-based) of a spec as the parser counts lines: only ``\n`` ends one (a
    CRLF's ``\r`` is dropped), not ``\f``, ``\v``, U+2028 or the other characters Python's
    ``splitlines`` also splits at, which would show a line other than the one meant."""
    start = 0
    for _ in range(line - 1):
        start = source.find("\n", start) + 1
        if start == 0:
            return None
    end = source.find("\n", start)
    text = source[start:] if end < 0 else source[start:end]
    return text[:-1] if text.endswith("\r") else text


def _shown(text: str) -> str:
    """A source line as printed under the message: a tab or control character becomes one
    space, so the caret stays under its column and no character breaks the line on screen."""
    return "".join(" " if ord(c) < 32 or c in "\x7f\x85\u2028\u2029" else c for c in text)


def _caret_lines(text: str, pos: Pos, window: int = 100) -> list[str]:
    """The source line and a caret under the offending text; a long line is cut to a window
    around the column (``…`` marks the cuts) so the caret stays on screen, however far along
    the line the column is."""
    width = 1
    if pos.end_line == pos.line and pos.end_column:
        width = max(1, pos.end_column - pos.column)
    col = pos.column - 1
    start = max(0, col - window // 2) if len(text) > window else 0
    shown = _shown(text[start : start + window])
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + window < len(text) else ""
    gutter = f"{pos.line:>4} | "
    caret_at = len(gutter) + len(prefix) + (col - start)
    return [gutter + prefix + shown + suffix, " " * caret_at + "^" * min(width, window - (col - start), 80)]


class SpecErrors(AlframeError):
    """Several errors of one file, reported together."""

    exit_code = 2
    code = "E100"

    def __init__(self, errors: list[SpecError]) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors

    def render(self) -> str:
        return "\n".join(e.render() for e in self.errors)


class DataError(AlframeError):
    """A problem in a data or answers file: names the file, row and field."""

    exit_code = 3
    code = "D100"

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        row: int | None = None,
        field: str | None = None,
        code: str = "D100",
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.row = row
        self.field = field
        self.code = code
        self.hint = hint

    def render(self) -> str:
        where = []
        if self.path:
            where.append(self.path)
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.field is not None:
            where.append(f"field '{self.field}'")
        prefix = (", ".join(where) + ": ") if where else ""
        text = f"{prefix}error[{self.code}]: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class DataErrors(DataError):
    """Every problem found in the rows of one file (up to a cap), reported together, each with
    its row, field and own code. Behaves as its first problem for code that catches one
    :class:`DataError` (``code``, ``row``, ``field``, ``message``)."""

    def __init__(self, problems: list[DataError], more: int = 0) -> None:
        first = problems[0]
        super().__init__(first.message, path=first.path, row=first.row, field=first.field, code=first.code,
                         hint=first.hint)
        self.problems = problems
        self.more = more  # problems found past the cap, not listed

    def render(self) -> str:
        out = [p.render() for p in self.problems]
        if len(self.problems) > 1 or self.more:
            found = len(self.problems) + self.more
            tail = f" (the first {len(self.problems)} shown; reading stopped there)" if self.more else ""
            out.append(f"{found} problem(s) in {self.path}{tail}")
        return "\n".join(out)


class PluginError(AlframeError):
    """A plugin misbehaved: names the plugin (distribution) and the hook."""

    exit_code = 4
    code = "P100"

    def __init__(self, message: str, *, plugin: str | None = None, hook: str | None = None) -> None:
        super().__init__(message)
        self.plugin = plugin
        self.hook = hook

    def render(self) -> str:
        who = []
        if self.plugin:
            who.append(f"plugin '{self.plugin}'")
        if self.hook:
            who.append(f"hook '{self.hook}'")
        prefix = (" in " + ", ".join(who)) if who else ""
        return f"error[{self.code}]{prefix}: {self}"


class RunError(AlframeError):
    """The run folder or run state refuses an action (in use, changed spec, disk full)."""

    exit_code = 5
    code = "R100"

    def __init__(self, message: str, *, code: str = "R100", hint: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.hint = hint

    def render(self) -> str:
        text = f"error[{self.code}]: {self}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


class UsageError(RunError):
    """A command-line option the command cannot use (a report target on an unknown metric):
    the command line is wrong, as with a usage error, so the exit status is 2."""

    exit_code = 2


def nearest(name: str, candidates: list[str] | tuple[str, ...]) -> str | None:
    """The closest known name, for "did you mean …?" (None when nothing is close)."""
    import difflib

    found = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return found[0] if found else None
