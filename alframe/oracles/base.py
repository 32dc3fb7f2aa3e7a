"""The oracle contract: whoever answers the questions (a simulation, a file, a person)."""

from __future__ import annotations

from typing import Protocol

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
        """
        ...
