"""Parse tree → :class:`alframe.spec.Spec`, keeping the position of every value.

Each grammar rule has a handler (a test walks the grammar to make sure). A simple statement
``word value`` (the settings :mod:`alframe.plan` declares with a grammar rule) gets a generated
handler; composite statements have their own. Statements become ``_Item(key, value, pos)``; a
block collects its items into a :class:`~alframe.spec.Block` and reports a statement given twice
(E401). Literals are bounded here, before conversion: a 10^5-digit number is refused
with E603 without ever reaching ``int()``.

Errors are collected, not raised, so that one pass reports all of them; a value that failed its
literal check is replaced by a harmless stand-in whose position is listed in ``self.bad``, and
the compiler does not report anything else about it.
"""

from __future__ import annotations

import builtins
import math
from dataclasses import dataclass
from typing import Any

from lark import Token, Transformer, Tree, v_args
from lark.tree import Meta

from alframe.errors import Pos, SpecError
from alframe.lang import limits
from alframe.plan import SECTIONS, declared
from alframe.spec import (
    REPEATABLE,
    Arg,
    Block,
    CallValue,
    CodeRef,
    ListValue,
    Name,
    NamesFile,
    Number,
    Range,
    SeedSetSpec,
    Spec,
    SplitSpec,
    TargetSpec,
    Text,
    ThresholdSpec,
    VarySpec,
)

_ESCAPES = {'"': '"', "\\": "\\", "n": "\n", "t": "\t"}


@dataclass
class _Item:
    key: str  # the dataclass field it fills
    word: str  # the statement word, for messages
    value: Any
    pos: Pos


def tok_pos(tok: Token) -> Pos:
    line, col = tok.line or 1, tok.column or 1
    return Pos(line, col, tok.end_line or line, tok.end_column or col + max(1, len(tok)))


def _meta_pos(meta: Meta, width: int | None = None) -> Pos | None:
    if meta.empty:
        return None
    if width is not None:
        return Pos(meta.line, meta.column, meta.line, meta.column + width)
    return Pos(meta.line, meta.column, meta.end_line, meta.end_column)


