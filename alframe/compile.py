"""Spec → Plan: names resolved against the registry, defaults filled, every value checked.

``compile_file`` / ``compile_text`` run the whole front end (limits, parse, transform, check)
and either return a :class:`~alframe.plan.Plan` or raise :class:`~alframe.errors.SpecErrors`
holding *every* error found in the file, each with its position, sorted by place. Errors that
would only repeat a syntax error (checks on a value the parser stood in for while recovering,
missing statements, contradictions) are left out when the file has syntax errors.

Whether data files exist is not checked here (the loader does that, naming file, row and
field): a spec can be checked before its data is downloaded. Paths are checked to stay inside
their root. Nothing named in a spec is ever imported.

``plan_error`` makes errors found later (once data is loaded) point at the spec line
responsible, through ``Plan.origins``.
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
from pathlib import Path
from typing import Any

from alframe.errors import Pos, SpecError, SpecErrors
from alframe.fsutil import file_kind
from alframe.lang import limits
from alframe.lang.build import build_plan
from alframe.lang.parse import parse
from alframe.lang.transform import transform
from alframe.lang.values import Context
from alframe.plan import Plan
from alframe.registry import Registry

__all__ = ["compile_file", "compile_text", "plan_error"]

#: codes left out when the file also has syntax errors (they would be echoes of them)
_ECHO_CODES = ("E312", "E403", "E404", "E405", "E410")
_LONE_CR = re.compile(r"\r(?!\n)")


def compile_file(path: str | os.PathLike[str], registry: Registry, *, root: str | os.PathLike[str] | None = None) -> Plan:
    """Read and compile a ``.al`` file. Raises :class:`SpecErrors`."""
    text = read_spec(path)
    return compile_text(text, path, registry, root=root)


def read_spec(path: str | os.PathLike[str]) -> str:
    """The text of a spec file: size checked before reading, UTF-8 (a BOM is allowed).

    Only a regular file is read: a named pipe, a device or a socket is refused (E505) without
    waiting for a writer, since it is opened non-blocking and looked at before any read.
    """
    where = str(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(fd, "rb") as fh:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                raise SpecErrors([SpecError(
                    f"cannot read the spec file: it is {file_kind(st.st_mode)}, not a regular file",
                    code="E505", path=where, hint="save the spec to a file and check that",
                )])
            limits.check_size(st.st_size)
            data = fh.read(limits.MAX_FILE_BYTES + 1)
    except SpecError as exc:
        raise SpecErrors([exc.with_context(where, "")]) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise SpecErrors([SpecError(f"cannot read the spec file: {reason}", code="E505", path=where)]) from None
    limits.check_size(len(data))
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        col = len(data[line_start : exc.start].decode("utf-8", "replace")) + 1
        err = SpecError(
            f"the file is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
            code="E106",
            path=where,
            pos=Pos(line, col, line, col + 1),
            source=data.decode("utf-8", "replace"),
            hint="save the spec as UTF-8",
        )
        raise SpecErrors([err]) from None


def compile_text(
    text: str,
    path: str | os.PathLike[str],
    registry: Registry,
    *,
    root: str | os.PathLike[str] | None = None,
) -> Plan:
    """Compile spec text; ``path`` names the file (messages, relative paths, run name).

    :param root: the folder data paths must stay inside (default: the spec's folder).
    :raises SpecErrors: every error of the file.
    """
    where = str(path)
    if "\r" in text:  # old Mac line ends (a lone CR) end lines too, as CRLF does
        text = _LONE_CR.sub("\n", text)
    spec_dir = Path(os.path.abspath(where)).parent
    ctx = Context(registry, spec_dir, Path(os.path.abspath(root)) if root is not None else spec_dir, {})
    try:
        n_bytes = len(text) if len(text) > limits.MAX_FILE_BYTES else len(text.encode("utf-8", "replace"))
        limits.check_size(n_bytes)  # characters ≤ bytes: a text longer in characters is too large
        parsed = parse(text)
    except SpecError as exc:
        raise SpecErrors(_finish([exc], where, text)) from None

    errors = list(parsed.errors)
    ignore = set(parsed.placeholders)
    plan: Plan | None = None
    if parsed.tree is not None:
        spec, found, bad = transform(parsed.tree)
        errors += found
        ignore |= bad
        plan, checked = build_plan(spec, ctx, name=Path(where).stem)
        syntax = any(e.code < "E200" for e in errors)
        errors += [
            e
            for e in checked
            if not (e.pos and (e.pos.line, e.pos.column) in ignore)
            and not (syntax and e.code in _ECHO_CODES)
        ]
    if errors or plan is None:
        raise SpecErrors(_finish(errors, where, text))
    return dataclasses.replace(plan, spec_path=os.path.abspath(where), spec_text=text)


def _finish(errors: list[SpecError], where: str, text: str) -> list[SpecError]:
    """Attach the file, sort by position, and cap the count."""
    for e in errors:
        e.with_context(where, text)  # a long line is shown as a window around the caret
    errors.sort(key=lambda e: (e.pos.line, e.pos.column) if e.pos else (0, 0))
    if len(errors) > limits.MAX_ERRORS + 1:  # + 1: the parser's own "stopped reading here"
        extra = len(errors) - limits.MAX_ERRORS
        errors = errors[: limits.MAX_ERRORS]
        errors.append(
            SpecError(f"{extra} more error(s) not shown", code="E606", path=where, source=text)
        )
    return errors


def plan_error(plan: Plan, field_path: str, message: str, code: str) -> SpecError:
    """A :class:`SpecError` at the spec text that set ``field_path`` (or its nearest parent).

    For checks that need the data, e.g. ``plan_error(plan, "query.batch", "batch 500 is larger
    than the pool of 300 items", "E404")``. A field left at its default points at its block,
    or at no line at all.
    """
    pos: Pos | None = None
    probe = field_path
    while probe:
        pos = plan.origins.get(probe)
        if pos is not None:
            break
        probe = probe.rpartition(".")[0]
    return SpecError(message, code=code, path=plan.spec_path or None, pos=pos, source=plan.spec_text or None)


def seed_too_large(plan: Plan, pool: int) -> SpecError:
    """E410: the seed set is larger than the pool of ``pool`` units (items or cells).

    Refused, not shrunk: a seed set that takes the whole pool leaves the policy nothing to
    choose, and a quietly smaller seed would make runs of one spec on other data incomparable.
    """
    q = plan.query
    err = plan_error(plan, "query.seed_size", f"the seed set ({q.seed_size}) is larger than the pool ({pool} {q.unit}s)", "E410")
    err.hint = (
        f"the pool is what is left after the test split: write seed {pool} or less, "
        "or give the run more data (a larger data limit, a smaller test fraction)"
    )
    return err


def origin_text(plan: Plan, field_path: str) -> str:
    """``"spec.al:12"`` for a value written in the spec, ``"default"`` otherwise."""
    pos: Any = plan.origins.get(field_path)
    if pos is None:
        return "default"
    return f"{Path(plan.spec_path).name or 'spec'}:{pos.line}"
