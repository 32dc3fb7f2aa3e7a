"""Built-in stage implementations, registered as an ordinary plugin.

Every implementation is ``trylast=True``, so a third-party plugin implementing the same
first-result hook wins whatever the registration order. Each one is a thin adapter from the
run state to the part of the package that does the work (data loader, model bundle, policy,
oracle, metrics); the engine never calls those parts directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from alframe.hookcall import component, on_behalf_of
from alframe.hookspecs import hookimpl

if TYPE_CHECKING:
    from alframe.data.dataset import Dataset
    from alframe.plan import Plan
    from alframe.policies.base import PoolScores, Queries
    from alframe.registry import Registry
    from alframe.state import RunState


@hookimpl(trylast=True)
def alframe_load_data(plan: Plan) -> Dataset:
    from alframe.data.load import load_dataset

    dataset = load_dataset(plan.data, plan.labels)
    if plan.oracle.name == "simulated":
        _check_simulated(plan, dataset)
    return dataset


def _check_simulated(plan: Plan, dataset: Dataset) -> None:
    """``oracle simulated`` looks every answer up in the pool's labels: a pool without any is a
    cold start, which needs a person (or a plugin's oracle) to answer. Refused before anything
    is asked, naming what to change."""
    from alframe.errors import DataError

    pool = dataset.pool_idx
    if len(pool) == 0 or (dataset.labels[pool] >= 0).any():
        return
    field = plan.labels.column or ", ".join(plan.labels.columns or plan.labels.names)
    absent = next((w.split(": every item")[0] for w in dataset.warnings if "has no field" in w), None)  # a misspelt field?
    raise DataError(
        f"oracle simulated answers from the pool's labels, but no pool item has any (field '{field}' is "
        "missing, null or unknown in every item" + (f"; {absent}" if absent else "") + "): a simulated run "
        "needs a labelled pool",
        path=plan.data.path,
        field=field,
        code="D221",
        hint='to label the pool yourself, use oracle file(path="answers.csv") or oracle prompt '
        "(docs/annotating.md, 'Starting from unlabelled data'); to simulate, give the pool's labels",
    )


@hookimpl(trylast=True)
def alframe_build_model(plan: Plan, dataset: Dataset, registry: Registry) -> Any:
    from alframe.models.bundle import build_bundle

    return build_bundle(plan, registry, dataset)


@hookimpl(trylast=True)
def alframe_select_seed(state: RunState) -> Queries:
    """The seed set: ``seed_size`` items (unit item) or cells (unit cell) chosen by the seed
    policy, every one with query probability 1."""
    from alframe.policies.base import Queries, QueryContext

    scores = _pool_scores(state, state.seed_policy)
    ctx = QueryContext(
        batch=state.plan.query.seed_size,
        unit=state.plan.query.unit,
        rng=state.rng("seed"),
        n_seen=0,
        round=state.round,
    )
    with component(state.plugins, "policy", state.plan.query.seed_policy.name):
        q = state.seed_policy.select(scores, ctx)
    if not isinstance(q, Queries):
        return q  # the contract check names the policy's plugin
    q.prob = np.ones(len(q.items), dtype=np.float64)
    return q


@hookimpl(trylast=True)
def alframe_train(state: RunState) -> dict[str, Any]:
    from alframe.models.bundle import FitRequest

    idx = state.labelled_items()
    req = FitRequest(
        train_idx=idx,
        targets=state.answers[idx],
        weights=(state.weights if state.weights is not None else state.known.astype(np.float32))[idx],
        seed=int(state.rng("train").integers(0, 2**62)),
        round=state.round,
        callbacks=list(state.train_callbacks),
        logger=_loggers(state),
        root_dir=str(state.run_dir),
    )
    with on_behalf_of(state.model_by, "the model"):
        return state.bundle.fit(req)


@hookimpl(trylast=True)
def alframe_score_pool(state: RunState) -> PoolScores:
    return _pool_scores(state, state.policy)


@hookimpl(trylast=True)
def alframe_query(state: RunState, scores: PoolScores) -> Queries:
    from alframe.policies.base import QueryContext

    known = state.known
    n_seen = int(known.any(axis=1).sum()) if state.plan.query.unit == "item" else int(known.sum())
    ctx = QueryContext(
        batch=state.plan.query.batch,
        unit=state.plan.query.unit,
        rng=state.rng("query"),
        n_seen=n_seen,
        round=state.round,
    )
    with component(state.plugins, "policy", state.plan.query.policy.name):
        return state.policy.select(scores, ctx)


@hookimpl(trylast=True)
def alframe_annotate(state: RunState, items: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """The oracle's answers. An oracle with a ``context`` attribute (a person's screen) gets the
    round's :class:`~alframe.oracles.context.RunContext` first: the item's other labels, the
    model's guesses, the round's open questions and budget, and a way to commit an answer given
    for another cell (see :class:`alframe.oracles.base.Oracle`)."""
    oracle = state.oracle
    if hasattr(oracle, "context"):
        from alframe.oracles.context import context_for

        source = str(getattr(oracle, "source", state.plan.oracle.name))
        oracle.context = context_for(state, source, oracle.context)
    with component(state.plugins, "oracle", state.plan.oracle.name):
        return oracle.answer(state.dataset, items, labels, state.rng("oracle"))


@hookimpl(trylast=True)
def alframe_weight(state: RunState) -> np.ndarray:
    """Importance weights 1/p of the answered cells (clipped, normalised as the plan says);
    0 for unknown cells. Without importance weighting every answered cell weighs 1."""
    from alframe.policies.weights import importance_weights

    known = state.known
    w = np.zeros(state.answers.shape, dtype=np.float32)
    wp = state.plan.weighting
    if wp.importance:
        w[known] = importance_weights(state.query_prob[known].astype(np.float64), wp.clip, wp.normalize)
    else:
        w[known] = 1.0
    return w


@hookimpl(trylast=True)
def alframe_evaluate(state: RunState) -> dict[str, Any]:
    from alframe.data.metrics import evaluate

    ds = state.dataset
    test = ds.test_idx
    with on_behalf_of(state.model_by, "the model", result=False):
        probs = state.bundle.predict_proba(test).mean(dim=2)  # [n_test, L]
        thresholds = state.bundle.thresholds
    metrics = evaluate(
        probs,
        ds.labels[test],
        thresholds,
        ds.label_names,
        state.plan.evaluate.metrics,
        registry=state.plugins.registry,
    )
    if not (ds.labels[test] >= 0).any():
        metrics["estimate"] = _estimates(state, np.asarray(thresholds, dtype=np.float64))
    return metrics


#: pool items whose probabilities give the expected micro-F1 estimate (all of a smaller pool)
ESTIMATE_SAMPLE = 5000


def _estimates(state: RunState, thresholds: np.ndarray) -> dict[str, Any]:
    """What can be said without labelled test items (a cold start): the answers so far, the
    positives among them, and the model's *expected* micro-F1 on the pool: each cell's truth
    is its answer where there is one and the model's own probability elsewhere, so
    E[tp] = Σ p over predicted cells and E[F1] = 2·E[tp] / (predicted + Σ p). It is the model's
    belief about itself, not a measurement: an over-confident model over-rates itself."""
    ds = state.dataset
    pool = np.asarray(ds.pool_idx, dtype=np.int64)
    if len(pool) > ESTIMATE_SAMPLE:  # a fixed sample of the pool, the same every round
        pool = np.sort(np.random.default_rng(state.plan.seed).choice(pool, ESTIMATE_SAMPLE, replace=False))
    known = state.answers >= 0
    out: dict[str, Any] = {
        "answers": int(known.sum()),
        "positives": int((state.answers == 1).sum()),
        "items": int(known.any(axis=1).sum()),
        "expected_micro_f1": None,
        "pool_items": int(len(pool)),
    }
    if len(pool):
        with on_behalf_of(state.model_by, "the model", result=False):
            p = state.bundle.predict_proba(pool).mean(dim=2).numpy().astype(np.float64)  # [m, L]
        answers = state.answers[pool]
        p = np.where(answers >= 0, answers, p)
        pred = p > thresholds[None, :]
        total = float(p.sum())
        denom = float(pred.sum()) + total
        out["expected_micro_f1"] = round(2.0 * float(p[pred].sum()) / denom, 6) if denom > 0 else None
    return out


@hookimpl(trylast=True)
def alframe_should_stop(state: RunState) -> str | None:
    q = state.plan.query
    for rule in q.stop:
        value = state.last_metrics.get(rule.metric)
        if value is None:
            continue
        target = rule.target
        if rule.of_ceiling:
            if not state.ceiling or state.ceiling.get(rule.metric) is None:
                continue
            target = rule.target * float(state.ceiling[rule.metric])
        if float(value) >= target:
            return f"target reached: {rule.metric} {float(value):.4f} ≥ {target:.4f}"
    if state.labels_used >= q.budget:
        return f"budget spent: {state.labels_used:,} of {q.budget:,} answered cells"
    if q.rounds is not None and state.round + 1 >= q.rounds:
        return f"round limit reached: {q.rounds} rounds"
    if not state.candidates().size:
        return "the pool is exhausted: every pool cell is answered"
    cost = 1 if q.unit == "cell" else int((state.answers[state.candidates()] < 0).sum(axis=1).min())
    if q.budget - state.labels_used < cost:
        return f"budget spent: {state.labels_used:,} of {q.budget:,} answered cells (not enough left for one more {q.unit})"
    return None


def _loggers(state: RunState) -> Any:
    """Lightning loggers named by the plan, one version folder per round under ``logs/``."""
    from alframe import loggers

    return loggers.make(state.plan.trainer.loggers, str(state.run_dir / "logs"), f"round-{state.round:04d}")


def _pool_scores(state: RunState, policy: Any) -> PoolScores:
    from alframe.policies.base import PoolScores

    cand = state.candidates()
    known = state.known
    mc = int(getattr(policy, "mc_samples", 0) or 0)
    if getattr(policy, "needs_scores", True):
        with on_behalf_of(state.model_by, "the model"):
            probs = state.bundle.predict_proba(cand, mc_samples=mc)  # [n, L, K]
    else:
        import torch

        probs = torch.full((len(cand), state.dataset.n_labels, 1), 0.5)
    return PoolScores(
        items=cand,
        probs=probs,
        known=known[cand],
        label_positives=(state.answers == 1).sum(axis=0).astype(np.int64),
        label_answered=known.sum(axis=0).astype(np.int64),
        thresholds=np.asarray(state.bundle.thresholds, dtype=np.float32),
    )
