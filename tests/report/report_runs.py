"""Hand-made run folders for report tests: real run stores filled round by round."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from alframe.experiments.grid import Variant
from alframe.experiments.layout import Experiment, write_experiment
from alframe.plan import Call, Plan
from alframe.record import FINISHED_EVENT
from alframe.record.experiment import write_json
from alframe.record.store import Answer, RunStore

LABELS = ("rare", "mid", "common")
SUPPORT = {"rare": 3, "mid": 40, "common": 400}
TIMINGS = {"seed": 0.01, "score": 0.2, "query": 0.05, "annotate": 0.02, "weight": 0.01, "train": 1.0,
           "evaluate": 0.1, "checkpoint": 0.02}


def make_run(
    folder: Path,
    plan: Plan,
    curve: Sequence[tuple[int, float]],
    *,
    finished: bool = True,
    train_seconds: float = 1.0,
    f1: dict[str, float | None] | None = None,
    positives: dict[str, int] | None = None,
    evaluated: Sequence[bool] | None = None,
) -> Path:
    """A run whose round r used ``curve[r][0]`` labels and scored ``curve[r][1]`` micro F1
    (macro F1 is that minus 0.1); the last round holds per-label figures."""
    folder.mkdir(parents=True, exist_ok=True)
    store = RunStore.open(folder / "run.db")
    store.set_meta({"plan": json.dumps(plan.to_dict(), default=str), "fingerprint": plan.fingerprint()})
    f1 = f1 or {"rare": None, "mid": 0.5, "common": 0.9}
    last_metrics: dict[str, Any] = {}
    for r, (labels, value) in enumerate(curve):
        store.start_round(r, 1000 + r)
        timings = dict(TIMINGS, train=train_seconds)
        if evaluated is not None and not evaluated[r]:
            timings.pop("evaluate")
            metrics = last_metrics
        else:
            metrics = {"micro_f1": value, "macro_f1": value - 0.1,
                       "per_label": {lb: {"f1": f1[lb], "ap": None, "support": SUPPORT[lb], "predicted": 1}
                                     for lb in LABELS}}
        last_metrics = metrics
        store.finish_round(r, labels=labels, items=labels // 3, timings=timings, train={}, metrics=metrics,
                           checkpoint=None)
    answers = []
    for label, n in (positives or {"rare": 1, "mid": 5, "common": 9}).items():
        answers += [Answer(f"item{i}", label, 1, 0, 1.0, 1.0, "simulated") for i in range(n)]
    answers.append(Answer("item0", "rare", 0, 1, 0.5, 2.0, "simulated"))  # a later revision: 0 now
    store.add_answers(answers)
    if finished:
        store.log_event(FINISHED_EVENT, {"stop_reason": "budget spent", "rounds": len(curve)})
    store.close()
    return folder


def make_experiment(
    folder: Path,
    base: Plan,
    settings: dict[str, tuple[Call, list[list[tuple[int, float]]]]],
    *,
    ceiling: dict[str, Any] | None = None,
    **run_kw: Any,
) -> Experiment:
    """An experiment folder: one setting per policy with one curve per repeat."""
    variants = []
    for name, (policy, curves) in settings.items():
        for r, curve in enumerate(curves, start=1):
            plan = replace(base, query=replace(base.query, policy=policy), name=f"exp/{name}/repeat-{r}", seed=r)
            v = Variant(f"{name}/repeat-{r}", name, r, r, (("policy", name),), plan)
            variants.append(v)
            if curve:
                make_run(folder / v.name, plan, curve, **run_kw)
    exp = Experiment("exp", folder, base, variants, repeat=max(len(c) for _, c in settings.values()))
    write_experiment(exp)
    if ceiling is not None:
        write_json(folder / "ceiling.json", {"key": "x", "metrics": ceiling})
    return exp
