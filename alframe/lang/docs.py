"""Generated parts of the docs: the statement table and the error reference of
``docs/spec-language.md``, and the hook reference of ``docs/plugins.md``.

Both are produced from the code itself (:data:`alframe.lang.fields.FIELDS`, the defaults of a
compiled plan, :data:`alframe.lang.examples.EXAMPLES` run through the real checker), so the
docs cannot drift from what ``alframe check`` does: ``tests/test_docs.py`` regenerates them and
fails when a file differs. Rewrite them (from the repository root) with::

    python -m alframe.lang.docs
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from alframe.compile import compile_file, compile_text, seed_too_large
from alframe.errors import SpecErrors
from alframe.lang.codes import CODES
from alframe.lang.examples import EXAMPLES, HEAD, Example
from alframe.lang.fields import FIELDS
from alframe.registry import Registry

BEGIN = "<!-- generated: {name} (python -m alframe.lang.docs) -->"
END = "<!-- end generated: {name} -->"
SPEC_NAME = "spec.al"


def builtin_registry() -> Registry:
    """The built-in components alone, so the docs do not depend on what else is installed."""
    from alframe.plugins import load

    registry = load(autoload=False).registry
    registry.unloaded = ()
    return registry


# ---- errors -----------------------------------------------------------------------------


def render_example(ex: Example, registry: Registry) -> str:
    """What the checker prints for ``ex`` (temporary folders shown as ``spec.al``'s folder)."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "specs"
        folder.mkdir()
        spec = folder / SPEC_NAME
        text = _special_input(ex, spec, Path(tmp))
        try:
            if ex.special == "plan_error":
                spec.write_text(ex.text)
                plan = compile_file(spec, registry)
                return _clean(seed_too_large(plan, 300).render(), spec, Path(tmp))
            if text is not None:
                compile_text(text, SPEC_NAME, registry)
            else:
                compile_file(spec, registry)
        except SpecErrors as exc:
            return _clean(exc.render(), spec, Path(tmp))
    raise AssertionError(f"example for {ex.code} compiles without error")


def _clean(text: str, spec: Path, tmp: Path) -> str:
    """Temporary paths replaced by the names the example's note uses."""
    elsewhere = os.path.realpath(tmp / "elsewhere")
    return text.replace(str(spec), SPEC_NAME).replace(elsewhere, "/srv/elsewhere")


def _special_input(ex: Example, spec: Path, tmp: Path) -> str | None:
    """Write the example's input; return the text to compile directly, or None for the file."""
    if ex.special == "latin-1":
        spec.write_bytes(ex.text.encode("latin-1"))
    elif ex.special == "symlink":
        elsewhere = tmp / "elsewhere"
        elsewhere.mkdir()
        os.symlink(elsewhere, spec.parent / "data")
        spec.write_text(ex.text)
    elif ex.special == "missing":
        pass
    elif ex.special == "huge":
        with open(spec, "wb") as fh:
            fh.truncate(50 << 20)
    elif ex.special == "long-string":
        spec.write_text(HEAD + "query { budget 1000 }\n" + 'run "' + "a" * 500_000 + '"\n')
    elif ex.special == "tokens":
        spec.write_text("seed 1 " * 60_000)
    elif ex.special == "many-errors":
        spec.write_text("train { epochs x }\n" * 2_000)
    else:
        return ex.text
    return None


def error_reference(registry: Registry) -> str:
    by_code = {ex.code: ex for ex in EXAMPLES}
    out: list[str] = []
    for code, title in CODES.items():
        ex = by_code[code]
        out.append(f"### {code} — {title}\n")
        if ex.note:
            out.append(f"{ex.note}:\n")
        if ex.text and ex.special not in ("missing", "huge", "long-string", "tokens", "many-errors"):
            out.append(f"```al\n{ex.text}```\n")
        rendered = _shorten(render_example(ex, registry))
        out.append(f"```text\n{rendered}\n```\n")
    return "\n".join(out)


def _shorten(text: str, width: int = 160) -> str:
    """Long example lines (a 60-digit number, a 500,000-character string) cut for reading;
    a long list of errors shown by its first one and its last line."""
    lines = [line if len(line) <= width else line[: width - 1] + "…" for line in text.splitlines()]
    starts = [i for i, line in enumerate(lines) if "error[" in line]
    if len(starts) > 3:
        lines = [*lines[: starts[1]], "…", *lines[starts[-1] :]]
    return "\n".join(lines)


# ---- statements -------------------------------------------------------------------------


def _default_text(path: str, registry: Registry) -> str:
    plan = compile_text(HEAD + "query { budget 1000 }\n", SPEC_NAME, registry)
    if path in plan.origins or path in ("data.path", "labels.column", "query.budget"):
        return "(required)" if path in ("data.path", "data.id_field", "query.budget") else "—"
    if path in ("name", "data.format", "query.seed_size", "vary", "query.stop"):
        return {"name": "file name", "data.format": "extension", "query.seed_size": "the batch",
                "vary": "—", "query.stop": "—"}[path]
    if path == "query.policy":  # its default depends on the unit (alframe.lang.build.DEFAULT_POLICY)
        cells = compile_text(HEAD + "query { budget 1000  unit cell }\n", SPEC_NAME, registry)
        return f"{_fmt(plan.query.policy, registry)}; unit cell: {_fmt(cells.query.policy, registry)}"
    value: Any = plan
    for part in path.split("."):
        value = getattr(value, part)
    return _fmt(value, registry)


def _fmt(value: Any, registry: Registry) -> str:
    from alframe.plan import Call

    if isinstance(value, Call):  # with the arguments the default sets otherwise than declared
        from alframe.registry import KINDS

        comp = next((c for c in (registry.get(kind, value.name) for kind in KINDS) if c is not None), None)
        declared = {p.name: p.default for p in comp.params} if comp is not None else {}
        own = [f"{k}={v}" for k, v in value.args if k in declared and declared[k] != v]
        return value.name + (f"({', '.join(own)})" if own else "")
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == ():
        return "—"
    if isinstance(value, tuple):
        return "[" + ", ".join(map(str, value)) + "]"
    return str(value)


def statement_reference(registry: Registry) -> str:
    rows = ["| statement | plan field | default | vary key | what it sets |", "| --- | --- | --- | --- | --- |"]
    for path, f in FIELDS.items():
        default = _default_text(path, registry)
        cells = [f"`{f.syntax}`", f"`{path}`", f"`{default}`", f"`{f.vary}`" if f.vary else "", f.help]
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows) + "\n"


