"""Text → parse tree, with every syntax error of the file rather than only the first.

The grammar (``spec.lark``, beside this module) is LALR(1), built once on first use. On a syntax
error the parser recovers and goes on, so one run of ``alframe check`` shows all the mistakes
it can tell apart:

- a missing closer is *inserted* when that makes the next token fit (``model { ... query``
  gets its ``}``, ``f(a=1 b=2`` its ``,``);
- otherwise the offending token (or run of bad characters) is *dropped*; further errors on the
  tokens right after a dropped one are the same mistake and are not reported again.

Limits on size, nesting and token count are checked before parsing (:mod:`.limits`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import cast

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from alframe.errors import Pos, SpecError
from alframe.lang import limits, messages

_CLOSERS = {"RBRACE": "}", "RSQB": "]", "RPAR": ")"}
_OPENER_OF = {"RBRACE": "LBRACE", "RSQB": "LSQB", "RPAR": "LPAR"}
_INSERTABLE = ("RBRACE", "RSQB", "RPAR", "COMMA")
_PLACEHOLDERS = {"INT": "0", "NAME": "_", "STRING": '""'}
_GAP = re.compile(r"(?:\s|#[^\n]*)*\Z")
_BAD_RUN = re.compile(r"[^\s{}\[\](),\"#=]*")


@lru_cache(maxsize=1)
def parser() -> Lark:
    """The spec parser, built once per process from the grammar file in this package."""
    return Lark.open_from_package(
        "alframe.lang",
        "spec.lark",
        parser="lalr",
        lexer="contextual",
        propagate_positions=True,
        maybe_placeholders=False,
        cache=False,
    )


@lru_cache(maxsize=1)
def patterns() -> dict[str, str]:
    """Terminal name → literal text, for keywords and punctuation."""
    return {t.name: t.pattern.value for t in parser().terminals if t.pattern.type == "str"}


@dataclass
class ParseResult:
    tree: Tree | None  # None when the parser could not reach the end of the file
    errors: list[SpecError] = field(default_factory=list)
    #: (line, column) of values the parser stood in for while recovering; checks on them
    #: would only repeat a syntax error, so the compiler drops them
    placeholders: set[tuple[int, int]] = field(default_factory=set)


def parse(text: str) -> ParseResult:
    """Parse spec text; errors carry positions but not yet the file's path."""
    limits.check_shape(text)
    recovery = _Recovery(text)
    try:
        tree = parser().parse(text, on_error=recovery.on_error)
    except UnexpectedInput as exc:
        recovery.give_up(exc)
        return ParseResult(None, recovery.errors, recovery.placeholders)
    return ParseResult(tree, recovery.errors, recovery.placeholders)


