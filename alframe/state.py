"""What a stage hook sees of a run: :class:`RunState`, and what a round leaves: :class:`RoundRecord`
(the run record's :class:`~alframe.record.Round`).

The state is rebuilt from the run store on resume; nothing in it is the truth on its own. The
label matrix ``answers`` is the current answers (``-1`` unknown), kept in step with the store's
``answers`` table by the engine, which writes the store first. It and the per-cell query
probabilities and weights are :class:`~alframe.rows.ItemRows`: rows for the answered items
only, indexed as the dense matrices they replace.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from alframe.record.rounds import Round
from alframe.rows import ItemRows
from alframe.seeds import derive_seed

if TYPE_CHECKING:
    from alframe.data.dataset import Dataset
    from alframe.plan import Plan
    from alframe.plugins import Plugins
    from alframe.protocols import ModelBundle, Oracle, Policy
    from alframe.record.store import RunStore

#: the share of the pool a cell run keeps unasked for its decision cut, and the most items kept
RESERVE_SHARE = 0.05
RESERVE_MAX = 1000


def open_items(answers: ItemRows, items: np.ndarray) -> np.ndarray:
    """int64: the ``items`` (sorted) with at least one unanswered cell, ascending. An item
    without a row has every cell open; only the rows that exist are read."""
    items = np.sort(np.asarray(items, dtype=np.int64))
    done, values = answers.stored()
    full = done[(values >= 0).all(axis=1)]  # items whose every cell is answered
    return items[~np.isin(items, full)]


def new_answers(n_items: int, n_labels: int) -> ItemRows:
    """An empty label matrix: every cell unknown (-1), int8."""
    return ItemRows(n_items, n_labels, -1, np.int8)


@dataclass
class RunState:
    plan: Plan
    plugins: Plugins
    dataset: Dataset
    store: RunStore
    run_dir: Path
    bundle: ModelBundle  # the run's model, built by the model stage
    policy: Policy  # the query policy the spec names
    seed_policy: Policy  # the policy choosing the seed set
    oracle: Oracle  # who answers
    model_by: str = "alframe (built-in)"  # the plugin whose alframe_build_model built the bundle
    round: int = 0
    #: the label matrix (int8 ``[n, L]``, -1 unknown), rows of answered items only
    answers: ItemRows = field(default_factory=lambda: new_answers(0, 0))
    #: the probability each answered cell was asked with (1 elsewhere), rows of answered items only
    query_prob: ItemRows = field(default_factory=lambda: ItemRows(0, 0, 1.0))
    weights: ItemRows | None = None  # the labelled items' rows from alframe_weight (0 elsewhere)
    last_metrics: dict[str, Any] = field(default_factory=dict)
    history: list[RoundRecord] = field(default_factory=list)
    ceiling: dict[str, Any] | None = None  # metrics of the model trained on the whole pool
    train_callbacks: list[Any] = field(default_factory=list)  # Lightning callbacks for fit
    #: the training figures of the round under way, with the ``round`` they belong to: what the
    #: stop rules of :mod:`alframe.stopping` read before the round is committed (complete rounds
    #: keep them in ``history[i].train``)
    signals: dict[str, Any] = field(default_factory=dict)
    #: (round, float32 [m, L]): the trained model's mean probabilities on the pool sample, taken
    #: once after training and read again by evaluate; never stored (a cache of this round's model)
    sample_probs: tuple[int, np.ndarray] | None = None
    #: the cell run's reserve once known (:meth:`reserve`): it depends only on the plan and the
    #: seed round's stored queries, which never change once written
    reserve_items: np.ndarray | None = field(default=None, repr=False)

    @property
    def round_policy(self) -> Policy:
        """The policy choosing this round's questions: the seed policy in round 0, the query
        policy after it (what the score stage scores the pool for)."""
        return self.seed_policy if self.round == 0 else self.policy

    def rng(self, purpose: str) -> np.random.Generator:
        """The round's generator for one purpose (query, train, oracle, seed, weight)."""
        return np.random.default_rng(derive_seed(self.plan.seed, self.round, purpose))

    @property
    def known(self) -> np.ndarray:
        """bool [n, L]: cells with an answer (a pool-sized mask: the stages read the labelled
        items' rows instead)."""
        return self.answers.to_dense() >= 0

    @property
    def labels_used(self) -> int:
        """Cells answered (the budget's currency, seed set included)."""
        return int(np.count_nonzero(self.answers.stored()[1] >= 0))

    @property
    def items_touched(self) -> int:
        return len(self.labelled_items())

    @property
    def cost(self) -> float:
        """The person's work so far under the plan's cost model (``cost { item … cell … }``):
        item × items touched + cell × answered cells; the answered cells by default."""
        return self.plan.cost.of(self.labels_used, self.items_touched)

    def candidates(self) -> np.ndarray:
        """int64: pool items with at least one unanswered cell, ascending (the reserve left out)."""
        pool = np.setdiff1d(self.dataset.pool_idx, self.reserve())
        return open_items(self.answers, pool)

    def reserve(self) -> np.ndarray:
        """int64: pool items a cell run with ``thresholds progressive`` never asks, ascending —
        ``RESERVE_SHARE`` of the pool (at most ``RESERVE_MAX``), drawn from the run seed among
        the pool items the seed round did not ask, once that round's queries are stored.

        A cell run's decision cut is the expected-F1 cut (its cells, the uncertain ones, are no
        fair sample to cut on), and over pool items the network trained on that cut is too
        high: after 16 rounds on FOLDOC it sat at 0.33 (test micro-F1 0.580) where the best cut
        was 0.18 (0.635). Over items it never saw it was 0.24 (0.618).

        Until the seed is chosen the reserve is empty, so the seed round draws from the whole
        pool: the seed set of a cell run is then the very items an item run with the same run
        seed asks first, and the two runs' first models are the same (drawn from the pool less
        a reserve, it was a different draw: macro-AP 0.91× at the seed round on the catalogue,
        3 repeats). Empty for other runs."""
        if self.reserve_items is not None:
            return self.reserve_items
        plan = self.plan
        pool = np.asarray(self.dataset.pool_idx, dtype=np.int64)
        if plan.query.unit != "cell" or plan.weighting.thresholds != "progressive" or len(pool) < 2:
            self.reserve_items = np.zeros(0, dtype=np.int64)
            return self.reserve_items
        seed_queries = self.store.queries(0)
        if self.round == 0 and not seed_queries:
            return np.zeros(0, dtype=np.int64)  # the seed is not chosen yet: not kept
        seeded = np.asarray(sorted({self.dataset.index_of(item) for item, *_ in seed_queries}), dtype=np.int64)
        rest = np.setdiff1d(pool, seeded)
        k = min(RESERVE_MAX, int(np.ceil(RESERVE_SHARE * len(pool))), len(rest))
        rng = np.random.default_rng(derive_seed(plan.seed, 0, "reserve"))
        self.reserve_items = np.sort(rng.choice(rest, size=k, replace=False)).astype(np.int64)
        return self.reserve_items

    def labelled_items(self) -> np.ndarray:
        """int64: items with at least one answered cell, ascending (read from the rows that
        exist: an answer withdrawn by a revision leaves a row without one)."""
        items, values = self.answers.stored()
        return items[(values >= 0).any(axis=1)]


def exhausted(state: RunState) -> str:
    """The stop reason when nothing is left to ask."""
    kept = len(state.reserve())
    if kept:
        return f"the pool is exhausted: every pool cell is answered but those of the {kept:,} items kept for the decision cut"
    return "the pool is exhausted: every pool cell is answered"


#: what one round did (:class:`alframe.record.Round`): the type ``alframe_round_end`` and
#: observers receive, under the name plugins know it by
RoundRecord = Round
