"""Runs made before the cost model, the stop rules, the checkpoint cadence and the newer policy
arguments keep their plan fingerprint, so they resume (a changed fingerprint means "the spec changed")."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from alframe import plugins
from alframe.compile import compile_file, compile_text

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = plugins.load(autoload=False).registry
#: the arguments of the built-in policies when the oldest run folders in use were written
OLD_ARGS = {
    "uncertainty": {"measure", "aggregate", "rare_bonus"},
    "disagreement": {"measure", "aggregate", "rare_bonus"},
    "bald": {"aggregate", "mc_dropout", "rare_bonus"},
    "iwal": {"base", "rule", "floor", "scale", "c0", "loss_bound", "combine", "fit_batch", "sampling"},
}


def old_fingerprint(plan: Any) -> str:
    """The fingerprint as it was computed before those settings existed: the plan's dict
    without them, hashed the same way."""
    d = plan.to_dict()
    d.pop("spec_path")
    d.pop("cost")
    d["query"].pop("stable")
    d["trainer"].pop("checkpoint_every")
    for rule in d["query"]["stop"]:
        rule.pop("estimated")
    calls = [d["query"]["policy"], d["query"]["seed_policy"]]
    calls += [v for axis in d["vary"] for v in axis["values"] if isinstance(v, dict) and "args" in v]
    for call in calls:
        keep = OLD_ARGS.get(call["name"])
        if keep is not None:
            call["args"] = tuple((k, v) for k, v in (tuple(a) for a in call["args"]) if k in keep)
    return hashlib.sha256(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:16]


@pytest.mark.parametrize("spec", ["quickstart", "compare", "binary-columns"])
def test_shipped_specs_that_name_their_policy_keep_their_fingerprint(spec: str) -> None:
    plan = compile_file(ROOT / "specs" / f"{spec}.al", REGISTRY)
    assert plan.fingerprint() == old_fingerprint(plan)


def _compare_text(iwal: str) -> str:
    text = (ROOT / "specs" / "compare.al").read_text(encoding="utf-8").replace('"data/', f'"{ROOT}/specs/data/')
    assert "iwal(base=disagreement, floor=0.05)" in text
    return text.replace("iwal(base=disagreement, floor=0.05)", iwal)


def test_iwals_new_defaults_keep_item_runs_and_change_cell_runs_unless_they_write_the_old_values(
    tmp_path: Path,
) -> None:
    """``iwal`` now defaults to ``balance=auto`` and ``top=auto`` (as before for items; labels
    and 0.9 for cells) and ``base=uncertainty``: an item run that wrote its base keeps its
    fingerprint; a cell run is a changed plan (R207 on resume) unless it writes
    ``balance=none, top=0``, and a run that left the base out is one either way."""
    text = (ROOT / "specs" / "quickstart.al").read_text(encoding="utf-8").replace('"data/', f'"{ROOT}/specs/data/')
    assert "unit item" in text and "policy uncertainty(measure=margin)" in text

    def plan(policy: str, unit: str, name: str) -> Any:
        spec = text.replace("policy uncertainty(measure=margin)", f"policy {policy}").replace("unit item", f"unit {unit}")
        return compile_text(spec, tmp_path / f"{name}.al", REGISTRY, root="/")

    items = plan("iwal(base=disagreement, floor=0.05)", "item", "a")
    assert items.fingerprint() == old_fingerprint(items)
    cells = plan("iwal(base=disagreement, floor=0.05)", "cell", "b")
    assert cells.fingerprint() != old_fingerprint(cells)
    spelt = plan("iwal(base=disagreement, floor=0.05, balance=none, top=0)", "cell", "c")
    assert spelt.fingerprint() == old_fingerprint(spelt)
    base = plan("iwal(floor=0.05)", "item", "d")  # its plan held base=disagreement, the default then
    assert base.fingerprint() != items.fingerprint()


def test_a_spec_that_names_no_policy_gets_the_studys_best_for_its_unit(tmp_path: Path) -> None:
    """Items keep plain uncertainty (and their older runs' fingerprint: compare.al names no
    policy); cells get uncertainty(balance=labels), a changed plan for older cell runs."""
    text = _compare_text("iwal(base=disagreement, floor=0.05, balance=none, top=0)")  # its arm as before
    plan = compile_text(text, tmp_path / "i.al", REGISTRY, root="/")
    assert plan.query.unit == "item" and dict(plan.query.policy.args)["balance"] == "auto"  # none, with items
    assert plan.fingerprint() == old_fingerprint(plan)
    cells = compile_text(text.replace("unit item", "unit cell"), tmp_path / "c.al", REGISTRY, root="/")
    assert cells.query.unit == "cell" and dict(cells.query.policy.args)["balance"] == "labels"
    assert cells.fingerprint() != old_fingerprint(cells)


def test_a_new_policy_argument_at_a_new_value_is_a_changed_spec(tmp_path: Path) -> None:
    text = (ROOT / "specs" / "quickstart.al").read_text(encoding="utf-8")
    data = str(ROOT / "specs" / "data")
    text = text.replace('"data/', f'"{data}/')
    plain = compile_text(text, tmp_path / "a.al", REGISTRY, root="/")
    spelt = compile_text(text.replace("measure=margin)", "measure=margin, diversity=none, balance=none)"),
                         tmp_path / "b.al", REGISTRY, root="/")
    balanced = compile_text(text.replace("measure=margin)", "measure=margin, balance=labels)"), tmp_path / "c.al",
                            REGISTRY, root="/")
    assert plain.fingerprint() == spelt.fingerprint() != balanced.fingerprint()
    # a policy argument added later without a place in LATER_POLICY_ARGS would change every
    # old run's fingerprint: the built-in policies' declared arguments are pinned here
    later = {"uncertainty": {"diversity", "candidates", "balance"}, "disagreement": {"diversity", "candidates", "balance"},
             "bald": {"diversity", "candidates", "balance"}, "iwal": {"balance", "top"}}
    for name, old in OLD_ARGS.items():
        declared = {p.name for p in REGISTRY.get("policy", name).params}
        assert declared - old == later[name], name


def test_the_checkpoint_cadence_is_no_part_of_the_fingerprint(tmp_path: Path) -> None:
    """``trainer { checkpoint_every N }`` changes when a cache is written, not what a run
    computes: a run may resume with another cadence."""
    text = (ROOT / "specs" / "quickstart.al").read_text(encoding="utf-8")
    spec = tmp_path / "quickstart.al"
    assert "trainer" not in text
    every = compile_text(text + "\ntrainer { checkpoint_every 5 }\n", spec, REGISTRY)
    plain = compile_text(text, spec, REGISTRY)
    assert every.trainer.checkpoint_every == 5 and plain.trainer.checkpoint_every == 1
    assert every.fingerprint() == plain.fingerprint()


def test_balance_auto_keeps_item_runs_and_changes_cell_runs_that_named_a_ranking_policy(tmp_path: Path) -> None:
    """``balance=auto`` (the default) asks what ``none`` asked with items, so an item run that
    named ``uncertainty`` keeps its fingerprint; a cell run that did now ranks its cells label by
    label, a changed plan (R207 on resume, unless it writes ``balance=none``)."""
    text = (ROOT / "specs" / "quickstart.al").read_text(encoding="utf-8").replace('"data/', f'"{ROOT}/specs/data/')
    assert "unit item" in text and "policy uncertainty(measure=margin)" in text
    items = compile_text(text, tmp_path / "i.al", REGISTRY, root="/")
    assert dict(items.query.policy.args)["balance"] == "auto" and items.fingerprint() == old_fingerprint(items)
    cell_text = text.replace("unit item", "unit cell")
    cells = compile_text(cell_text, tmp_path / "c.al", REGISTRY, root="/")
    assert cells.fingerprint() != old_fingerprint(cells)
    spelt = compile_text(cell_text.replace("measure=margin)", "measure=margin, balance=none)"), tmp_path / "n.al",
                         REGISTRY, root="/")
    assert spelt.fingerprint() == old_fingerprint(spelt)