class _Recovery:
    """The ``on_error`` callback: record the error, repair or skip, say whether to go on."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.errors: list[SpecError] = []
        self.steps = 0
        self.dropped_end = -1  # end offset of the last dropped token or characters
        self.stopped = False
        self.placeholders: set[tuple[int, int]] = set()

    def on_error(self, exc: UnexpectedInput) -> bool:
        self.steps += 1
        if self.steps > limits.MAX_RECOVERIES or len(self.errors) >= limits.MAX_ERRORS:
            self._too_many(exc)
            return False
        if isinstance(exc, UnexpectedCharacters):
            return self._bad_characters(exc)
        if isinstance(exc, UnexpectedToken):
            return self._bad_token(exc)
        return False

    def give_up(self, exc: UnexpectedInput) -> None:
        """The parser stopped (end of file mid-statement, or too many errors)."""
        if self.stopped:
            return
        if isinstance(exc, UnexpectedToken) and exc.token.type == "$END":
            if not self._follows_drop(len(self.text)):
                self._end_of_file(exc, fixable=False)
        elif not self.errors:
            self.errors.append(SpecError(str(exc).splitlines()[0], code="E102"))

    # -- characters no token starts with --------------------------------------------------

    def _bad_characters(self, exc: UnexpectedCharacters) -> bool:
        start = cast(int, exc.pos_in_stream)  # always set for UnexpectedCharacters
        char = self.text[start]
        if char == '"':
            end = self.text.find("\n", start)
            end = len(self.text) if end < 0 else end
            error = SpecError(
                "unterminated string: a string must end with '\"' on the same line",
                code="E105",
                pos=Pos(exc.line, exc.column, exc.line, exc.column + 1),
            )
        else:
            end = start + 1 + _BAD_RUN.match(self.text, start + 1).end() - (start + 1)  # type: ignore[union-attr]  # the pattern matches the empty string too
            shown = char if char.isprintable() else repr(char)
            error = SpecError(
                f"unexpected character '{shown}'",
                code="E101",
                pos=Pos(exc.line, exc.column, exc.line, exc.column + 1),
                expected=self._expected(exc.interactive_parser.accepts()),
                hint=messages.char_hint(char),
            )
        if not self._follows_drop(start):
            self.errors.append(error)
        self.dropped_end = end
        ip = exc.interactive_parser
        ip.lexer_thread.state.line_ctr.feed(self.text[start:end])  # type: ignore[union-attr]  # set while lexing
        self._stand_in(ip, exc.line, exc.column, start)
        return True

    def _stand_in(self, ip: object, line: int, column: int, offset: int) -> None:
        """Where a value was expected, let the skipped characters count as one (a placeholder),
        so that the next word is read as the statement it starts, not as that value."""
        accepts = ip.accepts()  # type: ignore[attr-defined]
        for kind in ("STRING", "NAME", "INT"):
            if kind in accepts:
                at = Token(
                    kind, _PLACEHOLDERS[kind], start_pos=offset, line=line, column=column,
                    end_line=line, end_column=column + 1, end_pos=offset + 1,
                )
                ip.feed_token(at)  # type: ignore[attr-defined]
                self.placeholders.add((line, column))
                return

    # -- a token that does not fit here ---------------------------------------------------

    def _bad_token(self, exc: UnexpectedToken) -> bool:
        tok = exc.token
        ip = exc.interactive_parser
        accepts = ip.accepts()
        if tok.type == "$END":
            return self._end_of_file(exc, fixable=True)
        if self._try_insert(exc, accepts) is not None:
            return True
        repeated = self._follows_drop(tok.start_pos)
        if not repeated:
            pats = patterns()
            self.errors.append(
                SpecError(
                    f"unexpected {messages.describe_token(tok, pats)}",
                    code="E102",
                    pos=_token_pos(tok),
                    expected=self._expected(accepts),
                    hint=messages.word_hint(tok, accepts, pats),
                )
            )
        if self._try_placeholder(exc, accepts):
            return True
        self.dropped_end = tok.end_pos if tok.end_pos is not None else tok.start_pos + len(tok)
        return True  # Lark goes on with the next token: this one is dropped

    def _try_placeholder(self, exc: UnexpectedToken, accepts: set[str]) -> bool:
        """Resynchronise at a statement word or closer by standing in for the missing value.

        ``epochs }`` or ``seed x  repeat 3``: a placeholder value lets the next statement parse,
        so its own mistakes are reported too. Checks on the placeholder are not reported
        (``ParseResult.placeholders`` lists where they stand).
        """
        tok = exc.token
        word = patterns().get(tok.type)
        if word is None or not (word.isidentifier() or tok.type in _CLOSERS):
            return False
        ip = exc.interactive_parser
        for kind in _PLACEHOLDERS:
            if kind not in accepts:
                continue
            trial = ip.copy()
            trial.feed_token(Token.new_borrow_pos(kind, _PLACEHOLDERS[kind], tok))
            if tok.type in trial.accepts():
                ip.feed_token(Token.new_borrow_pos(kind, _PLACEHOLDERS[kind], tok))
                ip.feed_token(tok)
                self.placeholders.add((tok.line, tok.column))
                return True
        return False

    def _try_insert(self, exc: UnexpectedToken, accepts: set[str]) -> str | None:
        """Insert one missing closer or comma if the offending token then fits."""
        tok = exc.token
        ip = exc.interactive_parser
        for kind in _INSERTABLE:
            if kind not in accepts:
                continue
            trial = ip.copy()
            trial.feed_token(_synthetic(kind, tok))
            if tok.type not in trial.accepts():
                continue
            text = patterns()[kind]
            self.errors.append(
                SpecError(
                    f"expected '{text}' before {messages.describe_token(tok, patterns())}",
                    code="E103",
                    pos=_token_pos(tok),
                    hint=self._opener_hint(ip, kind),
                )
            )
            ip.feed_token(_synthetic(kind, tok))
            ip.feed_token(tok)
            return kind
        return None

    def _end_of_file(self, exc: UnexpectedToken, *, fixable: bool) -> bool:
        """Close what is open at the end of the file, standing in for a missing last value."""
        ip = exc.interactive_parser
        accepts = ip.accepts()
        closers = [k for k in _CLOSERS if k in accepts]
        if not self._follows_drop(len(self.text)) and not any(e.code == "E104" for e in self.errors):
            if closers:
                message = f"unexpected end of file: expected '{_CLOSERS[closers[0]]}'"
                hint = self._opener_hint(ip, closers[0])
                expected = None
            else:
                message, hint = "unexpected end of file: the last statement is not finished", None
                expected = self._expected(accepts)
            self.errors.append(
                SpecError(message, code="E104", pos=self._eof_pos(), hint=hint, expected=expected)
            )
        if fixable and self._complete(ip, exc.token):
            return True
        self.stopped = True
        return False

    def _complete(self, ip: object, at: Token) -> bool:
        """Feed closers (and a placeholder value where one is missing) until the end fits."""
        for _ in range(limits.MAX_DEPTH + 2):
            accepts = ip.accepts()  # type: ignore[attr-defined]
            if "$END" in accepts:
                return True
            kind = next((k for k in _CLOSERS if k in accepts), None)
            if kind is not None:
                ip.feed_token(_synthetic(kind, at))  # type: ignore[attr-defined]
                continue
            kind = next((k for k in _PLACEHOLDERS if k in accepts), None)
            if kind is None:
                return False
            ip.feed_token(Token.new_borrow_pos(kind, _PLACEHOLDERS[kind], at))  # type: ignore[attr-defined]
            self.placeholders.add((at.line, at.column))  # type: ignore[arg-type]  # parsed tokens carry a position
        return False

    # -- helpers --------------------------------------------------------------------------

    def _follows_drop(self, offset: int) -> bool:
        """True when only blanks and comments lie between the last dropped text and here."""
        if self.dropped_end < 0 or offset < self.dropped_end:
            return False
        return _GAP.match(self.text, self.dropped_end, offset) is not None

    def _expected(self, terminals: set[str] | frozenset[str]) -> list[str]:
        return messages.describe_expected(set(terminals), patterns())

    def _opener_hint(self, ip: object, kind: str) -> str | None:
        opener = _OPENER_OF.get(kind)
        if opener is None:
            return None
        for item in reversed(ip.parser_state.value_stack):  # type: ignore[attr-defined]
            if isinstance(item, Token) and item.type == opener:
                return f"the '{patterns()[opener]}' at line {item.line}, column {item.column} is not closed"
        return None

    def _eof_pos(self) -> Pos:
        stripped = self.text.rstrip()
        line = stripped.count("\n") + 1
        col = len(stripped) - (stripped.rfind("\n") + 1) + 1
        return Pos(line, col, line, col + 1)

    def _too_many(self, exc: UnexpectedInput) -> None:
        line = getattr(exc, "line", None) or 1
        col = getattr(exc, "column", None) or 1
        self.errors.append(
            SpecError(
                "too many syntax errors; stopped reading here",
                code="E606",
                pos=Pos(line, col, line, col + 1),
            )
        )
        self.stopped = True


def _synthetic(kind: str, at: Token) -> Token:
    return Token.new_borrow_pos(kind, patterns()[kind], at)


def _token_pos(tok: Token) -> Pos:
    line = tok.line or 1
    col = tok.column or 1
    end_line = tok.end_line or line
    end_col = tok.end_column or col + max(1, len(tok))
    return Pos(line, col, end_line, end_col)
