"""Bounds on spec input, checked before anything expensive runs.

LALR parsing is linear, but Lark's transformer recurses once per nesting level, Python's
``int()`` refuses (or crawls through) huge digit strings, and error recovery costs something per
bad token. So a spec that is too large, too deeply nested, or has too many tokens is refused up
front with one clear message, and each literal is bounded when it is converted. Real specs are a
few hundred tokens; these limits are far above that and far below what could hurt.
"""

from __future__ import annotations

import re

from alframe.errors import Pos, SpecError

MAX_FILE_BYTES = 1 << 20  # 1 MiB
MAX_DEPTH = 32  # brackets of any kind: { ( [
MAX_TOKENS = 50_000
MAX_NUMBER_CHARS = 40
MAX_STRING_CHARS = 4096
MAX_NAME_CHARS = 128
MAX_ERRORS = 50  # reported per file
MAX_RECOVERIES = 500  # error-recovery steps (reported or not) before the parser gives up
MAX_INT = (1 << 63) - 1

# Strings and comments first, so brackets inside them do not count.
_SCAN = re.compile(r'"(?:[^"\\\n]|\\[^\n])*"|#[^\n]*|[\[\](){}]')
_TOKENISH = re.compile(r'"(?:[^"\\\n]|\\[^\n])*"|#[^\n]*|[A-Za-z0-9_.:]+|\S')
_OPEN = "([{"


def check_size(n_bytes: int) -> None:
    if n_bytes > MAX_FILE_BYTES:
        raise SpecError(
            f"the file is {n_bytes:,} bytes; a spec may be at most {MAX_FILE_BYTES:,} bytes",
            code="E601",
            hint="a spec describes an experiment; data belongs in the data file it names",
        )


def check_shape(text: str) -> None:
    """Refuse deep nesting and token floods before parsing (linear scans in C)."""
    depth = 0
    for m in _SCAN.finditer(text):
        ch = m.group()
        if len(ch) != 1:
            continue
        if ch in _OPEN:
            depth += 1
            if depth > MAX_DEPTH:
                raise SpecError(
                    f"brackets nest more than {MAX_DEPTH} levels deep",
                    code="E602",
                    pos=_pos_of(text, m.start()),
                )
        else:
            depth = max(0, depth - 1)
    n = 0
    for m in _TOKENISH.finditer(text):
        if not m.group().startswith("#"):
            n += 1
            if n > MAX_TOKENS:
                raise SpecError(
                    f"the file has more than {MAX_TOKENS:,} tokens",
                    code="E605",
                    pos=_pos_of(text, m.start()),
                )


def _pos_of(text: str, offset: int) -> Pos:
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    col = offset - start + 1
    return Pos(line, col, line, col + 1)
