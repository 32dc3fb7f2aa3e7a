"""The docs say what the code does: every hook and every error code is documented, and the
generated parts (statement table, error messages, hook reference) match a fresh generation."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from alframe import hookspecs
from alframe.lang import docs
from alframe.lang.codes import CODES
from alframe.lang.examples import EXAMPLES
from alframe.lang.fields import FIELDS
from alframe.registry import KINDS

ROOT = Path(__file__).resolve().parents[1]
SPEC_LANGUAGE = (ROOT / "docs" / "spec-language.md").read_text()
PLUGINS = (ROOT / "docs" / "plugins.md").read_text()
HOOKS = [name for name, fn in inspect.getmembers(hookspecs, inspect.isfunction) if name.startswith("alframe_")]


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_heading_in_the_plugin_docs(hook: str) -> None:
    assert re.search(rf"^#+ `?{hook}`?\s*$", PLUGINS, re.M), f"docs/plugins.md has no heading for {hook}"


@pytest.mark.parametrize("code", list(CODES))
def test_every_error_code_has_an_entry(code: str) -> None:
    assert re.search(rf"^### {code} — ", SPEC_LANGUAGE, re.M), f"docs/spec-language.md has no entry for {code}"
    assert re.search(rf"error\[{code}\]", SPEC_LANGUAGE), f"the entry for {code} shows no real message"
    assert code in {ex.code for ex in EXAMPLES}


def test_every_statement_and_kind_is_documented() -> None:
    for path in FIELDS:
        assert f"`{path}`" in SPEC_LANGUAGE, path
    for kind in KINDS:
        assert f"`{kind}`" in PLUGINS, kind
    for switch in ("--no-plugins", "ALFRAME_DISABLE_PLUGIN_AUTOLOAD", "ALFRAME_PLUGINS", "-p NAME", "ALFRAME_TRACE_HOOKS"):
        assert switch in PLUGINS, switch


def comparable(text: str) -> str:
    """As tests/lang: lists of registered names grow with the built-ins; the rest must match."""
    return re.sub(r"(error\[E(?:201|301|302)\][^\n]*\n(?:[^\n]*\n){2})  expected: [^\n]*\n", r"\1", text)


def test_generated_sections_are_up_to_date() -> None:
    fresh = docs.update(SPEC_LANGUAGE, docs.generated_sections())
    assert comparable(fresh) == comparable(SPEC_LANGUAGE), "run: python -m alframe.lang.docs"
    assert docs.update(PLUGINS, {"hooks": docs.hook_reference()}) == PLUGINS, "run: python -m alframe.lang.docs"


def test_the_example_error_in_the_plugin_docs_is_real(tmp_path: Path) -> None:
    from alframe.compile import compile_text
    from alframe.errors import SpecErrors
    from alframe.plugins import load

    shown = re.search(r"```text\n(spec\.al:3:35: error\[E201\].*?)```", PLUGINS, re.S).group(1)  # type: ignore[union-attr]
    spec = "\n".join(['data "items.jsonl" { id sku  text title }', 'labels from "tags"',
                      re.search(r"   3 \| (.*)", shown).group(1), ""])  # type: ignore[union-attr]
    with pytest.raises(SpecErrors) as info:
        compile_text(spec, "spec.al", load(autoload=False).registry)
    assert comparable(info.value.render() + "\n") == comparable(shown)


RUNNING = (ROOT / "docs" / "running.md").read_text()


def test_every_run_error_code_has_one_meaning_in_the_code_table() -> None:
    """Each R code raised anywhere in alframe has exactly one row in running.md's table, and
    the table lists no code nothing raises (a code used for two things needs two codes)."""
    raised: dict[str, set[str]] = {}
    for path in (ROOT / "alframe").rglob("*.py"):
        if path.name == "errors.py":
            continue  # the class default, never raised as such: every RunError names its code
        for code in re.findall(r'code(?:: str)? ?= ?"(R\d{3})"', path.read_text()):
            raised.setdefault(code, set()).add(str(path.relative_to(ROOT)))
    rows = re.findall(r"^\| (R\d{3}) \|", RUNNING, re.M)
    assert len(rows) == len(set(rows)), "a code with two rows"
    assert set(rows) == set(raised)
    for code in ("R207", "R208", "R314"):  # once shared with the checkpoint codes R300-R302
        assert raised[code].isdisjoint({"alframe/models/checkpoint.py"}), code
    assert raised["R300"] == raised["R301"] == raised["R302"] == {"alframe/models/checkpoint.py"}
