"""The stable table of spec error codes.

A code names a *kind* of mistake, so scripts and docs can rely on it while the wording of a
message improves. The hundreds group them: E1xx syntax, E2xx unknown names, E3xx arguments,
types and ranges, E4xx contradictions and duplicates, E5xx paths and files, E6xx limits on
hostile input, E7xx code references. ``docs/spec-language.md`` has an entry (a bad example and
the checker's real message) for every code here; a test keeps the two in step.
"""

from __future__ import annotations

#: code → one-line title (what went wrong, in the user's terms)
CODES: dict[str, str] = {
    # syntax
    "E101": "unexpected character",
    "E102": "unexpected word or symbol",
    "E103": "missing closing bracket or comma",
    "E104": "unexpected end of file",
    "E105": "unterminated string",
    "E106": "file is not UTF-8 text",
    "E107": "unknown escape in a string",
    # unknown names
    "E201": "unknown component name",
    "E202": "unknown key for vary",
    "E203": "unknown choice",
    # arguments, types, ranges
    "E301": "unknown argument",
    "E302": "too many positional arguments",
    "E303": "missing required argument",
    "E304": "positional argument after a keyword argument",
    "E305": "argument of the wrong type",
    "E306": "argument out of range",
    "E307": "argument not one of its choices",
    "E310": "value of the wrong type",
    "E311": "value out of range",
    "E312": "missing required statement",
    # contradictions and duplicates
    "E401": "statement given twice",
    "E402": "argument given twice",
    "E403": "seed set larger than the budget",
    "E404": "statements that contradict each other",
    "E405": "target relative to a ceiling that is not computed",
    "E406": "empty or repeated vary values",
    "E410": "seed set larger than the pool",
    # paths and files
    "E501": "path escapes its root",
    "E502": "absolute path outside the root",
    "E503": "symbolic link leads outside the root",
    "E504": "unknown data format",
    "E505": "cannot read the spec file",
    "E506": "cannot read the label file",
    # limits
    "E601": "file too large",
    "E602": "nesting too deep",
    "E603": "number too long or out of range",
    "E604": "string or name too long",
    "E605": "too many tokens",
    "E606": "too many errors",
    # code references
    "E701": "dotted name (looks like a Python attribute)",
    "E702": "module:attribute reference",
    "E703": "double-underscore name",
}


def title(code: str) -> str:
    return CODES.get(code, "error")
