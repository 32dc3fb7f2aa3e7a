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
from alframe.stopping import COUNTS, ESTIMATED, STABILITY

if TYPE_CHECKING:
    from alframe.data.dataset import Dataset
    from alframe.plan import Plan
    from alframe.policies.base import PoolScores, Queries
    from alframe.protocols import Policy
    from alframe.registry import Registry
    from alframe.rows import ItemRows
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
    policy, every one with query probability 1. A cell run's seed asks whole items (``whole``):
    26,200 random cells scattered over 16,000 catalogue packages taught the first model less
    than the 200 whole packages they are worth (macro-AP 0.95× at the seed round, 3 repeats),
    and a person reads items."""
    from alframe.policies.base import Queries, QueryContext
    from alframe.stages import Stages

    stages = Stages(state.plugins)
    scores = stages.score_pool(state)  # the score stage, for the seed policy
    ctx = QueryContext(
        batch=state.plan.query.seed_size,
        unit=state.plan.query.unit,
        rng=state.rng("seed"),
        n_seen=0,
        round=state.round,
        whole=state.plan.query.unit == "cell",
    )
    q = stages.select(state, state.seed_policy, state.plan.query.seed_policy.name, scores, ctx)
    return Queries(q.items, q.labels, np.ones(len(q.items), dtype=np.float64), q.score)


@hookimpl(trylast=True)
def alframe_train(state: RunState) -> dict[str, Any]:
    from alframe.models.bundle import FitRequest

    state.sample_probs = None  # the model is about to change
    before = _before_training(state)
    idx = state.labelled_items()
    targets = state.answers[idx]
    req = FitRequest(
        train_idx=idx,
        targets=targets,
        weights=state.weights[idx] if state.weights is not None else (targets >= 0).astype(np.float32),
        seed=int(state.rng("train").integers(0, 2**62)),
        round=state.round,
        callbacks=list(state.train_callbacks),
        logger=_loggers(state),
        root_dir=str(state.run_dir),
        fresh=None if before is None else _fresh_window(state, before["fresh"]),
        unseen=state.reserve(),
    )
    with on_behalf_of(state.model_by, "the model"):
        info = state.bundle.fit(req)
    if before is None or not isinstance(info, dict):
        return info  # round 0 (no model before it), or a result the contract check names
    return {**info, **_after_training(state, before)}


def _before_training(state: RunState) -> dict[str, Any] | None:
    """What the model of the previous round (the one that chose this round's questions, and
    that a resumed run restores from its checkpoint) predicts, before it trains on the round's
    answers: its yes/no predictions on the stop set, the importance-weighted tp/fp/fn of its
    predictions against the round's answers (:mod:`alframe.stopping`), and those answers with
    its probabilities for them (``fresh``: what ``thresholds progressive`` cuts on). None in
    round 0: the model has not been trained yet."""
    from alframe.models.thresholds import fresh_counts
    from alframe.stopping import iw_counts

    if state.round == 0:
        return None
    ds = state.dataset
    sample = pool_sample(state)
    cells = [(ds.index_of(item), ds.label_index(label), p) for item, label, p, _ in state.store.queries(state.round)]
    cells = [(i, j, p) for i, j, p in cells if state.answers[i, j] >= 0]
    asked = np.unique(np.array([i for i, _, _ in cells], dtype=np.int64))
    idx = np.union1d(sample, asked).astype(np.int64)
    probs = _probs(state, idx)
    pred = probs > np.asarray(state.bundle.thresholds, dtype=np.float64)[None, :]
    rows = np.searchsorted(idx, [i for i, _, _ in cells]).astype(np.int64)
    cols = np.array([j for _, j, _ in cells], dtype=np.int64)
    answers = state.answers[[i for i, _, _ in cells], cols] if cells else np.zeros(0, np.int8)
    q = np.array([p for _, _, p in cells], dtype=np.float64)
    counts = iw_counts(answers, pred[rows, cols] if cells else np.zeros(0, bool), q)
    whole = _whole_items(rows, ds.n_labels)
    fresh = fresh_counts(probs[rows[whole], cols[whole]], np.asarray(answers)[whole], 1.0 / q[whole])
    return {"sample": sample, "pred": pred[np.searchsorted(idx, sample)], "fresh": fresh, **counts}


def _fresh_window(state: RunState, counts: dict[str, Any]) -> dict[str, Any] | None:
    """This round's fresh counts added to those stored with the rounds before it, up to
    ``FRESH_ROUNDS`` rounds in all (a resumed run reads the same from run.db)."""
    from alframe.models.thresholds import FRESH_ROUNDS, add_counts

    earlier = [dict(r.train or {}) for r in state.history if state.round - FRESH_ROUNDS < r.round < state.round]
    return add_counts([*earlier, counts])


def _whole_items(rows: np.ndarray, n_labels: int) -> np.ndarray:
    """bool [c]: the cells whose item had every label answered this round. Only those are fresh
    answers a cut can be judged on: the cells of a cell query are the ones the policy found
    uncertain, rich in positives, and a cut fitted to them predicts far too many (FOLDOC, cell
    rounds: test micro-F1 0.10 against 0.36 with the expected cut); whole items hold the easy
    cells too."""
    if not len(rows):
        return np.zeros(0, dtype=bool)
    counts = np.bincount(rows)
    return counts[rows] >= n_labels


def _after_training(state: RunState, before: dict[str, Any]) -> dict[str, Any]:
    """The round's stopping figures: Cohen's kappa between the predictions on the stop set
    before and after training, and the weighted counts measured before; the round's fresh
    counts (``thresholds progressive``) where it answered whole items."""
    from alframe.stopping import cohen_kappa

    after = _sample_probs(state, before["sample"]) > np.asarray(state.bundle.thresholds, dtype=np.float64)[None, :]
    out = {k: before[k] for k in COUNTS}
    if before["fresh"]["fresh_cells"]:  # kept for the next rounds' cut (none from cell rounds)
        out.update(before["fresh"])
    out[STABILITY] = round(cohen_kappa(before["pred"], after), 6)
    return out


def _sample_probs(state: RunState, sample: np.ndarray) -> np.ndarray:
    """float32 [m, L]: the current model's mean probabilities on the pool sample — computed once
    per trained model (the stability figure after training and the expected micro-F1 at
    evaluation both read it)."""
    if state.sample_probs is not None and state.sample_probs[0] == state.round:
        return state.sample_probs[1]
    with on_behalf_of(state.model_by, "the model", result=False):
        p = state.bundle.predict_proba(sample).mean(dim=2).numpy()
    state.sample_probs = (state.round, p)
    return p


def _probs(state: RunState, idx: np.ndarray) -> np.ndarray:
    """float32 [len(idx), L]: the current model's mean probabilities."""
    if not len(idx):
        return np.zeros((0, state.dataset.n_labels), dtype=np.float32)
    with on_behalf_of(state.model_by, "the model", result=False):
        return np.asarray(state.bundle.predict_proba(idx).mean(dim=2).numpy(), dtype=np.float32)


