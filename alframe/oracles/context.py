"""What a person answering in the terminal sees of the run, beyond the cell being asked.

The engine asks an interactive oracle one cell per call and commits each answer as the call
returns (a person's answer is never lost). A screen needs more than that cell: the item's other
labels and their answers, the model's guess for each, the round's questions still open, the
budget left, and a way to commit an answer given for a cell other than the one asked (an undo
that changes an answer, accept-all for the item's other labels). The built-in annotate stage
(:func:`alframe.builtin.stages.alframe_annotate`) gives that to every oracle that declares a
``context`` attribute: a :class:`RunContext` over the run state, one per round. Called without
an engine (a test, a plugin calling ``answer`` itself), an oracle uses :class:`MemoryContext`.

Both keep the same promises as the engine:

- an answer is committed when it is given (``record`` writes ``run.db`` at once) and never
  stored twice (the store keeps an equal answer once; a different one becomes the cell's next
  revision, with who and when, as ``alframe answer`` does);
- a skip is remembered for the round (``skip`` logs an ``annotation_skipped`` event in run.db),
  so a round resumed after a quit does not ask a skipped cell again; the cell stays unknown
  and a later round's policy may choose it again.

numpy only here; the model is asked for its guess (torch) only when a screen shows an item.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import numpy as np

from alframe.data.dataset import UNKNOWN

if TYPE_CHECKING:
    from alframe.data.dataset import Dataset
    from alframe.state import RunState

SKIP_EVENT = "annotation_skipped"


class MemoryContext:
    """A context without a run: answers and skips kept in memory (tests, direct calls).

    :param questions: the round's cells ``(item index, label index)``, in asking order
    :param guesses: optional model probabilities ``[n_items, n_labels]``
    """

    def __init__(
        self,
        dataset: Dataset,
        questions: list[tuple[int, int]],
        *,
        unit: str = "cell",
        guesses: np.ndarray | None = None,
        thresholds: np.ndarray | None = None,
        budget: int | None = None,
        round: int = 0,
        name: str = "",
    ) -> None:
        self.dataset = dataset
        self.unit = unit
        self.round = round
        self.name = name
        self._questions: dict[tuple[int, int], float] = {q: 1.0 for q in questions}
        self._order = list(questions)
        self._guesses = guesses
        self.thresholds = np.full(dataset.n_labels, 0.5) if thresholds is None else np.asarray(thresholds)
        self._budget = budget
        self.answers: dict[tuple[int, int], int] = {}
        self.skipped: set[tuple[int, int]] = set()
        #: every answer recorded outside the engine's calls: (item, label, value)
        self.recorded: list[tuple[int, int, int]] = []

    def add_questions(self, cells: list[tuple[int, int]]) -> None:
        for c in cells:
            if c not in self._questions:
                self._questions[c] = 1.0
                self._order.append(c)

    # -- what the screen reads ---------------------------------------------------------------

    def value(self, item: int, label: int) -> int:
        return self.answers.get((item, label), UNKNOWN)

    def asked(self, item: int, label: int) -> bool:
        return (item, label) in self._questions

    def is_skipped(self, item: int, label: int) -> bool:
        return (item, label) in self.skipped

    def open_labels(self, item: int) -> list[int]:
        """The item's questions of this round with no answer and not skipped, in asking order."""
        return [j for i, j in self._order if i == item and self.value(i, j) < 0 and (i, j) not in self.skipped]

    def guess(self, item: int) -> np.ndarray | None:
        """The model's probability per label for the item, or None (no model trained yet)."""
        return None if self._guesses is None else np.asarray(self._guesses[item], dtype=np.float64)

    def counts(self) -> tuple[int, int, int | None]:
        """``(answered, open, budget left)`` of this round's questions (budget None: unbounded)."""
        answered = sum(1 for c in self._order if self.value(*c) >= 0)
        still = sum(1 for c in self._order if self.value(*c) < 0 and c not in self.skipped)
        left = None if self._budget is None else self._budget - len(self.answers)
        return answered, still, left

    # -- what the screen writes ---------------------------------------------------------------

    def record(self, item: int, label: int, value: int) -> None:
        self.answers[(item, label)] = int(value)
        self.recorded.append((item, label, int(value)))

    def given(self, item: int, label: int, value: int) -> None:
        """The engine committed ``value`` for the cell (the answer the call returned)."""
        if value >= 0:
            self.answers[(item, label)] = int(value)

    def skip(self, item: int, label: int) -> None:
        self.skipped.add((item, label))


