"""The stages of a round, called through one typed facade.

The engine, the ceiling and the seed round call the stage hooks only through :class:`Stages`:
each method calls its hook through :mod:`alframe.hookcall` (the plugin that answered is
known, what it raised is blamed on it), the result is checked against the hook's contract
(:data:`alframe.contracts.CONTRACTS`) before anyone uses it, and what comes back is typed, so
mypy checks every caller against the contract. Components the spec names (a policy, an oracle,
a model) are built and called through it too (:meth:`Stages.component`, :meth:`Stages.fit`,
:meth:`Stages.select`), so their results pass the same checks as a stage's.

Which stage runs and in what order is :mod:`alframe.engine`'s business; what each built-in
stage does is :mod:`alframe.builtin.stages`'.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from alframe.hookcall import (
    BUILTIN,
    call_all,
    call_each,
    call_first,
    call_optional,
    check_result,
    component,
    on_behalf_of,
    owner,
)
from alframe.protocols import ModelBundle, Policy, conform

if TYPE_CHECKING:
    import numpy as np

    from alframe.data.dataset import Dataset
    from alframe.models.bundle import FitRequest
    from alframe.plan import Plan
    from alframe.plugins import Plugins
    from alframe.policies.base import PoolScores, Queries, QueryContext
    from alframe.rows import ItemRows
    from alframe.state import RoundRecord, RunState


class Stages:
    """The stage hooks of ``plugins``, typed and checked."""

    def __init__(self, plugins: Plugins) -> None:
        self.plugins = plugins

    # -- before the first round -------------------------------------------------------------

    def load_data(self, plan: Plan) -> Dataset:
        dataset: Dataset = call_first(self.plugins, "alframe_load_data", plan=plan)[0]
        return dataset

    def build_model(self, plan: Plan, dataset: Dataset) -> tuple[ModelBundle, str]:
        """The run's model and the plugin that built it (which answers for what it does)."""
        bundle, who = call_first(self.plugins, "alframe_build_model", plan=plan, dataset=dataset,
                                 registry=self.plugins.registry)
        return conform(bundle, "model", who), who

    def component(self, kind: str, name: str, kwargs: Mapping[str, Any]) -> Any:
        """The registered ``kind`` ``name`` built with ``kwargs`` (a policy or an oracle
        conforms to its Protocol); a plugin's factory that fails is named."""
        with component(self.plugins, kind, name):
            return self.plugins.registry.build(kind, name, kwargs)

    # -- a round -----------------------------------------------------------------------------

    def select_seed(self, state: RunState) -> Queries:
        queries: Queries = call_first(self.plugins, "alframe_select_seed", state=state)[0]
        return queries

    def score_pool(self, state: RunState) -> PoolScores:
        scores: PoolScores = call_first(self.plugins, "alframe_score_pool", state=state)[0]
        return scores

    def query(self, state: RunState, scores: PoolScores) -> Queries:
        queries: Queries = call_first(self.plugins, "alframe_query", state=state, scores=scores)[0]
        return queries

    def annotate(self, state: RunState, items: np.ndarray, labels: np.ndarray) -> np.ndarray:
        values: np.ndarray = call_first(self.plugins, "alframe_annotate", state=state, items=items, labels=labels)[0]
        return values

    def weight(self, state: RunState) -> ItemRows:
        """The labelled items' loss weights (the contract turns either form into rows)."""
        weights: ItemRows = call_first(self.plugins, "alframe_weight", state=state)[0]
        return weights

    def train(self, state: RunState) -> dict[str, Any] | None:
        info: dict[str, Any] | None = call_first(self.plugins, "alframe_train", state=state)[0]
        return info

    def evaluate(self, state: RunState) -> dict[str, Any]:
        metrics: dict[str, Any] = call_first(self.plugins, "alframe_evaluate", state=state)[0]
        return metrics

    def should_stop(self, state: RunState) -> str | None:
        reason: str | None = call_optional(self.plugins, "alframe_should_stop", state=state)
        return reason

    def replaced(self) -> dict[str, list[str]]:
        """Stage hook → the plugins whose implementation answers before the built-in one
        (wrappers and observers excluded): a plugin installed replaces a stage for every run,
        which the spec does not show, so the engine says it and records it."""
        from alframe.hookspecs import REPLACEABLE
        from alframe.plugins import BUILTIN_MODULES

        out: dict[str, list[str]] = {}
        for hook in REPLACEABLE:
            impls = getattr(self.plugins.pm.hook, hook).get_hookimpls()
            who = [self.plugins.distribution_named(i.plugin_name) for i in impls
                   if not (i.wrapper or i.hookwrapper) and i.plugin_name not in BUILTIN_MODULES]
            if who:
                out[hook] = sorted(set(who))
        return out

    # -- observing: the one way to follow a run -------------------------------------------------

    def round_end(self, state: RunState, record: RoundRecord) -> None:
        call_all(self.plugins, "alframe_round_end", state=state, record=record)

    def run_started(self, state: RunState, resumed_from: int | None) -> None:
        call_all(self.plugins, "alframe_run_started", state=state, resumed_from=resumed_from)

    def stage_started(self, stage: str) -> None:
        call_all(self.plugins, "alframe_stage_started", stage=stage)

    def stage_finished(self, stage: str, seconds: float) -> None:
        call_all(self.plugins, "alframe_stage_finished", stage=stage, seconds=seconds)

    def message(self, text: str) -> None:
        call_all(self.plugins, "alframe_message", text=text)

    def train_callbacks(self, plan: Plan) -> list[Any]:
        return [c for found in call_each(self.plugins, "alframe_train_callbacks", plan=plan) for c in found]

    # -- components called by a stage ---------------------------------------------------------

    def select(self, state: RunState, policy: Policy, name: str, scores: PoolScores, ctx: QueryContext) -> Queries:
        """``policy.select`` (the spec's ``name``), checked as a query stage's result is: the
        seed round's choice passes the same contract as every later round's."""
        with component(self.plugins, "policy", name):
            q = policy.select(scores, ctx)
        out: Queries = check_result("alframe_query", q, {"state": state, "scores": scores}, owner(self.plugins, "policy", name))
        return out

    def test_metrics(self, plan: Plan, dataset: Dataset, bundle: ModelBundle, who: str = BUILTIN) -> dict[str, Any]:
        """The spec's metrics of ``bundle`` on the test split (the model's calls on behalf of
        ``who``, the plugin that built it), checked as an evaluate stage's result is: what the
        built-in evaluate stage reports of a round's model, and the ceiling of its model."""
        from alframe.data.metrics import evaluate

        test = dataset.test_idx
        with on_behalf_of(who, "the model", result=False):
            probs = bundle.predict_proba(test).mean(dim=2)  # [n_test, L]
            thresholds = bundle.thresholds
        metrics = evaluate(probs, dataset.labels[test], thresholds, dataset.label_names, plan.evaluate.metrics,
                           registry=self.plugins.registry)
        out: dict[str, Any] = check_result("alframe_evaluate", metrics, {"plan": plan}, who)
        return out

    def fit(self, bundle: ModelBundle, req: FitRequest, who: str = BUILTIN) -> dict[str, Any]:
        """``bundle.fit(req)`` outside a round (the ceiling), on behalf of the plugin ``who``
        that built the model, its record checked as a train stage's result is."""
        with on_behalf_of(who, "the model"):
            info = bundle.fit(req)
        out: dict[str, Any] = check_result("alframe_train", info, {}, who) or {}
        return out