@v_args(meta=True)
class SpecTransformer(Transformer[Token, Spec]):
    """Builds a :class:`Spec`; ``errors`` holds E401/E6xx problems found on the way."""

    def __init__(self) -> None:
        super().__init__(visit_tokens=False)
        self.errors: builtins.list[SpecError] = []
        self.bad: set[tuple[int, int]] = set()

    # ---- tokens ------------------------------------------------------------------------

    def _error(self, message: str, code: str, pos: Pos, hint: str | None = None) -> None:
        self.errors.append(SpecError(message, code=code, pos=pos, hint=hint))
        self.bad.add((pos.line, pos.column))

    def _text(self, tok: Token) -> Text:
        raw = str(tok)
        quoted = raw.startswith('"')
        if quoted:
            raw = raw[1:-1]
        if quoted and "\\" in raw:
            bad = _unknown_escape(raw)
            if bad is not None:
                pos = tok_pos(tok)
                column = pos.column + 1 + bad
                self._error(
                    f"unknown escape '\\{raw[bad + 1 : bad + 2]}' in a string",
                    "E107",
                    Pos(pos.line, column, pos.line, column + 2),
                    hint='the escapes are \\" \\\\ \\n \\t; write \\\\ for a backslash (or / in a path)',
                )
                self.bad.add((pos.line, pos.column))  # no second error about the same string
                return Text(_unescape(raw), pos=pos)
        if len(raw) > limits.MAX_STRING_CHARS:
            self._error(
                f"a string of {len(raw):,} characters; at most {limits.MAX_STRING_CHARS:,} are allowed",
                "E604",
                tok_pos(tok),
            )
            return Text("", pos=tok_pos(tok))
        return Text(_unescape(raw), pos=tok_pos(tok))

    def _name(self, tok: Token) -> Name | CodeRef:
        pos = tok_pos(tok)
        if len(tok) > limits.MAX_NAME_CHARS:
            self._error(
                f"a name of {len(tok):,} characters; at most {limits.MAX_NAME_CHARS} are allowed",
                "E604",
                pos,
            )
            return Name("_", pos=pos)
        if tok.type == "DOTTED":
            return CodeRef(str(tok), "dotted", pos=pos)
        if tok.type == "CODEREF":
            return CodeRef(str(tok), "colon", pos=pos)
        return Name(str(tok), pos=pos)

    def _field(self, tok: Token) -> Text:
        return self._text(tok) if tok.type == "STRING" else Text(str(tok), pos=tok_pos(tok))

    def _int(self, tok: Token, negative: bool = False) -> int | None:
        digits = str(tok).replace("_", "")
        if len(digits) > limits.MAX_NUMBER_CHARS:
            self._error(
                f"a number of {len(digits):,} digits; at most {limits.MAX_NUMBER_CHARS} are allowed",
                "E603",
                tok_pos(tok),
            )
            return None
        value = int(digits)
        return -value if negative else value

    def _value(self, item: Any) -> Any:
        """A value in a list or argument: tokens become nodes, nodes pass through."""
        if isinstance(item, Token):
            if item.type == "STRING":
                return self._text(item)
            return CallValue(self._name(item), pos=tok_pos(item))
        return item

    # ---- numbers, ranges, lists, calls ------------------------------------------------

    def power(self, meta: Meta, children: builtins.list[Token]) -> tuple[int, str] | None:
        base_tok, exp_tok = children
        base, exp = self._int(base_tok), self._int(exp_tok)
        if base is None or exp is None:
            return None
        if exp > 256 or (base > 1 and exp * math.log2(base) > 63):
            self._error(
                f"{base}^{exp} is out of range: larger than 2^63-1", "E603", _meta_pos(meta) or tok_pos(base_tok)
            )
            return None
        return base**exp, f"{base_tok}^{exp_tok}"

    def number(self, meta: Meta, children: builtins.list[Any]) -> Number:
        negative = isinstance(children[0], Token) and children[0].type == "NEG"
        body = children[-1]
        pos = _meta_pos(meta) or Pos(1, 1)
        sign = "-" if negative else ""
        value: int | float | None
        if body is None:  # a power that failed its check
            value, text = None, sign
        elif isinstance(body, tuple):
            value, text = (-body[0] if negative else body[0]), sign + body[1]
        elif body.type == "INT":
            value, text = self._int(body, negative), sign + str(body)
        else:
            value, text = self._float(body, negative), sign + str(body)
        if value is None:
            self.bad.add((pos.line, pos.column))
            return Number(0, text, pos=pos)
        return Number(value, text, pos=pos)

    def _float(self, tok: Token, negative: bool) -> float | None:
        raw = str(tok).replace("_", "")
        if len(raw) > limits.MAX_NUMBER_CHARS:
            self._error(
                f"a number of {len(raw):,} characters; at most {limits.MAX_NUMBER_CHARS} are allowed",
                "E603",
                tok_pos(tok),
            )
            return None
        value = float(raw)
        if not math.isfinite(value):
            self._error(
                f"{raw} is out of range: too large for a number (at most about 1.8e308)", "E603", tok_pos(tok)
            )
            return None
        if value == 0.0 and any(c in "123456789" for c in raw.lower().split("e")[0]):
            self._error(
                f"{raw} is out of range: too small to tell from 0 (the smallest is about 5e-324; "
                "write 0 for zero)",
                "E603",
                tok_pos(tok),
            )
            return None
        return -value if negative else value

    def range(self, meta: Meta, children: builtins.list[Token]) -> Range:
        ints: builtins.list[int] = []
        negative = False
        for tok in children:
            if tok.type == "NEG":
                negative = True
            elif tok.type == "INT":
                ints.append(self._int(tok, negative) or 0)
                negative = False
        return Range(ints[0], ints[1], pos=_meta_pos(meta))

    def list(self, meta: Meta, children: builtins.list[Any]) -> ListValue:
        return ListValue(tuple(self._value(c) for c in children), pos=_meta_pos(meta))

    def kwarg(self, meta: Meta, children: builtins.list[Any]) -> Arg:
        key, value = children
        return Arg(str(key), self._value(value), name_pos=tok_pos(key), pos=_meta_pos(meta))

    def call(self, meta: Meta, children: builtins.list[Any]) -> CallValue:
        head, *rest = children
        args = tuple(
            c if isinstance(c, Arg) else Arg(None, self._value(c), pos=getattr(self._value(c), "pos", None))
            for c in rest
        )
        spans = not meta.empty and meta.end_pos is not None and meta.start_pos is not None
        parens = bool(rest) or (spans and meta.end_pos - meta.start_pos > len(head))
        return CallValue(self._name(head), args, parens=parens, pos=_meta_pos(meta))

    def strings(self, meta: Meta, children: builtins.list[Token]) -> tuple[Text, ...]:
        return tuple(self._text(t) for t in children)

    # ---- statements ------------------------------------------------------------------

    def _item(self, key: str, word: str, value: Any, meta: Meta) -> _Item:
        pos = _meta_pos(meta, len(word)) or Pos(1, 1)
        return _Item(key, word, value, pos)

    def vary(self, meta: Meta, c: builtins.list[Any]) -> _Item:
        spec = VarySpec(self._name(c[0]), c[1], pos=_meta_pos(meta, 4))
        return self._item("vary", "vary", spec, meta)

    # data
    def id_field(self, meta: Meta, c: builtins.list[Token]) -> _Item:
        return self._item("id_field", "id", self._field(c[0]), meta)

    def text_fields(self, meta: Meta, c: builtins.list[Token]) -> _Item:
        return self._item("text_fields", "text", tuple(self._field(t) for t in c), meta)

    def numeric_fields(self, meta: Meta, c: builtins.list[Token]) -> _Item:
        return self._item("numeric_fields", "numeric", tuple(self._field(t) for t in c), meta)

    def test_fraction(self, meta: Meta, c: builtins.list[Any]) -> _Item:
        seed = c[1] if len(c) > 1 else None
        return self._item("test", "test", SplitSpec(fraction=c[0], seed=seed, pos=_meta_pos(meta)), meta)

    def test_file(self, meta: Meta, c: builtins.list[Token]) -> _Item:
        return self._item("test", "test", SplitSpec(file=self._text(c[0]), pos=_meta_pos(meta)), meta)

    def data(self, meta: Meta, c: builtins.list[Any]) -> _Item:
        path_tok, *items = c
        fields = self._collect(items, "data")
        spec = Block("data", _sorted({"path": self._text(path_tok), **fields}), pos=_meta_pos(meta, 4))
        return self._item("data", "data", spec, meta)

    # labels
    def from_list(self, meta: Meta, c: builtins.list[Token]) -> dict[str, Any]:
        return {"source": "list", "column": self._field(c[0])}

    def from_columns(self, meta: Meta, c: builtins.list[Any]) -> dict[str, Any]:
        return {"source": "columns", "columns": c[0]}

    def labels(self, meta: Meta, c: builtins.list[Any]) -> _Item:
        source, *items = c
        fields = self._collect(items, "labels")
        spec = Block("labels", _sorted({**source, **fields}), pos=_meta_pos(meta, 6))
        return self._item("labels", "labels", spec, meta)

    def names_file(self, meta: Meta, c: builtins.list[Token]) -> _Item:
        # the same statement as ``names [...]``: giving both is "names given twice" (E401)
        return self._item("names", "names", NamesFile(path=self._text(c[0]), pos=_meta_pos(meta)), meta)

    def thresholds(self, meta: Meta, c: builtins.list[Any]) -> _Item:
        value = c[1] if len(c) > 1 else None
        spec = ThresholdSpec(self._name(c[0]), value, pos=_meta_pos(meta))
        return self._item("thresholds", "thresholds", spec, meta)

    def seed_set(self, meta: Meta, c: builtins.list[Any]) -> _Item:
        policy = c[1] if len(c) > 1 else None
        return self._item("seed", "seed", SeedSetSpec(c[0], policy, pos=_meta_pos(meta)), meta)

    def target(self, meta: Meta, c: builtins.list[Any]) -> _Item:
        of_ceiling = any(isinstance(t, Token) and t.type == "CEILING" for t in c)
        estimated = any(isinstance(t, Token) and t.type == "ESTIMATED" for t in c)
        spec = TargetSpec(self._name(c[0]), c[1], of_ceiling, estimated, pos=_meta_pos(meta))
        return self._item("targets", "target", spec, meta)

    # ---- blocks ----------------------------------------------------------------------

    def start(self, meta: Meta, c: builtins.list[Any]) -> Spec:
        return Spec("top", _sorted(self._collect(c, "top")), pos=Pos(1, 1, 1, 2))

    def _collect(self, items: builtins.list[Any], block: str) -> dict[str, Any]:
        """Items → dataclass fields; a statement given twice is reported (E401)."""
        fields: dict[str, Any] = {}
        first: dict[Any, _Item] = {}
        repeatable = REPEATABLE
        for item in items:
            if not isinstance(item, _Item):
                continue
            key: Any = item.key
            if item.key in repeatable:
                sub = getattr(item.value, repeatable[item.key])
                key = (item.key, getattr(sub, "value", None) or getattr(sub, "text", None))
                fields[item.key] = fields.get(item.key, ()) + (item.value,)
            if key in first:
                where = "" if block == "top" else f" in {block} {{ ... }}"
                seen = first[key]
                label = item.word if not isinstance(key, tuple) else f"{item.word} {key[1]}"
                self._error(
                    f"'{label}' is given twice{where} (first at line {seen.pos.line})",
                    "E401",
                    item.pos,
                    hint="remove one of them" if item.key != "vary" else "give all values in one list",
                )
                if item.key in repeatable:
                    fields[item.key] = fields[item.key][:-1]
                continue
            first[key] = item
            if item.key not in repeatable:
                fields[item.key] = item.value
        return fields

    def __default__(self, data: str, children: builtins.list[Any], meta: Meta) -> Any:
        raise NotImplementedError(f"no handler for grammar rule {data!r}")