#: items scored per chunk when the pool is streamed: a multiple of the model's inference batch
#: (4,096 items with joint heads), so each chunk's probabilities are the whole-pool call's
STREAM_ITEMS = 1 << 16


@hookimpl(trylast=True)
def alframe_score_pool(state: RunState) -> PoolScores:
    """The pool's scores for the round's policy (the seed policy in round 0). For a built-in
    policy asking a round's batch (:func:`~alframe.policies.stream.streamable`; and no
    plugin's ``alframe_query`` that could read the probabilities) the pool is streamed: scored
    in chunks of :data:`STREAM_ITEMS` items, each reduced at once to what the policy reads
    (:mod:`alframe.policies.stream`), so the pool's probabilities are never held at once."""
    policy = state.round_policy
    if state.round > 0 and _streams(state, policy):
        return _streamed_scores(state, policy)
    return _pool_scores(state, policy)


def _streams(state: RunState, policy: Any) -> bool:
    from alframe.policies.stream import streamable

    if not streamable(policy, state.plan.query.unit):
        return False
    query = state.plugins.pm.hook.alframe_query.get_hookimpls()
    return all(impl.plugin_name == __name__ for impl in query)  # no plugin reads the whole pool's probabilities


def _streamed_scores(state: RunState, policy: Any) -> PoolScores:
    """The pool scored a chunk at a time, each chunk reduced at once by the policy (for
    ``adaptive``, by each of its scoring arms: :class:`~alframe.policies.stream.StreamedArms`)
    and then dropped."""
    import torch

    from alframe.policies.adaptive import AdaptivePolicy
    from alframe.policies.base import PoolScores
    from alframe.policies.stream import StreamedArms

    adaptive = isinstance(policy, AdaptivePolicy)
    arms = [(k, arm) for k, (_, arm) in enumerate(policy.arms) if arm.needs_scores] if adaptive else [(-1, policy)]
    cand = state.candidates()  # ascending
    n_labels = state.dataset.n_labels
    positives, answered = _label_counts(state.answers)
    reductions = [_Reduction(state, arm, cand) for _, arm in arms]
    whole_known = adaptive or any(r.cell is not None for r in reductions)  # read by the arms, the balance, the coins
    base = PoolScores(
        items=cand,
        probs=torch.zeros((len(cand), n_labels, 0)),
        known=(state.answers[cand] >= 0) if whole_known
        else np.broadcast_to(np.zeros((1, n_labels), dtype=bool), (len(cand), n_labels)),
        label_positives=positives,
        label_answered=answered,
        thresholds=np.asarray(state.bundle.thresholds, dtype=np.float32),
    )
    mc = int(policy.mc_samples)
    for start in range(0, len(cand), STREAM_ITEMS):
        idx = cand[start : start + STREAM_ITEMS]
        with on_behalf_of(state.model_by, "the model"):
            probs = state.bundle.predict_proba(idx, mc_samples=mc)  # [c, L, K]
        _check_chunk(probs, len(idx), n_labels)
        known = state.answers[idx] >= 0  # [c, L]
        for r in reductions:
            r.add(base, start, probs, known)
        del probs
    if not adaptive:
        return reductions[0].scores(base)
    base.labelled = _labelled_view(state)
    base.streamed = StreamedArms({k: r.scores(base) for (k, _), r in zip(arms, reductions)})
    return base


