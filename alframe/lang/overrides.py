"""``--set KEY=VALUE``: a value from the command line in place of the spec's.

A key is a plan field as ``alframe explain`` names it (``query.budget``, ``train.lr``,
``model.encoder``, ``ceiling``); the value is written as in the spec (``20000``, ``cosine``,
``hashed_bag(dim=32)``, ``[micro_f1, macro_f1]``). The override is applied to the spec's text —
the value replaces the one written there, or the statement is added to its block (the block to
the end of the file) — and the result is compiled as any spec is, so a value is checked exactly
as in a file. An error in an overridden value points at the option, not at the file::

    --set:1:14: error[E303]: budget must be a whole number …
       1 | query.budget=abc
                        ^^^

The spec a run records (``spec.al``, ``plan.json``) is the text with the override in it and a
closing comment saying which options made it, so a resume with another value (or without the
option) is a changed spec, refused unless ``--force``, as any edit is.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass

from alframe.errors import Pos, SpecError, SpecErrors, UsageError, nearest
from alframe.lang.fields import FIELDS
from alframe.plan import SECTIONS

#: Blocks whose statements ``--set`` can write (``block { keyword value }``).
BLOCKS = tuple(SECTIONS)
#: Statements written at the top level of a spec (``run "NAME"`` is composite: see below).
TOP = tuple(path for path, f in FIELDS.items() if f.block is None and f.setting is not None and f.setting.rule)
#: Fields written together with others, or as a block's head: edit the spec for these.
COMPOSITE = {"name", "data.path", "data.test_fraction", "data.test_seed", "data.test_path", "labels.column",
             "labels.columns", "labels.names", "query.seed_size", "query.seed_policy", "query.stop",
             "weighting.threshold", "vary"}
WHERE = "--set"


def settable() -> list[str]:
    """Every key ``--set`` accepts, in the order ``alframe explain`` shows them."""
    return [p for p in FIELDS if p not in COMPOSITE and (p in TOP or p.split(".")[0] in BLOCKS)]


@dataclass
class Override:
    key: str
    value: str
    option: str  # as typed: ``query.budget=20000``

    @property
    def value_column(self) -> int:
        """1-based column of the value in ``option``."""
        return len(self.option) - len(self.value) + 1


def parse_overrides(options: Sequence[str]) -> list[Override]:
    """``KEY=VALUE`` options, keys checked against the fields ``--set`` can write."""
    out: list[Override] = []
    keys = settable()
    for option in options:
        key, eq, value = option.partition("=")
        key, value = key.strip(), value.strip()
        if not eq or not key or not value:
            raise UsageError(f"--set {option!r}: write KEY=VALUE, e.g. --set query.budget=20000", code="X303",
                             hint="the keys are the names `alframe explain SPEC` shows")
        if key not in keys:
            if key in COMPOSITE:
                raise UsageError(f"--set {key}: this value is written together with others in the spec "
                                 f"({FIELDS[key].syntax}); edit the spec for it", code="X303")
            guess = nearest(key, keys) or nearest(key.rpartition(".")[2], [k.rpartition(".")[2] for k in keys])
            hint = f"did you mean {next((k for k in keys if k == guess or k.endswith('.' + str(guess))), guess)}? " \
                if guess else ""
            raise UsageError(f"--set {key}: no such setting", code="X303",
                             hint=f"{hint}keys are the names `alframe explain SPEC` shows: {', '.join(keys)}")
        if any(o.key == key for o in out):
            raise UsageError(f"--set {key} is given twice", code="X303", hint="give each key once")
        out.append(Override(key, value, option.strip()))
    return out


@dataclass
class _Edit:
    override: Override
    start: int  # offset of the value in the new text
    end: int


def _offset(text: str, line: int, column: int) -> int:
    lines = text.split("\n")
    return sum(len(s) + 1 for s in lines[: line - 1]) + column - 1


def apply_overrides(text: str, origins: dict[str, Pos], overrides: Sequence[Override]) -> tuple[str, list[_Edit]]:
    """The spec text with each override in it, and where each value now stands."""
    edits: list[tuple[int, int, str, Override]] = []  # (start, end, replacement, override) on the original text
    appended: list[Override] = []
    for o in overrides:
        pos = origins.get(o.key)
        keyword = FIELDS[o.key].word
        if pos is not None and pos.end_line is not None and pos.end_column is not None:
            start = _offset(text, pos.line, pos.column)
            edits.append((start, _offset(text, pos.end_line, pos.end_column), o.value, o))
            continue
        block = o.key.split(".")[0]
        head = origins.get(block) if block in BLOCKS else None
        brace = text.find("{", _offset(text, head.line, head.column)) if head is not None else -1
        if brace >= 0:
            edits.append((brace + 1, brace + 1, f" {keyword} {o.value} ", o))
        elif o.key == "seed":
            raise UsageError("--set seed: the spec writes no seed to replace; write `run \"NAME\" seed N`",
                             code="X303")
        else:
            appended.append(o)
    out, cursor, placed = [], 0, []
    length = 0
    for start, end, replacement, o in sorted(edits, key=lambda e: e[0]):
        out.append(text[cursor:start])
        length += start - cursor
        lead = len(replacement) - len(replacement.lstrip(" "))
        if replacement.startswith(" "):  # an inserted statement: " keyword value "
            lead = len(replacement) - len(replacement.lstrip(" ")) + len(replacement.strip().split(" ", 1)[0]) + 1
        placed.append(_Edit(o, length + lead, length + lead + len(o.value)))
        out.append(replacement)
        length += len(replacement)
        cursor = end
    out.append(text[cursor:])
    new = "".join(out)
    if not new.endswith("\n"):
        new += "\n"
    blocks: dict[str, list[Override]] = {}  # a block the spec lacks is written once, with all its keys
    for o in appended:
        blocks.setdefault(o.key if o.key in TOP else o.key.split(".")[0], []).append(o)
    for block, group in blocks.items():
        line = "" if group[0].key in TOP else f"{block} {{"
        for o in group:
            keyword = FIELDS[o.key].word
            line += f"{' ' if line else ''}{keyword} "
            start = len(new) + len(line)
            placed.append(_Edit(o, start, start + len(o.value)))
            line += o.value
        new += line + ("" if group[0].key in TOP else " }") + "\n"
    new += MARK + " ".join(f"--set {o.option}" for o in overrides) + "\n"
    return new, placed


def relocate(errors: list[SpecError], new_text: str, edits: list[_Edit]) -> list[SpecError]:
    """Errors inside an overridden value point at the option; the others stay in the file."""
    out = []
    for e in errors:
        hit = None
        if e.pos is not None:
            at = _offset(new_text, e.pos.line, e.pos.column)
            hit = next((x for x in edits if x.start <= at <= x.end), None)
        if hit is None:
            out.append(e)
            continue
        o = hit.override
        col = o.value_column + (at - hit.start)
        width = None
        if e.pos is not None and e.pos.end_line == e.pos.line and e.pos.end_column is not None:
            width = e.pos.end_column - e.pos.column
        end = min(len(o.option) + 1, col + (width or len(o.value)))
        moved = SpecError(e.message, code=e.code, path=WHERE, pos=Pos(1, col, 1, max(end, col + 1)), source=o.option,
                          hint=e.hint, expected=e.expected)
        out.append(moved)
    return out


def compile_with_overrides(path: str | os.PathLike[str], registry: object, options: Sequence[str], *,
                           root: str | os.PathLike[str] | None = None) -> object:
    """Compile the spec at ``path`` with ``--set`` options applied (see the module's text)."""
    from alframe.compile import compile_text, read_spec

    overrides = parse_overrides(options)
    text = read_spec(path)
    plan = compile_text(text, path, registry, root=root)  # type: ignore[arg-type]
    if not overrides:
        return plan
    new, edits = apply_overrides(text, dict(plan.origins), overrides)
    try:
        return compile_text(new, path, registry, root=root)  # type: ignore[arg-type]
    except SpecErrors as exc:
        raise SpecErrors(relocate(list(exc.errors), new, edits)) from None


MARK = "# set on the command line: "


def overridden(spec_text: str | None) -> dict[str, str]:
    """The keys a spec's text was given by ``--set`` (from its closing comment), with values."""
    if not spec_text:
        return {}
    last = spec_text.rstrip("\n").rpartition("\n")[2]
    if not last.startswith(MARK):
        return {}
    out = {}
    for part in last[len(MARK):].split("--set ")[1:]:
        key, _, value = part.strip().partition("=")
        out[key] = value
    return out
