"""Words for parser errors: what a token is, what was expected, and hints for common slips.

Lark reports terminals by internal name (``RBRACE``, ``NAME``); users read ``'}'`` and
"a name". Statement words are described by their text, and a statement written in the wrong
block gets a hint naming the block it belongs to.
"""

from __future__ import annotations

from lark import Token

from alframe.errors import nearest
from alframe.plan import SECTIONS, declared

_GENERIC = {
    "NAME": "a name",
    "INT": "an integer",
    "FLOAT": "a number",
    "STRING": 'a quoted string ("...")',
    "NEG": "'-'",
    "$END": "end of file",
}
_HIDDEN = {"DOTTED", "CODEREF", "COMMENT", "_CARET", "_DOTDOT"}

#: blocks whose words get no "belongs in" hint: cost's ``item`` and ``cell`` are also common
#: values (``unit item``), so a misplaced one is more often something else
UNHINTED = ("cost",)


def _words() -> tuple[dict[str, str], list[str]]:
    """Statement word → the one block it belongs to (for "'epochs' belongs in train { ... }"),
    from the settings the plan declares; and the words that start a top-level statement. A word
    of two blocks (``batch``) or also of the top level (``seed``) gets no block hint."""
    blocks: dict[str, set[str]] = {}
    top: list[str] = []
    for _, block, _, s in declared():
        if block is None:
            top.append(s.word)
        elif s.word != block:
            blocks.setdefault(s.word, set()).add(block)
    top += [b for b in SECTIONS if b not in UNHINTED]
    block_of = {w: min(b) for w, b in blocks.items() if len(b) == 1 and w not in top and min(b) not in UNHINTED}
    return block_of, top


BLOCK_OF, TOP_LEVEL = _words()


def keyword_of(terminal: str, patterns: dict[str, str]) -> str | None:
    """The literal text of a keyword or punctuation terminal, or None for a pattern."""
    return patterns.get(terminal)


def describe_expected(terminals: set[str] | frozenset[str], patterns: dict[str, str]) -> list[str]:
    """Human words for the terminals a parser state accepts: generic ones first, then words."""
    generic = [_GENERIC[t] for t in ("NAME", "INT", "FLOAT", "STRING", "NEG") if t in terminals]
    words = sorted(
        f"'{patterns[t]}'" for t in terminals if t in patterns and t not in _HIDDEN
    )
    tail = [_GENERIC["$END"]] if "$END" in terminals else []
    if "INT" in terminals and "FLOAT" in terminals:
        generic.remove(_GENERIC["INT"])
    if "INT" in terminals or "FLOAT" in terminals:
        words = [w for w in words if w != "'-'"]
        generic = [g for g in generic if g != _GENERIC["NEG"]]
    return generic + words + tail


def describe_token(tok: Token, patterns: dict[str, str]) -> str:
    if tok.type == "$END":
        return "end of file"
    text = str(tok)
    shown = text if len(text) <= 40 else text[:37] + "..."
    if tok.type in ("NAME", "DOTTED", "CODEREF"):
        return f"name '{shown}'"
    if tok.type in ("INT", "FLOAT"):
        return f"number {shown}"
    if tok.type == "STRING":
        return f"string {shown}"
    return f"'{shown}'"


def word_hint(tok: Token, expected: set[str] | frozenset[str], patterns: dict[str, str]) -> str | None:
    """'did you mean …?' for a misspelt statement word, or where a misplaced one belongs."""
    word = str(tok)
    if tok.type == "EQUAL":
        return "a statement takes its value without '=': write `epochs 5`, not `epochs = 5`"
    if tok.type == "NEG":
        return 'quote names that contain "-", e.g. "bf16-mixed" or "implemented-in::c"'
    if tok.type == "$END" or not word.replace("_", "").isalnum():
        return None
    if tok.type == "NAME" and "STRING" in expected and "NAME" not in expected:
        return f'this takes a quoted string: "{word}"; quote names with ":" or "-" too, e.g. "role::program"'
    options = [patterns[t] for t in expected if t in patterns and patterns[t].isidentifier()]
    if word in BLOCK_OF and word not in options:
        return f"'{word}' goes inside the braces of {BLOCK_OF[word]} {{ ... }}"
    if word in TOP_LEVEL and word not in options:
        return f"'{word}' starts a top-level statement; is a '}}' missing before it?"
    guess = nearest(word, options)
    if guess and guess != word:
        return f"did you mean '{guess}'?"
    return None


def char_hint(char: str) -> str | None:
    if char == ":":
        return 'quote names that contain ":", "-" or spaces, e.g. "role::program"'
    if char == "'":
        return 'strings use double quotes: "like this"'
    if char == ";":
        return "statements need no ';': separate them with spaces or new lines"
    if char == "-":
        return 'quote names that contain "-", e.g. "implemented-in::c"'
    return None
