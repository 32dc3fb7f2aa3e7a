"""The plugin contract: every stage of the active-learning loop is a hook.

The engine (:mod:`alframe.engine`) owns the order of the stages; implementations of these hooks
own the work. Built-in behaviour lives in :mod:`alframe.builtin` and is registered exactly as a
third-party plugin is, with ``trylast=True`` so that a plugin's first-result implementation wins
whatever the registration order.

Each stage hook receives the :class:`alframe.state.RunState` of the run: the plan, the data
set, the model bundle, the answers so far, the round number and its seeded generator.

Hooks marked *first result* stop at the first implementation that returns something other than
``None``; returning ``None`` means "not mine, ask the next one".
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    import numpy as np

    from alframe.data.dataset import Dataset
    from alframe.plan import Plan
    from alframe.policies.base import PoolScores, Queries
    from alframe.registry import Registry
    from alframe.state import RoundRecord, RunState

PROJECT = "alframe"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def alframe_register(registry: Registry) -> None:
    """Add named components (encoders, trunks, heads, policies, oracles, imbalance methods,
    metrics) with ``registry.register(kind, name, factory, params=[...])``.

    Called once for every plugin when plugins load. A name registered twice is an error naming
    both plugins.

    :param registry: the registry to fill.
    """


@hookspec(firstresult=True)
def alframe_load_data(plan: Plan) -> Dataset | None:
    """Read the data set the plan names: items, texts, numeric fields, label matrix, split.

    Stops at first non-None result.

    :param plan: the compiled plan (``plan.data`` and ``plan.labels``).
    :returns: a :class:`alframe.data.dataset.Dataset`, or ``None`` to leave it to the next.
    """


@hookspec(firstresult=True)
def alframe_build_model(plan: Plan, dataset: Dataset, registry: Registry) -> Any | None:
    """Build the model: features for every item and the LightningModule (ensemble included).

    Stops at first non-None result.

    :param registry: where the plan's encoder, trunk, heads and imbalance names resolve.

    :returns: an :class:`alframe.models.bundle.ModelBundle`, or ``None``.
    """


@hookspec(firstresult=True)
def alframe_select_seed(state: RunState) -> Queries | None:
    """Choose the first labelled set (``plan.query.seed_size`` items or cells).

    Stops at first non-None result. Seed queries have query probability 1. The built-in stage
    scores the pool through ``alframe_score_pool`` (for the seed policy,
    ``state.round_policy``) and checks the seed policy's choice as a query's.

    :returns: :class:`alframe.policies.base.Queries`, or ``None``.
    """


@hookspec(firstresult=True)
def alframe_train(state: RunState) -> dict[str, float] | None:
    """Fit the model on the labelled set (warm start or fresh, as the plan says).

    Stops at first non-None result. From round 1 the built-in one also measures, with the
    model before and after fitting, the figures ``stop stable`` and ``estimated`` targets read
    (``stability``, ``iw_tp``, ``iw_fp``, ``iw_fn``, ``iw_cells``; see :mod:`alframe.stopping`);
    a replacement that returns them too keeps those rules working, one without them leaves
    them nothing to stop on.

    :returns: training figures (e.g. ``{"epochs": 10, "loss": 0.12}``), or ``None``.
    """


@hookspec(firstresult=True)
def alframe_score_pool(state: RunState) -> PoolScores | None:
    """Per-member probabilities for the unlabelled pool, in large batches without gradients.

    The built-in implementation streams the pool for a built-in ranking policy (``uncertainty``,
    ``disagreement``, ``bald``, a diversity step included) when no plugin implements
    ``alframe_query``: chunks of 65,536 items, each reduced at once to the policy's candidates,
    returned in ``PoolScores.streamed`` with no probabilities kept (``probs`` is
    ``[n, L, 0]``; ``embeddings``, for a diversity step, holds the candidates' features
    only). For ``iwal`` each chunk is reduced to its cells' query probabilities
    (``StreamedCells``), for item queries with ``balance=labels`` to the policy's cell scores
    (``StreamedScores``; float32 ``[n, L]`` both); for ``adaptive`` by each scoring arm in its
    own way (``StreamedArms``). Every other policy gets the whole pool's probabilities, as a
    replacement of this hook gives them.

    Stops at first non-None result.

    :returns: :class:`alframe.policies.base.PoolScores`, or ``None``.
    """


@hookspec(firstresult=True)
def alframe_query(state: RunState, scores: PoolScores) -> Queries | None:
    """Decide which items or cells to ask next, each with its query probability.

    Stops at first non-None result. The engine checks the answer: no duplicate, no cell already
    answered, no item outside the pool, probabilities in (0, 1].

    :param scores: the output of ``alframe_score_pool``.
    :returns: :class:`alframe.policies.base.Queries`, or ``None``.
    """


@hookspec(firstresult=True)
def alframe_annotate(state: RunState, items: np.ndarray, labels: np.ndarray) -> np.ndarray | None:
    """Answer the cells ``(items[i], labels[i])`` from the run's oracle.

    Stops at first non-None result. The engine commits every answer to the run store before
    anything uses it.

    :returns: int8 array of 0/1 (or -1: no answer), one per cell, or ``None``.
    """


@hookspec(firstresult=True)
def alframe_weight(state: RunState) -> np.ndarray | None:
    """Per-cell loss weights for the labelled set (importance weights, clipping, normalising).

    Stops at first non-None result. Imbalance correction happens in the loss, not here. The
    labelled items' rows are enough (the run keeps only those: a pool of 10^7 items × 131 labels
    would need 5.2 GB for a dense matrix); every item's ``[n_items, n_labels]`` is still taken.

    :returns: float32 array ``[m, n_labels]``, row ``k`` for item ``state.labelled_items()[k]``
        (0 where unknown), or ``None``.
    """


@hookspec(firstresult=True)
def alframe_evaluate(state: RunState) -> dict[str, Any] | None:
    """Metrics on the test split (torchmetrics): scalar metrics and per-label figures.

    Stops at first non-None result.

    :returns: ``{"micro_f1": ..., "per_label": {...}}``, or ``None``.
    """


@hookspec
def alframe_round_end(state: RunState, record: RoundRecord) -> None:
    """Observe a finished round (progress display, logs, reports). Every implementation runs.

    The observer hooks (``alframe_run_started``, ``alframe_stage_started``,
    ``alframe_stage_finished``, ``alframe_message``, ``alframe_round_end``) are the one way to
    follow a run: the terminal display is an :class:`alframe.engine.Observer`, which implements
    them, registered for the run.

    Called after the round is committed to the run store (``record.stop_reason`` says whether
    it was the last); an observer must not change state.
    """


@hookspec
def alframe_run_started(state: RunState, resumed_from: int | None) -> None:
    """Observe the start of a run, after the data is loaded, the model built and a resumed run
    restored. Every implementation runs.

    :param resumed_from: the last complete round of a resumed run, ``None`` for a new one.
    """


@hookspec
def alframe_stage_started(stage: str) -> None:
    """Observe a stage starting (``load``, ``build``, ``seed``, ``score``, ``query``,
    ``annotate``, ``weight``, ``train``, ``evaluate``, ``checkpoint``). Every implementation runs."""


@hookspec
def alframe_stage_finished(stage: str, seconds: float) -> None:
    """Observe a stage ending (also when it failed), with the seconds it took. Every
    implementation runs; the round's record keeps the same timings."""


