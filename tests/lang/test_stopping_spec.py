"""``stop stable(window=N, agreement=F)`` and ``target METRIC F estimated``: what they compile
to, and their errors (file:line:column, caret, nearest name), as a table."""

from __future__ import annotations

from pathlib import Path

import pytest

from alframe import plan as P
from alframe.compile import compile_text
from alframe.errors import SpecErrors
from alframe.plugins import load

REGISTRY = load(autoload=False).registry
REGISTRY.unloaded = ()
HEAD = 'data "items.jsonl" { id sku  text title }\nlabels from "tags"\n'


def query(body: str) -> str:
    return HEAD + f"query {{ budget 1000  {body} }}\n"


@pytest.mark.parametrize("body,stable,stop", [
    ("", None, ()),
    ("stop stable", P.StableRule(3, 0.99), ()),
    ("stop stable()", P.StableRule(3, 0.99), ()),
    ("stop stable(window=5, agreement=0.95)", P.StableRule(5, 0.95), ()),
    ("stop stable(2, 1)", P.StableRule(2, 1.0), ()),
    ("target micro_f1 0.9 estimated", None, (P.StopRule("micro_f1", 0.9, estimated=True),)),
    ("target micro_f1 0.9 estimated  stop stable(window=1)", P.StableRule(1, 0.99),
     (P.StopRule("micro_f1", 0.9, estimated=True),)),
])
def test_valid_stop_statements(tmp_path: Path, body: str, stable: P.StableRule | None, stop: tuple[P.StopRule, ...]) -> None:
    plan = compile_text(query(body), tmp_path / "spec.al", REGISTRY)
    assert plan.query.stable == stable
    assert plan.query.stop == stop
    if stable is not None:
        assert plan.origin("query.stable") is not None


def test_an_estimated_target_needs_no_evaluated_metric_nor_test_split(tmp_path: Path) -> None:
    text = HEAD.replace("text title }", "text title  test fraction 0 }") + \
        "query { budget 1000  target micro_f1 0.5 estimated }\nevaluate { metrics [macro_ap] }\n"
    plan = compile_text(text, tmp_path / "spec.al", REGISTRY)
    assert plan.data.test_fraction == 0.0 and plan.query.stop[0].estimated


def test_plans_without_the_rules_keep_their_fingerprint(tmp_path: Path) -> None:
    """The fields added for these rules are left out of the fingerprint at their defaults, so a
    run started before them still resumes."""
    # policy random: no arguments (the newer policy arguments have their own test_fingerprint_compat)
    plan = compile_text(query("policy random  target micro_f1 0.9"), tmp_path / "spec.al", REGISTRY)
    stable = compile_text(query("policy random  target micro_f1 0.9  stop stable"), tmp_path / "spec.al", REGISTRY)
    estimated = compile_text(query("policy random  target micro_f1 0.9 estimated"), tmp_path / "spec.al", REGISTRY)
    assert len({plan.fingerprint(), stable.fingerprint(), estimated.fingerprint()}) == 3
    import hashlib
    import json

    d = plan.to_dict()
    d.pop("spec_path")
    d.pop("cost", None)
    d["query"].pop("stable")
    d["trainer"].pop("checkpoint_every")
    for rule in d["query"]["stop"]:
        rule.pop("estimated")
    if plan.cost.is_default:
        assert plan.fingerprint() == hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]


@pytest.mark.parametrize("body,line_col,code,message,hint", [
    ("stop stabel", "3:27", "E201", "unknown stop rule 'stabel'", "did you mean 'stable'?"),
    ("stop stable(window=0)", "3:41", "E306", "argument 'window' of stop rule 'stable' must be at least 1, not 0", None),
    ("stop stable(window=2.5)", "3:41", "E305", "argument 'window' of stop rule 'stable' takes a whole number, not 2.5", None),
    ("stop stable(agreement=0)", "3:44", "E306",
     "argument 'agreement' of stop rule 'stable' must be more than 0 and at most 1, not 0", "Cohen's kappa"),
    ("stop stable(agreement=1.01)", "3:44", "E306",
     "argument 'agreement' of stop rule 'stable' must be more than 0 and at most 1, not 1.01", None),
    ("stop stable(agreement=high)", "3:44", "E305", "argument 'agreement' of stop rule 'stable' takes a number, not 'high'", None),
    ("stop stable(windw=3)", "3:34", "E301", "stop rule 'stable' has no argument 'windw'", "did you mean 'window'?"),
    ("stop stable(1, 0.9, 3)", "3:42", "E302", "stop rule 'stable' takes at most 2 arguments; 3 given", None),
    ("stop stable(window=2, window=3)", "3:44", "E402", "argument 'window' of stop rule 'stable' is given twice", None),
    ("stop stable  stop stable", "3:35", "E401", "'stop' is given twice in query { ... }", None),
    ('stop "stable"', "3:27", "E102", 'unexpected string "stable"', None),
    ("stop stable(window=3) estimated", "3:44", "E102", "unexpected 'estimated'", None),
    ("target macro_f1 0.5 estimated", "3:29", "E404", "the answers give an estimate of micro_f1 only, not of macro_f1",
     "target micro_f1 0.5 estimated"),
    ("target micro_f1 0 estimated", "3:38", "E311", "target micro_f1 must be more than 0", None),
])
def test_stop_errors(tmp_path: Path, body: str, line_col: str, code: str, message: str, hint: str | None) -> None:
    with pytest.raises(SpecErrors) as info:
        compile_text(query(body), tmp_path / "spec.al", REGISTRY)
    text = info.value.render()
    first = text.splitlines()[0]
    assert f"spec.al:{line_col}: error[{code}]: {message}" in first, text
    assert "^" in text.splitlines()[2]
    if hint is not None:
        assert hint in text
