"""The oracle contract: whoever answers the questions (a simulation, a file, a person)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

import numpy as np

from alframe.data.dataset import Dataset


class Oracle(Protocol):
    #: who answered, stored as each answer's `source` in the run database ("simulated",
    #: "prompt", "file answers.csv", ...)
    source: str

    def answer(
        self, dataset: Dataset, items: np.ndarray, labels: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        """Answers for the cells (items[i], labels[i]): int8 array of 0/1, same length.

        May return -1 for a cell the oracle cannot answer (it is then not stored and not
        counted against the budget). Raises :class:`alframe.errors.DataError` for a bad answer.

        An oracle whose answers can change after they were given (a file a person edits) may
        also have ``given(dataset) -> {(item index, label index): 0 or 1}``, everything it
        answers now: the engine reads it as each round starts and keeps a changed answer as
        the cell's next revision (:mod:`alframe.answers`).

        A person answering (``interactive = True``) is asked one cell per call, and each answer
        is committed as the call returns. Such an oracle may also have:

        - ``progress``: set by the engine before each call to ``(calls so far, cells to ask)``;
        - ``context``: set by the built-in annotate stage before each call to the round's
          :class:`alframe.oracles.context.RunContext` (declare it as ``None``): the round's
          questions, the current answers, the model's probabilities for an item
          (``guess(item)``, None before the first model), answered / open / budget left
          (``counts()``), ``record(item, label, value)`` to commit at once an answer given for
          another cell than the one asked (a changed answer is kept as the cell's next
          revision), and ``skip(item, label)``, remembered for the round in run.db;
        - ``close()``: called by the engine when a round's questions end, answered or not (a
          quit, a stop, an error), to give the terminal back.
        """
        ...


@contextmanager
def closing_questions(oracle: Any) -> Iterator[None]:
    """Around a round's questions: the oracle's ``close()``, if it has one, when they end."""
    try:
        yield
    finally:
        close = getattr(oracle, "close", None)
        if callable(close):
            close()