@hookspec
def alframe_message(text: str) -> None:
    """Observe a sentence the run says to its user (a warning, a resume, a retrain, a stop
    requested). Every implementation runs."""


@hookspec
def alframe_train_callbacks(plan: Plan) -> list[Any] | None:
    """Lightning callbacks to follow training inside every round (a progress bar, a
    profiler). Called once per run; every implementation's list is used.

    :returns: a list of :class:`pytorch_lightning.Callback`, or ``None`` for none.
    """


@hookspec(firstresult=True)
def alframe_should_stop(state: RunState) -> str | None:
    """Decide whether the loop ends: budget spent, target reached, pool exhausted.

    Called after the round's evaluation, before it is committed and observed. Stops at first
    non-None result.

    :returns: a sentence saying why the run stops, or ``None`` to go on.
    """


@hookspec
def alframe_register_commands(cli: click.Group) -> None:
    """Add commands to the ``alframe`` command line with ``cli.add_command(command)``, where
    ``command`` is a :class:`click.Command` (or group). Not a stage of the loop.

    Called once, when the command line meets a command name that is not a built-in one, and for
    ``alframe --help`` and shell completion; the global options given before the command name
    (``--no-plugins``, ``-p``) decide which plugins load. A built-in command cannot be replaced.
    A command's callback may return an int (the exit code); an :class:`~alframe.errors.AlframeError`
    it raises exits with its own code, as a built-in command's does.
    """


#: The hooks whose first result does a stage's work (the first-result specs above): a plugin
#: implementing one replaces the built-in stage for every run while it is installed (said at
#: the start of each run).
REPLACEABLE = tuple(
    name for name, spec in list(globals().items())
    if name.startswith("alframe_") and (getattr(spec, f"{PROJECT}_spec", None) or {}).get("firstresult")
)

#: The stage hooks in the order the engine calls them within a round (a test checks this).
#: Round 0 calls ``alframe_select_seed`` in place of scoring and querying (the built-in seed
#: stage scores the pool for the seed policy through ``alframe_score_pool``).
STAGE_ORDER = (
    "alframe_score_pool",
    "alframe_query",
    "alframe_annotate",
    "alframe_weight",
    "alframe_train",
    "alframe_evaluate",
    "alframe_should_stop",
    "alframe_round_end",
)
