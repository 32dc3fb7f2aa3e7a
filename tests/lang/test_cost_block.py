"""``cost { item F  cell F }``: the cost model's statements, defaults, errors and plan.

The messages of broken cost blocks (file:line:column, caret, nearest name) are in the golden
corpus (``bad/cost-*.al``); this file checks what the block compiles to, table by table.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from alframe import plan as P
from alframe.compile import compile_text
from alframe.errors import SpecErrors
from alframe.lang.overrides import compile_with_overrides
from alframe.plugins import load

REGISTRY = load(autoload=False).registry
BASE = 'data "items.jsonl" { id sku  text title }\nlabels from "tags"\nquery { budget 1000 }\n'


def compiled(text: str, tmp_path: Path) -> P.Plan:
    return compile_text(BASE + text, tmp_path / "spec.al", REGISTRY)


@pytest.mark.parametrize(
    ("block", "item", "cell"),
    [
        ("", 0.0, 1.0),  # no block: cost = answered cells, the budget's currency
        ("cost { }", 0.0, 1.0),
        ("cost { item 1.0  cell 0.1 }", 1.0, 0.1),
        ("cost { cell 0.1  item 1 }", 1.0, 0.1),  # any order, an integer is a price too
        ("cost { item 2 }", 2.0, 1.0),  # the price not written keeps its default
        ("cost { cell 0.25 }", 0.0, 0.25),
        ("cost { item 0  cell 1 }", 0.0, 1.0),  # the defaults written out
        ("cost {\n  item 1e3  # a minute to read\n  cell 10\n}", 1000.0, 10.0),
        ("cost { item 5  cell 0 }", 5.0, 0.0),  # answers free once the item is read
    ],
)
def test_cost_block_values(block: str, item: float, cell: float, tmp_path: Path) -> None:
    plan = compiled(block, tmp_path)
    assert (plan.cost.item, plan.cost.cell) == (item, cell)
    assert plan.cost.is_default == ((item, cell) == (0.0, 1.0))


@pytest.mark.parametrize(
    ("block", "code", "where"),
    [
        ("cost { item -1 }", "E311", (4, 13)),  # negative: refused, at the value
        ("cost { cell -0.5 }", "E311", (4, 13)),
        ("cost { item 1e10 }", "E311", (4, 13)),  # beyond MAX_COST
        ('cost { item "1" }', "E102", (4, 13)),  # a string is no price
        ("cost { item 1  item 2 }", "E401", (4, 16)),  # given twice
        ("cost { item 0  cell 0 }", "E404", (4, 21)),  # nothing costs anything
        ("cost { cell 0 }", "E404", (4, 13)),  # item is 0 by default
        ("cost { budget 3 }", "E102", (4, 8)),  # not a cost statement
        ("cost { item 1 }\ncost { cell 2 }", "E401", (5, 1)),  # the block twice
    ],
)
def test_cost_block_errors(block: str, code: str, where: tuple[int, int], tmp_path: Path) -> None:
    with pytest.raises(SpecErrors) as info:
        compiled(block, tmp_path)
    first = info.value.errors[0]
    assert first.code == code, info.value.render()
    assert first.pos is not None and (first.pos.line, first.pos.column) == where, info.value.render()
    assert "spec.al:" in info.value.render()  # file:line:column, as every spec error


def test_item_and_cell_stay_plain_names_elsewhere(tmp_path: Path) -> None:
    """``item`` and ``cell`` are statement words only inside cost { }: ``unit cell`` and a field
    called ``item`` still read as names."""
    text = 'data "items.jsonl" { id item  text cell }\nlabels from "tags"\nquery { budget 1000  unit cell }\ncost { item 1 }\n'
    plan = compile_text(text, tmp_path / "spec.al", REGISTRY)
    assert (plan.data.id_field, plan.data.text_fields, plan.query.unit) == ("item", ("cell",), "cell")
    assert plan.cost == P.CostPlan(item=1.0, cell=1.0)


def test_origins_point_at_the_block_and_the_values(tmp_path: Path) -> None:
    plan = compiled("cost {\n  cell 0.1\n}", tmp_path)
    assert plan.origins["cost"].line == 4
    assert plan.origins["cost.cell"].line == 5
    assert "cost.item" not in plan.origins  # a default


def test_fingerprint_keeps_old_runs_and_sees_a_cost_model(tmp_path: Path) -> None:
    """A spec without a cost block fingerprints as before the block existed (its runs resume);
    a cost model changes the fingerprint (a run priced otherwise is a changed spec)."""
    plain = compiled("", tmp_path)
    written_default = compiled("cost { item 0  cell 1 }", tmp_path)
    priced = compiled("cost { item 1  cell 0.1 }", tmp_path)
    assert plain.fingerprint() == written_default.fingerprint()
    assert plain.fingerprint() != priced.fingerprint()
    assert "cost" in plain.to_dict() and plain.to_dict()["cost"] == {"item": 0.0, "cell": 1.0}


@pytest.mark.parametrize(
    ("labels", "items", "model", "expected"),
    [
        (0, 0, P.CostPlan(), 0.0),
        (120, 10, P.CostPlan(), 120.0),  # default: the answered cells
        (120, 10, P.CostPlan(1.0, 0.1), 22.0),  # 10 items read + 120 × 0.1
        (120, 120, P.CostPlan(1.0, 0.1), 132.0),  # cells scattered over 120 items
        (7, 3, P.CostPlan(2.5, 0.0), 7.5),
    ],
)
def test_cost_of_counts(labels: int, items: int, model: P.CostPlan, expected: float) -> None:
    assert model.of(labels, items) == pytest.approx(expected)


def test_cost_model_of_a_stored_plan() -> None:
    assert P.CostPlan.from_plan_dict({}) == P.CostPlan()  # a run made before the block
    assert P.CostPlan.from_plan_dict({"cost": {"item": 1, "cell": 0.1}}) == P.CostPlan(1.0, 0.1)
    assert P.CostPlan.from_plan_dict({"cost": {"item": 2}}) == P.CostPlan(2.0, 1.0)
    assert P.CostPlan.from_plan_dict({"cost": None}) == P.CostPlan()


def test_set_option_writes_a_cost(tmp_path: Path) -> None:
    spec = tmp_path / "spec.al"
    spec.write_text(BASE)
    plan = compile_with_overrides(spec, REGISTRY, ["cost.item=1", "cost.cell=0.1"])
    assert plan.cost == P.CostPlan(1.0, 0.1)  # type: ignore[attr-defined]
    with pytest.raises(SpecErrors) as info:
        compile_with_overrides(spec, REGISTRY, ["cost.cell=-1"])
    assert info.value.errors[0].code == "E311" and info.value.errors[0].path == "--set"