class _Reduction:
    """One policy's reduction of the streamed pool: a bounded :class:`StreamedChoice` for a
    ranking policy, or every cell's number (IWAL's query probabilities, the cell scores of item
    queries balanced by label) in a float32 ``[n, L]``."""

    def __init__(self, state: RunState, policy: Any, cand: np.ndarray) -> None:
        from alframe.policies.iwal import IWALPolicy
        from alframe.policies.select import resolved_balance
        from alframe.policies.stream import StreamedChoice, keeps_scores

        q, n_labels = state.plan.query, state.dataset.n_labels
        self.state, self.policy, self.cand = state, policy, cand
        self.iwal = isinstance(policy, IWALPolicy)
        self.n_seen = _n_seen(state.answers, q.unit)  # what the query stage gives the policy
        self.fn: Any = None
        self.cell: np.ndarray | None = None
        self.choice: StreamedChoice | None = None
        if self.iwal or keeps_scores(policy, q.unit):
            self.cell = np.zeros((len(cand), n_labels), dtype=np.float32)
        else:
            self.choice = StreamedChoice(q.unit, q.batch, policy.aggregate, resolved_balance(policy.balance, q.unit),
                                         n_labels, policy.diversity, policy.candidates, policy.name)

    def add(self, meta: PoolScores, start: int, probs: Any, known: np.ndarray) -> None:
        from alframe.policies.measures import map_rows
        from alframe.policies.select import check_cell_scores

        if self.fn is None:
            members = int(probs.shape[2])
            self.fn = self.policy.cell_fn(meta, members, self.n_seen) if self.iwal else self.policy.cell_fn(meta, members)
        chunk = map_rows(probs, self.fn)  # [c, L], each row chunk checked to lie in [0, 1]
        check_cell_scores(chunk, self.policy.name)
        if self.cell is not None:
            self.cell[start : start + len(chunk)] = chunk.numpy()
        elif self.choice is not None:
            self.choice.add(chunk.numpy(), known, probs if self.choice.diversity != "none" else None)

    def scores(self, base: PoolScores) -> PoolScores:
        """The pool's scores as this policy reads them: ``base`` with its reduction (and, for a
        diversity step, the features of its candidates' items only)."""
        import dataclasses

        from alframe.policies.stream import StreamedCells, StreamedScores

        if self.cell is not None:
            streamed: Any = StreamedCells(self.cell, self.n_seen) if self.iwal else StreamedScores(self.cell)
            return dataclasses.replace(base, streamed=streamed)
        assert self.choice is not None
        out = dataclasses.replace(base, streamed=self.choice)
        if self.choice.diversity != "none":
            out.embeddings = _embeddings(self.state, self.choice.candidate_items(self.cand))
        return out


def _check_chunk(probs: Any, rows: int, n_labels: int) -> None:
    """A chunk's probabilities as the output check of ``alframe_score_pool`` wants them (the
    contract's shape and type test; the range is checked as the measure reads them), blamed on
    the model."""
    from alframe.contracts import probs_problem
    from alframe.errors import PluginError

    problem = probs_problem(probs, rows, n_labels)
    if problem is not None:
        raise PluginError(f"predict_proba {problem}", hook="alframe_score_pool")


def _label_counts(answers: ItemRows) -> tuple[np.ndarray, np.ndarray]:
    """Positives and answered cells per label (int64 [L] each), from the answered items' rows."""
    _, values = answers.stored()
    return (values == 1).sum(axis=0, dtype=np.int64), (values >= 0).sum(axis=0, dtype=np.int64)


