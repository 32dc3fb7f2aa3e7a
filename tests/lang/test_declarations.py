"""Each setting is declared once, on the plan field it fills (alframe.settings): the grammar,
the parse-tree handlers, the block hints, the checker, the defaults, ``vary``, ``explain`` and
the docs all follow from that declaration, so a new simple setting is its declaration plus a
grammar rule."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console

from alframe import plan as P
from alframe.cli.explain import plan_tree
from alframe.compile import compile_text
from alframe.lang import messages
from alframe.lang.examples import HEAD
from alframe.lang.fields import FIELDS, VARY_KEYS
from alframe.lang.parse import parse, parser
from alframe.lang.transform import SpecTransformer, transform
from alframe.plugins import load
from alframe.settings import COMPUTED, Component, setting_of
from alframe.spec import Block, Spec

ROOT = Path(__file__).resolve().parents[2]
SPEC_LANGUAGE = (ROOT / "docs" / "spec-language.md").read_text()
REGISTRY = load(autoload=False).registry


def _alternatives(rule: str) -> set[str]:
    return {r.expansion[0].name for r in parser().rules if r.origin.name == rule and len(r.expansion) == 1}


def _explained(text: str) -> str:
    console = Console(width=300, record=True, file=io.StringIO())
    console.print(plan_tree(compile_text(text, "spec.al", REGISTRY), REGISTRY))
    return console.export_text()


FULL = HEAD + "query { budget 1000 }\nvary lr [0.001, 0.01]\n"


@pytest.mark.parametrize("path", list(FIELDS))
def test_every_setting_has_a_grammar_rule_a_handler_a_block_an_explain_line_and_a_docs_row(path: str) -> None:
    f = FIELDS[path]
    s = f.setting
    assert s is not None and s.word and s.syntax.startswith(s.word)
    if s.rule is not None:  # a simple statement: its rule, its generated handler, its place in its block
        assert s.rule in {r.origin.name for r in parser().rules}, f"spec.lark has no rule {s.rule}"
        assert callable(getattr(SpecTransformer, s.rule, None))
        items = {None: "_statement", "labels": "_label_item"}.get(f.block, f"_{f.block}_item")
        assert s.rule in _alternatives(items), f"{s.rule} is not among spec.lark's {items} alternatives"
        assert s.word not in ("get", "word", "items", "pos")  # would be shadowed by Block's own attributes
    if f.block is not None and f.block not in messages.UNHINTED and s.word != f.block:
        blocks = {g.block for g in FIELDS.values() if g.word == s.word}
        if len(blocks) == 1:
            assert messages.BLOCK_OF[s.word] == f.block
        else:
            assert s.word not in messages.BLOCK_OF  # batch: train and query; seed: top level and query
    label = {"query.stop": "stop:", "query.stable": "stop:", "vary": "vary"}.get(path, path.rpartition(".")[2] + ":")
    assert label in _explained(FULL)
    row = "| " + " | ".join(c.replace("|", "\\|") for c in (f"`{s.syntax}`", f"`{path}`")) + " |"
    assert row in SPEC_LANGUAGE


def test_the_block_hints_are_those_written_out_before() -> None:
    """messages.BLOCK_OF, now derived from the declarations, as it was written by hand."""
    before = {
        **dict.fromkeys(["id", "text", "numeric", "test", "limit", "format"], "data"),
        **dict.fromkeys(["separator", "min_positives", "max_labels", "include", "exclude", "names"], "labels"),
        **dict.fromkeys(["encoder", "trunk", "heads", "ensemble", "diversity", "dropout"], "model"),
        **dict.fromkeys(["epochs", "min_steps", "lr", "optimizer", "weight_decay", "warm_start", "schedule",
                         "early_stop"], "train"),
        **dict.fromkeys(["importance", "clip", "normalize", "imbalance", "thresholds"], "weighting"),
        **dict.fromkeys(["unit", "policy", "budget", "rounds", "target", "stop"], "query"),
        **dict.fromkeys(["metrics", "every"], "evaluate"),
        **dict.fromkeys(["accelerator", "devices", "strategy", "precision", "loggers", "deterministic",
                         "checkpoint_every"], "trainer"),
    }
    assert messages.BLOCK_OF == before
    assert set(messages.TOP_LEVEL) == set(
        "run seed data labels model train weighting query oracle evaluate trainer ceiling vary repeat".split())


def test_a_setting_not_written_gets_its_declared_default() -> None:
    plan = compile_text(HEAD + "query { budget 1000 }\n", "spec.al", REGISTRY)
    for path, f in FIELDS.items():
        s = f.setting
        assert s is not None
        if s.default is COMPUTED or isinstance(s.check, Component) or path in plan.origins or path == "name":
            continue
        value: object = plan
        for part in path.split("."):
            value = getattr(value, part)
        assert value == s.default, path
    assert plan.model.encoder.name == "hashed_bag" and plan.oracle.name == "simulated"  # Component(default=...)


def test_every_field_of_a_section_is_declared_or_plain() -> None:
    """The settings each section declares, and the few fields no statement writes directly."""
    undeclared = {
        name: [f.name for f in dataclasses.fields(cls) if setting_of(f) is None] for name, cls in P.SECTIONS.items()
    }
    assert undeclared == {name: (["source"] if name == "labels" else []) for name in P.SECTIONS}
    assert [f.name for f in dataclasses.fields(P.Plan) if setting_of(f) is None and f.name not in P.SECTIONS] == [
        "spec_path", "spec_text", "origins"]
    assert set(VARY_KEYS.values()) <= set(FIELDS)


def test_a_block_holds_what_is_written_whatever_the_order() -> None:
    def spec_of(text: str) -> Spec:
        tree = parse(text).tree
        assert tree is not None
        spec, errors, _ = transform(tree)
        assert errors == []
        return spec

    one = spec_of("train { epochs 2  lr 0.1 }  vary lr [0.1]")
    assert one == spec_of("train {\n  lr 0.1\n  epochs 2\n}\nvary lr [0.1]")
    assert isinstance(one.train, Block) and one.train.word == "train"
    assert one.train.epochs.value == 2 and one.train.schedule is None and one.model is None
    assert len(one.vary) == 1 and spec_of("seed 1").vary == () and spec_of("query { budget 1 }").query.targets == ()


NEW_SETTING = '''
    label_smoothing: float = field(default=0.0, metadata=setting(
        "label_smoothing F", "smooth each target towards 0.5 by F", Real(0.0, 0.5), vary="label_smoothing"))
'''

SCRIPT = r'''
import io, json
from rich.console import Console
from alframe.cli.explain import plan_tree
from alframe.compile import compile_text
from alframe.errors import SpecErrors
from alframe.lang.docs import statement_reference
from alframe.lang.examples import HEAD
from alframe.lang.fields import FIELDS, VARY_KEYS
from alframe.lang.messages import BLOCK_OF
from alframe.plugins import load

registry = load(autoload=False).registry
base = HEAD + "query { budget 1000 }\n"

def errors(text):
    try:
        compile_text(text, "spec.al", registry)
    except SpecErrors as exc:
        return exc.render()
    return ""

written = compile_text(base + "train { label_smoothing 0.1 }\n", "spec.al", registry)
varied = compile_text(base + "vary label_smoothing [0, 0.2]\n", "spec.al", registry)
console = Console(width=300, record=True, file=io.StringIO())
console.print(plan_tree(written, registry))
print(json.dumps({
    "written": written.train.label_smoothing,
    "origin": written.origins["train.label_smoothing"].line,
    "default": compile_text(base, "spec.al", registry).train.label_smoothing,
    "varied": [list(a.values) for a in varied.vary],
    "too_big": errors(base + "train { label_smoothing 0.7 }\n"),
    "twice": errors(base + "train { label_smoothing 0.1  label_smoothing 0.2 }\n"),
    "misplaced": errors(base + "model { label_smoothing 0.1 }\n"),
    "misspelt": errors(base + "train { label_smoothin 0.1 }\n"),
    "explain": console.export_text(),
    "docs": statement_reference(registry),
    "field": [FIELDS["train.label_smoothing"].syntax, VARY_KEYS["label_smoothing"], BLOCK_OF["label_smoothing"]],
}))
'''


def test_a_new_setting_is_its_declaration_and_a_grammar_rule(tmp_path: Path) -> None:
    """A copy of alframe with one more train setting, written only as a plan field and a grammar
    rule, parses it, checks it, defaults it, varies it, explains it and documents it."""
    shutil.copytree(ROOT / "alframe", tmp_path / "alframe", ignore=shutil.ignore_patterns("__pycache__"))
    plan_py = tmp_path / "alframe" / "plan.py"
    text = plan_py.read_text()
    anchor = "\n\n@dataclass(frozen=True)\nclass WeightPlan:"
    assert text.count(anchor) == 1
    plan_py.write_text(text.replace(anchor, NEW_SETTING.rstrip("\n") + anchor))
    lark = tmp_path / "alframe" / "lang" / "spec.lark"
    grammar = lark.read_text()
    assert grammar.count("_train_item: epochs") == 1
    lark.write_text(grammar.replace("_train_item: epochs", "_train_item: label_smoothing | epochs")
                    + '\nlabel_smoothing: "label_smoothing" number\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALFRAME_")}
    env["PYTHONPATH"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-c", SCRIPT], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["written"] == 0.1 and out["origin"] == 3 and out["default"] == 0.0
    assert out["varied"] == [[0.0, 0.2]]
    assert "error[E311]: label_smoothing must be between 0 and 0.5" in out["too_big"], out["too_big"]
    assert "error[E401]: 'label_smoothing' is given twice in train { ... }" in out["twice"], out["twice"]
    assert "'label_smoothing' goes inside the braces of train { ... }" in out["misplaced"], out["misplaced"]
    assert "did you mean 'label_smoothing'?" in out["misspelt"], out["misspelt"]
    assert re.search(r"label_smoothing: 0\.1  ← line 3", out["explain"])
    assert ("| `label_smoothing F` | `train.label_smoothing` | `0.0` | `label_smoothing` | "
            "smooth each target towards 0.5 by F |") in out["docs"]
    assert out["field"] == ["label_smoothing F", "train.label_smoothing", "train"]