class RunContext(MemoryContext):
    """The context of one round of a run: reads and writes the run state and its store."""

    def __init__(self, state: RunState, source: str) -> None:
        ds = state.dataset
        questions: list[tuple[int, int]] = []
        probs: dict[tuple[int, int], float] = {}
        for item, label, p, _ in state.store.queries(state.round):
            cell = (ds.index_of(item), ds.label_index(label))
            questions.append(cell)
            probs[cell] = float(p)
        super().__init__(ds, questions, unit=state.plan.query.unit, round=state.round, name=state.plan.name)
        self._questions = probs
        self.state = state
        self.source = source
        self._guess_cache: dict[int, np.ndarray | None] = {}
        thresholds = getattr(state.bundle, "thresholds", None)
        if thresholds is not None:
            self.thresholds = np.asarray(thresholds, dtype=np.float64).reshape(-1)
        self.skipped = self._skips_of_round()

    def _skips_of_round(self) -> set[tuple[int, int]]:
        ds = self.dataset
        out: set[tuple[int, int]] = set()
        for _, kind, detail in self.state.store.events():
            if kind != SKIP_EVENT:
                continue
            d = json.loads(detail)
            if d.get("round") == self.round:
                try:
                    out.add((ds.index_of(d["item"]), ds.label_index(d["label"])))
                except Exception:  # an id or label the data no longer has
                    continue
        return out

    def value(self, item: int, label: int) -> int:
        return int(self.state.answers[item, label])

    def guess(self, item: int) -> np.ndarray | None:
        if not self.state.history:  # round 0 of a run: nothing trained yet
            return None
        if item not in self._guess_cache:
            from alframe.hookcall import on_behalf_of

            with on_behalf_of(self.state.model_by, "the model", result=False):
                probs = self.state.bundle.predict_proba(np.array([item], dtype=np.int64))  # [1, L, K]
            self._guess_cache[item] = np.asarray(probs.mean(dim=2)[0].cpu().numpy(), dtype=np.float64)  # [L]
        return self._guess_cache[item]

    def counts(self) -> tuple[int, int, int | None]:
        answered, still, _ = super().counts()
        return answered, still, self.state.plan.query.budget - self.state.labels_used

    def record(self, item: int, label: int, value: int) -> None:
        """Commit a person's answer for a cell of this round now: the cell's first answer, or
        its next revision when it had a different one (kept with who and when)."""
        from alframe.record import Answer

        ds, st = self.dataset, self.state
        p = self._questions.get((item, label), float(st.query_prob[item, label]) or 1.0)
        answer = Answer(ds.ids[item], ds.label_names[label], int(value), st.round, p, 1.0 / p, self.source)
        recorded = st.store.record_answers([answer])  # committed before anything uses it
        if recorded.new or recorded.revised:
            st.answers[item, label] = int(value)
            st.query_prob[item, label] = p
            self.recorded.append((item, label, int(value)))
        if recorded.revised:
            st.store.log_event(
                "answers_revised",
                {"round": st.round, "source": self.source, "cells": [str(r) for r in recorded.revised]},
            )

    def given(self, item: int, label: int, value: int) -> None:
        pass  # the engine keeps the state in step with the store itself

    def skip(self, item: int, label: int) -> None:
        ds = self.dataset
        self.state.store.log_event(
            SKIP_EVENT, {"round": self.round, "item": ds.ids[item], "label": ds.label_names[label], "source": self.source}
        )
        self.skipped.add((item, label))


def context_for(state: RunState, source: str, current: Any) -> RunContext:
    """The round's context: ``current`` when it is this round's, a new one otherwise."""
    if isinstance(current, RunContext) and current.state is state and current.round == state.round:
        return current
    return RunContext(state, source)
