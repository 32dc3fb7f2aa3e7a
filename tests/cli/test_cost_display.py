"""Where the cost of a ``cost { item … cell … }`` spec shows: the live view's answers line, each
``--plain`` line and the end-of-run table; a spec without one shows nothing new (its cost is
the answers, already there)."""

from __future__ import annotations

import io
from pathlib import Path
from types import SimpleNamespace

from rich.console import Console

from alframe.cli.run import print_summary
from alframe.cli.terminal import Terminal
from alframe.display.progress import PlainProgress, answers_bar, cost_text, shown_cost
from alframe.plan import CostPlan
from alframe.state import RoundRecord


def _plan(cost: CostPlan) -> SimpleNamespace:
    query = SimpleNamespace(budget=1000, unit="cell", batch=100, rounds=None, policy="uncertainty")
    evaluate = SimpleNamespace(metrics=("micro_f1",))
    return SimpleNamespace(name="priced", query=query, evaluate=evaluate, cost=cost)


def _records() -> list[RoundRecord]:
    # 100 cells on 80 items, then 200 cells on 150 items: item 1, cell 0.1 → 90 and 170
    return [
        RoundRecord(0, 100, 80, 100, 100, {"train": 1.0}, {}, {"micro_f1": 0.4}, cost=90.0),
        RoundRecord(1, 200, 150, 100, 100, {"train": 1.0}, {}, {"micro_f1": 0.5}, cost=170.0, stop_reason="budget spent"),
    ]


def test_cost_text() -> None:
    assert cost_text(1100.0) == "1,100" and cost_text(12345.25) == "12,345.2" and cost_text(0) == "0"


def test_the_answers_line_shows_a_priced_cost_only() -> None:
    priced = SimpleNamespace(plan=_plan(CostPlan(1.0, 0.1)))
    plain = SimpleNamespace(plan=_plan(CostPlan()))
    assert shown_cost(priced, 170.0) == " cost 170" and shown_cost(plain, 200.0) == ""
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=False)
    console.print(answers_bar(console, 200, 1000, 150, shown_cost(priced, 170.0)))
    assert "items 150 cost 170" in out.getvalue()


def test_each_plain_line_carries_the_cost() -> None:
    out = io.StringIO()
    view = PlainProgress(Console(file=out, width=200, force_terminal=False))
    records = _records()
    state = SimpleNamespace(plan=_plan(CostPlan(1.0, 0.1)), history=records, last_metrics={}, round=1)
    view.round_finished(state, records[0])
    assert "answers 100/1,000 items 80 cost 90 |" in out.getvalue()


def test_the_summary_table_has_a_cost_column_when_priced(tmp_path: Path) -> None:
    for cost, shown in ((CostPlan(1.0, 0.1), True), (CostPlan(), False)):
        out = io.StringIO()
        terminal = Terminal(stdout=out, color=False)
        summary = SimpleNamespace(history=_records(), metrics={}, stop_reason="budget spent", labels_used=200,
                                  items_touched=150, cost=170.0, run_dir=tmp_path)
        print_summary(terminal, _plan(cost), summary)
        text = out.getvalue()
        assert ("cost" in text.splitlines()[1]) is shown  # the header row
        assert ("cost 170 (item 1, cell 0.1)" in " ".join(text.split())) is shown  # lines wrap at 80