def _n_seen(answers: ItemRows, unit: str) -> int:
    """Candidates seen so far (IWAL's k): items with an answered cell (unit item) or answered
    cells (unit cell), from the answered items' rows."""
    _, values = answers.stored()
    known = values >= 0
    return int(known.any(axis=1).sum()) if unit == "item" else int(known.sum())


@hookimpl(trylast=True)
def alframe_query(state: RunState, scores: PoolScores) -> Queries:
    from alframe.policies.base import QueryContext

    ctx = QueryContext(
        batch=state.plan.query.batch,
        unit=state.plan.query.unit,
        rng=state.rng("query"),
        n_seen=_n_seen(state.answers, state.plan.query.unit),
        round=state.round,
        history=[dict(r.policy) for r in state.history],
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

        source = str(oracle.source)
        oracle.context = context_for(state, source, oracle.context)
    with component(state.plugins, "oracle", state.plan.oracle.name):
        return oracle.answer(state.dataset, items, labels, state.rng("oracle"))


@hookimpl(trylast=True)
def alframe_weight(state: RunState) -> np.ndarray:
    """Importance weights 1/p of the answered cells (clipped, normalised as the plan says), as
    the rows of ``state.labelled_items()``; 0 for their unknown cells. Without importance
    weighting every answered cell weighs 1."""
    from alframe.policies.weights import importance_weights

    idx = state.labelled_items()
    known = state.answers[idx] >= 0  # [m, L]
    w = np.zeros(known.shape, dtype=np.float32)
    wp = state.plan.weighting
    if wp.importance:
        w[known] = importance_weights(state.query_prob[idx][known].astype(np.float64), wp.clip, wp.normalize)
    else:
        w[known] = 1.0
    return w


@hookimpl(trylast=True)
def alframe_evaluate(state: RunState) -> dict[str, Any]:
    from alframe.stages import Stages

    ds = state.dataset
    test = ds.test_idx
    metrics = Stages(state.plugins).test_metrics(state.plan, ds, state.bundle, state.model_by)
    thresholds = state.bundle.thresholds
    estimate = _estimates(state, np.asarray(thresholds, dtype=np.float64))
    if not (ds.labels[test] >= 0).any():
        metrics["estimate"] = estimate
    metrics.update(_stopping_metrics(state, estimate["expected_micro_f1"]))
    return metrics


def _stopping_metrics(state: RunState, expected: float | None) -> dict[str, Any]:
    """The estimates beside the test metrics, every round from round 1 on (none in round 0:
    they compare the model before training with the answers and the model after): the
    importance-weighted micro-F1 from the answers (``estimated_micro_f1``), the model's
    expected micro-F1 on the pool sample (``expected_micro_f1``) and the stability of its
    predictions (``stability``, Cohen's kappa). See :mod:`alframe.stopping`."""
    from alframe.stopping import estimated_f1, per_round

    figures = per_round(state.history, state.round, state.signals)
    if state.round == 0 or not figures or STABILITY not in figures[-1]:
        return {}
    return {ESTIMATED: estimated_f1(figures), "expected_micro_f1": expected, STABILITY: figures[-1].get(STABILITY)}


#: pool items whose probabilities give the expected micro-F1 estimate (all of a smaller pool);
#: the same fixed sample is the stop set whose predictions' stability ``stop stable`` watches
ESTIMATE_SAMPLE = 5000


def pool_sample(state: RunState) -> np.ndarray:
    """int64, ascending: a fixed sample of the pool (all of a pool of at most
    :data:`ESTIMATE_SAMPLE` items), drawn from the plan seed, so it is the same every round and
    after a resume."""
    pool = np.asarray(state.dataset.pool_idx, dtype=np.int64)
    if len(pool) > ESTIMATE_SAMPLE:
        pool = np.random.default_rng(state.plan.seed).choice(pool, ESTIMATE_SAMPLE, replace=False)
    return np.sort(pool).astype(np.int64)


def _estimates(state: RunState, thresholds: np.ndarray) -> dict[str, Any]:
    """What can be said without labelled test items (a cold start): the answers so far, the
    positives among them, and the model's *expected* micro-F1 on the pool: each cell's truth
    is its answer where there is one and the model's own probability elsewhere, so
    E[tp] = Σ p over predicted cells and E[F1] = 2·E[tp] / (predicted + Σ p). It is the model's
    belief about itself, not a measurement: an over-confident model over-rates itself."""
    pool = pool_sample(state)
    labelled = state.labelled_items()
    out: dict[str, Any] = {
        "answers": state.labels_used,
        "positives": int(np.count_nonzero(state.answers[labelled] == 1)),
        "items": int(len(labelled)),
        "expected_micro_f1": None,
        "pool_items": int(len(pool)),
    }
    if len(pool):
        p = _sample_probs(state, pool).astype(np.float64)  # [m, L]
        answers = state.answers[pool]
        p = np.where(answers >= 0, answers, p)
        pred = p > thresholds[None, :]
        total = float(p.sum())
        denom = float(pred.sum()) + total
        out["expected_micro_f1"] = round(2.0 * float(p[pred].sum()) / denom, 6) if denom > 0 else None
    return out


@hookimpl(trylast=True)
def alframe_should_stop(state: RunState) -> str | None:
    from alframe.stopping import estimated_f1, per_round, stability_series, stable_reason

    q = state.plan.query
    figures = per_round(state.history, state.round, state.signals)
    for rule in q.stop:
        value = estimated_f1(figures) if rule.estimated else state.last_metrics.get(rule.metric)
        if value is None:
            continue
        target = rule.target
        if rule.of_ceiling:
            if not state.ceiling or state.ceiling.get(rule.metric) is None:
                continue
            target = rule.target * float(state.ceiling[rule.metric])
        if float(value) >= target:
            how = " (estimated from the answers)" if rule.estimated else ""
            return f"target reached: {rule.metric}{how} {float(value):.4f} ≥ {target:.4f}"
    if q.stable is not None:
        reason = stable_reason(stability_series(figures), q.stable.window, q.stable.agreement)
        if reason is not None:
            return reason
    if state.labels_used >= q.budget:
        return f"budget spent: {state.labels_used:,} of {q.budget:,} answered cells"
    if q.rounds is not None and state.round + 1 >= q.rounds:
        return f"round limit reached: {q.rounds} rounds"
    candidates = state.candidates()
    if not candidates.size:
        from alframe.state import exhausted

        return exhausted(state)
    cost = 1 if q.unit == "cell" else int((state.answers[candidates] < 0).sum(axis=1).min())
    if q.budget - state.labels_used < cost:
        return f"budget spent: {state.labels_used:,} of {q.budget:,} answered cells (not enough left for one more {q.unit})"
    return None


def _loggers(state: RunState) -> Any:
    """Lightning loggers named by the plan, one version folder per round under ``logs/``."""
    from alframe import loggers

    return loggers.make(state.plan.trainer.loggers, str(state.run_dir / "logs"), f"round-{state.round:04d}")


def _pool_scores(state: RunState, policy: Policy) -> PoolScores:
    from alframe.policies.base import PoolScores

    cand = state.candidates()
    mc = int(policy.mc_samples)
    if policy.needs_scores:
        with on_behalf_of(state.model_by, "the model"):
            probs = state.bundle.predict_proba(cand, mc_samples=mc)  # [n, L, K]
    else:
        import torch

        probs = torch.full((1, 1, 1), 0.5).expand(len(cand), state.dataset.n_labels, 1)  # no memory per item
    positives, answered = _label_counts(state.answers)
    return PoolScores(
        items=cand,
        probs=probs,
        known=state.answers[cand] >= 0,
        label_positives=positives,
        label_answered=answered,
        thresholds=np.asarray(state.bundle.thresholds, dtype=np.float32),
        labelled=_labelled_view(state) if policy.needs_labelled else None,
        embeddings=_embeddings(state, cand) if policy.needs_embeddings else None,
    )


def _embeddings(state: RunState, cand: np.ndarray) -> Any:
    """The model's features of the candidates (``PoolScores.embeddings``) for a policy that asks
    with ``needs_embeddings = True``: in the seed round, those of the untrained network."""
    from alframe.models.bundle import embed_items

    with on_behalf_of(state.model_by, "the model"):
        return embed_items(state.bundle, cand)


def _labelled_view(state: RunState) -> Any:
    """The answered items under the current model (``PoolScores.labelled``), for a policy that
    asks for them with ``needs_labelled = True``: one forward pass over those items."""
    from alframe.policies.base import LabelledView

    idx = state.labelled_items()
    if len(idx):
        with on_behalf_of(state.model_by, "the model"):
            probs = state.bundle.predict_proba(idx).mean(dim=2).numpy().astype(np.float32)  # [m, L]
    else:
        probs = np.zeros((0, state.dataset.n_labels), dtype=np.float32)
    return LabelledView(items=idx, probs=probs, answers=state.answers[idx], prob=state.query_prob[idx])  # row gathers: copies