def _simple(word: str) -> Any:
    """The handler of a simple statement ``word value``: the value as the transformer already
    built it (a number, call, list or strings), a bare token as a name or a quoted string."""

    def handler(self: SpecTransformer, meta: Meta, c: builtins.list[Any]) -> _Item:
        value = c[0]
        if isinstance(value, Token):
            value = self._text(value) if value.type == "STRING" else self._name(value)
        return self._item(word, word, value, meta)

    handler.__name__ = word
    return handler


def _block(word: str) -> Any:
    """The handler of a block ``word { ... }``: its statements, each given once."""

    def handler(self: SpecTransformer, meta: Meta, c: builtins.list[Any]) -> _Item:
        block = Block(word, _sorted(self._collect(c, word)), pos=_meta_pos(meta, len(word)))
        return self._item(word, word, block, meta)

    handler.__name__ = word
    return handler


def _sorted(fields: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted(fields.items()))


def _add_handlers() -> None:
    """A handler for each declared simple statement's grammar rule (the rule's name, e.g.
    ``epochs`` or ``cost_item``; ``batch`` serves train and query) and for each block but the
    two with a head (``data "FILE"``, ``labels from "F"``)."""
    words: dict[str, str] = {}
    for path, _, _, s in declared():
        if s.rule is None:
            continue
        if words.setdefault(s.rule, s.word) != s.word:
            raise TypeError(f"grammar rule {s.rule!r} of {path} is declared with two words")
        if s.rule not in SpecTransformer.__dict__:
            setattr(SpecTransformer, s.rule, v_args(meta=True)(_simple(s.word)))
    for word in SECTIONS:
        if word not in SpecTransformer.__dict__:
            setattr(SpecTransformer, word, v_args(meta=True)(_block(word)))


_add_handlers()


def _unknown_escape(raw: str) -> int | None:
    """Index of the first backslash in ``raw`` that starts no known escape (None: all known)."""
    i = raw.find("\\")
    while i >= 0:
        if i + 1 >= len(raw) or raw[i + 1] not in _ESCAPES:
            return i
        i = raw.find("\\", i + 2)
    return None


def _unescape(raw: str) -> str:
    if "\\" not in raw:
        return raw
    out: list[str] = []
    i = 0
    while i < len(raw):
        ch = raw[i]
        if ch == "\\" and i + 1 < len(raw) and raw[i + 1] in _ESCAPES:
            out.append(_ESCAPES[raw[i + 1]])
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def transform(tree: Tree) -> tuple[Spec, list[SpecError], set[tuple[int, int]]]:
    """The :class:`Spec` of a parse tree, with the errors found and the positions to ignore."""
    t = SpecTransformer()
    spec = t.transform(tree)
    return spec, t.errors, t.bad