# ---- the file ---------------------------------------------------------------------------


def generated_sections(registry: Registry | None = None) -> dict[str, str]:
    registry = registry or builtin_registry()
    return {"statements": statement_reference(registry), "errors": error_reference(registry)}


def update(text: str, sections: dict[str, str]) -> str:
    for name, body in sections.items():
        begin, end = BEGIN.format(name=name), END.format(name=name)
        head, found, rest = text.partition(begin)
        if not found:
            raise ValueError(f"marker {begin!r} not found")
        _, found, tail = rest.partition(end)
        if not found:
            raise ValueError(f"marker {end!r} not found")
        text = f"{head}{begin}\n\n{body}\n{end}{tail}"
    return text




# ---- plugins.md: the hook reference ------------------------------------------------------


def hook_reference() -> str:
    """A table of the hooks and one section per hook, from :mod:`alframe.hookspecs` itself."""
    import inspect

    from alframe import hookspecs
    from alframe.contracts import CONTRACTS

    hooks = [
        (name, fn)
        for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("alframe_")
    ]
    order = {name: i for i, name in enumerate(("alframe_register", "alframe_load_data", "alframe_build_model",
                                                "alframe_select_seed", *hookspecs.STAGE_ORDER))}
    hooks.sort(key=lambda h: order.get(h[0], len(order)))
    table = ["| hook | kind | does |", "| --- | --- | --- |"]
    sections: list[str] = []
    for name, fn in hooks:
        opts = getattr(fn, "alframe_spec", {}) or {}
        kind = "first result" if opts.get("firstresult") else "every implementation runs"
        doc = inspect.getdoc(fn) or ""
        summary = " ".join(doc.split("\n\n")[0].split())
        table.append(f"| [`{name}`](#{name}) | {kind} | {summary.replace('|', '/')} |")
        signature = str(inspect.signature(fn)).replace("'", "")
        checked = f"**Checked before use:** returns {CONTRACTS[name].returns}."
        sections.append(f"### {name}\n\n```python\n@hookimpl\ndef {name}{signature}: ...\n```\n\n{doc}\n\n{checked}\n")
    return "\n".join(table) + "\n\n" + "\n".join(sections)


def update_file(path: Path, sections: dict[str, str]) -> None:
    path.write_text(update(path.read_text(), sections))


def main_all(root: Path) -> int:
    update_file(root / "docs" / "spec-language.md", generated_sections())
    update_file(root / "docs" / "plugins.md", {"hooks": hook_reference()})
    return 0


if __name__ == "__main__":
    sys.exit(main_all(Path(sys.argv[1] if len(sys.argv) > 1 else ".")))
