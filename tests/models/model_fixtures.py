"""Small real inputs for the model tests: a synthetic catalogue, plans, the built-in registry."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from alframe.data.dataset import Dataset
from alframe.models import components
from alframe.models.bundle import FitRequest, build_bundle
from alframe.models.committee import CommitteeBundle
from alframe.plan import (
    Call,
    DataPlan,
    EvalPlan,
    LabelPlan,
    ModelPlan,
    Plan,
    QueryPlan,
    TrainerPlan,
    TrainPlan,
    WeightPlan,
)
from alframe.registry import Registry

LABELS = ["color::red", "color::blue", "size::big", "size::small", "size::tiny", "material"]
RATES = [0.5, 0.3, 0.2, 0.1, 0.05, 0.3]


def catalogue(n: int = 240, seed: int = 0, numeric: bool = True, rates: list[float] | None = None) -> Dataset:
    """Items whose texts carry a signal word for each of their labels (90% of the time)."""
    rng = np.random.default_rng(seed)
    rates = rates or RATES
    names = LABELS[: len(rates)]
    labels = (rng.random((n, len(names))) < np.asarray(rates)).astype(np.int8)  # [n, L]
    filler = [f"w{i}" for i in range(40)]
    texts = []
    for i in range(n):
        words = list(rng.choice(filler, size=5))
        for j in np.flatnonzero(labels[i]):
            if rng.random() < 0.9:
                words.append(f"signal{j}")
        rng.shuffle(words)
        texts.append(" ".join(words))
    num = np.column_stack([labels[:, 0] + rng.normal(0, 1, n), rng.normal(5, 2, n)]).astype(np.float32)
    ids = [f"item{i:05d}" for i in range(n)]
    perm = rng.permutation(n)
    n_test = n // 5
    return Dataset(
        path="synthetic",
        ids=ids,
        texts=texts,
        numeric=num if numeric else None,
        numeric_names=["x", "y"] if numeric else [],
        labels=labels,
        label_names=list(names),
        test_idx=np.sort(perm[:n_test]).astype(np.int64),
        pool_idx=np.sort(perm[n_test:]).astype(np.int64),
        fingerprint="synthetic",
        warnings=[],
    )


TINY_ENCODER = Call(
    "hashed_bag", (("dim", 8), ("buckets", 1024), ("ngrams", (1, 1)), ("char_ngrams", (0, 0)), ("wide", 256))
)


def plan(
    *,
    encoder: Call = TINY_ENCODER,
    trunk: Call = Call("mlp", (("hidden", 16), ("layers", 1), ("dropout", 0.1))),
    heads: Call = Call("joint"),
    ensemble: int = 3,
    diversity: str = "bootstrap",
    dropout: float = 0.0,
    seed: int = 7,
    weighting: WeightPlan | None = None,
    trainer: TrainerPlan | None = None,
    **train: Any,
) -> Plan:
    """A plan with tiny dimensions (fast fits); ``train`` overrides TrainPlan fields."""
    train_plan = dataclasses.replace(TrainPlan(epochs=2, batch_size=32, lr=3e-3, min_steps=0), **train)
    return Plan(
        name="models-test",
        seed=seed,
        data=DataPlan(path="synthetic", format="jsonl", id_field="id", text_fields=("text",)),
        labels=LabelPlan(source="list", column="tags"),
        model=ModelPlan(encoder, trunk, heads, ensemble, diversity, dropout),
        train=train_plan,
        weighting=weighting or WeightPlan(),
        query=QueryPlan(20, Call("random"), 20, "item", Call("random"), 200),
        oracle=Call("simulated"),
        evaluate=EvalPlan(),
        trainer=trainer or TrainerPlan(),
    )


def registry() -> Registry:
    reg = Registry()
    components.register(reg)
    return reg


def bundle(p: Plan, ds: Dataset) -> CommitteeBundle:
    b = build_bundle(p, registry(), ds)
    assert isinstance(b, CommitteeBundle)
    return b


def request(ds: Dataset, seed: int = 0, n: int | None = None, round: int = 0) -> FitRequest:
    """Every pool item labelled (or the first n), weight 1 per known cell."""
    items = ds.pool_idx if n is None else ds.pool_idx[:n]
    targets = ds.labels[items].copy()
    weights = (targets >= 0).astype(np.float32)
    return FitRequest(train_idx=items, targets=targets, weights=weights, seed=seed, round=round)


def weights_of(b: CommitteeBundle) -> dict[str, np.ndarray]:
    return {k: v.detach().cpu().numpy().copy() for k, v in b.net.state_dict().items()}
