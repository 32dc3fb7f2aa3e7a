"""Plans for experiment tests, built directly from the plan dataclasses (as compile.py would)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from alframe.plan import (
    Call,
    DataPlan,
    EvalPlan,
    LabelPlan,
    ModelPlan,
    Plan,
    QueryPlan,
    StopRule,
    TrainerPlan,
    TrainPlan,
    VaryAxis,
    WeightPlan,
)

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fixtures"
PACKAGES = FIXTURES / "packages.jsonl"


def small_plan(
    name: str = "tiny",
    *,
    data: Path = PACKAGES,
    vary: tuple[VaryAxis, ...] = (),
    repeat: int = 1,
    ceiling: bool = False,
    policy: Call = Call("random"),
    budget: int = 40,
    stop: tuple[StopRule, ...] = (),
    limit: int | None = None,
    **query: Any,
) -> Plan:
    """A fast plan on the 41-package fixture: tiny model, few epochs, a handful of rounds."""
    q = QueryPlan(seed_size=4, seed_policy=Call("random"), batch=4, unit="item", policy=policy, budget=budget,
                  stop=stop)
    if query:
        q = replace(q, **query)
    return Plan(
        name=name,
        seed=7,
        data=DataPlan(path=str(data), format="jsonl", id_field="package", text_fields=("description",),
                      test_fraction=0.3, test_seed=3, limit=limit),
        labels=LabelPlan(source="list", column="tags", min_positives=5),
        model=ModelPlan(
            encoder=Call("hashed_bag", (("dim", 16), ("buckets", 4096), ("ngrams", (1, 1)), ("char_ngrams", (0, 0)),
                                        ("numeric", False))),
            trunk=Call("mlp", (("hidden", 16), ("layers", 1), ("dropout", 0.0))),
            heads=Call("joint"),
            ensemble=2,
        ),
        train=TrainPlan(epochs=2, batch_size=16, lr=0.01),
        weighting=WeightPlan(),
        query=q,
        oracle=Call("simulated", ()),
        evaluate=EvalPlan(metrics=("micro_f1", "macro_f1")),
        trainer=TrainerPlan(loggers=()),
        vary=vary,
        repeat=repeat,
        ceiling=ceiling,
        spec_path="tiny.al",
        spec_text="# built in a test\n",
    )
