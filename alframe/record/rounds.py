"""One round of a run, as the store keeps it, the engine and observers see it, and readers read it.

A :class:`Round` is a row of the ``rounds`` table (seed, status, counts, seconds per stage,
training figures, metrics, checkpoint) together with what the run knows of it besides: the
answers the round committed, its stop reason, what the query policy recorded with its questions
and its cost under the plan's cost model. ``alframe_round_end`` hooks and observers receive one
(there it is also called ``RoundRecord``); :meth:`alframe.record.store.RunStore.rounds`, the
report and ``alframe status`` read the same type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: a round's status in the store, in the order it passes through them
STARTED, QUERIED, COMPLETE = "started", "queried", "complete"


@dataclass
class Round:
    """What one round did (cumulative counts: answered cells and items touched after it)."""

    round: int
    labels_used: int  # answered cells after the round (the store's ``labels``)
    items_touched: int  # items with an answered cell after the round (the store's ``items``)
    asked: int
    answered: int
    timings: dict[str, float]
    train: dict[str, Any]
    metrics: dict[str, Any]
    stop_reason: str | None = None
    resumed: bool = False  # read back from the store by a resumed run, not run in this session
    #: what the query policy recorded when it chose this round's questions (its ``info``, e.g.
    #: ``adaptive``'s arm and reward), stored with the questions in the run store; {} for most
    policy: dict[str, Any] = field(default_factory=dict)
    cost: float = 0.0  # cumulative, under the plan's cost model (RunState.cost)
    status: str = COMPLETE  # "started" | "queried" | "complete"
    seed: int | None = None  # the round's training seed, as stored
    checkpoint: str | None = None  # the checkpoint written after it (relative to the run folder)

    @property
    def labels(self) -> int:
        """Answered cells after the round (the store's and the report's word)."""
        return self.labels_used

    @property
    def items(self) -> int:
        """Items touched after the round."""
        return self.items_touched

    @property
    def complete(self) -> bool:
        return self.status == COMPLETE

    @property
    def evaluated(self) -> bool:
        """Whether the round evaluated (with ``evaluate { every N }`` the rounds between carry
        the previous metrics; only an evaluated round is a point of a learning curve)."""
        return "evaluate" in self.timings
