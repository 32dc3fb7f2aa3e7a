"""The ``prompt`` oracle: a person answers in the terminal, one yes/no question at a time.

Asking one (item, label) question at a time rather than a whole label set is what makes the
``cell`` query unit cheap for a person: a single binary judgement is faster and more reliable
than ticking a long list (Settles, *Active Learning Literature Survey*, 2009, §6.4; Hu et al.,
*Active Learning with Partial Feedback*, ICLR 2019).

For each item it shows the id and the text once, then asks its labels:
``y`` yes, ``n`` no, ``s`` skip (the cell stays unknown and may be asked again), ``q`` quit.
Quitting (or the input ending) raises :class:`QuitAnnotation`, a ``KeyboardInterrupt`` that
carries the answers given so far, so the engine can store them and stop at a safe point.
"""

from __future__ import annotations

import sys
from typing import TextIO

import numpy as np
from rich.console import Console
from rich.text import Text

from alframe.data.dataset import UNKNOWN, Dataset
from alframe.oracles.cells import as_cells

REPLIES = {"y": 1, "yes": 1, "n": 0, "no": 0, "s": UNKNOWN, "skip": UNKNOWN}
QUIT = ("q", "quit")


class QuitAnnotation(KeyboardInterrupt):
    """The person quit. ``answers`` holds what they gave before (-1 for the rest)."""

    def __init__(self, answers: np.ndarray, asked: int):
        super().__init__(f"annotation stopped after {asked} question(s)")
        self.answers = answers  # int8 [m], same cells as the call
        self.asked = asked


class PromptOracle:
    """Asks through a rich console; ``input``/``output`` streams replace the terminal in tests."""

    source = "prompt"
    #: a person answers: the engine commits each answer as soon as it is given
    interactive = True

    def __init__(self, input: TextIO | None = None, output: TextIO | None = None, max_text: int = 600):
        self.input = input
        self.console = Console(file=output, highlight=False) if output is not None else Console(highlight=False)
        self.max_text = max_text
        #: (questions answered so far, questions in the round), set by the engine, which asks
        #: one cell per call so that each answer is committed at once
        self.progress: tuple[int, int] | None = None
        self._last_item = -1  # an item's text is shown once for its run of questions

    def answer(
        self, dataset: Dataset, items: np.ndarray, labels: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        items, labels = as_cells(dataset, items, labels)
        out = np.full(len(items), UNKNOWN, dtype=np.int8)  # [m]
        done, total = self.progress if self.progress is not None else (0, len(items))
        for i, (item, label) in enumerate(zip(items.tolist(), labels.tolist())):
            if item != self._last_item:
                self._show_item(dataset, item, done + i, total)
                self._last_item = item
            try:
                reply = self._ask(dataset.label_names[label])
            except KeyboardInterrupt:  # Ctrl-C at the prompt: keep what was answered
                reply = None
            if reply is None:
                raise QuitAnnotation(out, i)
            out[i] = reply
        return out

    def _show_item(self, dataset: Dataset, item: int, done: int, total: int) -> None:
        text = dataset.texts[item] if item < len(dataset.texts) else ""
        if len(text) > self.max_text:
            text = text[: self.max_text] + "…"
        self.console.print(Text(f"\n[{done + 1}/{total}] item {dataset.ids[item]}", style="bold"))
        if text:
            self.console.print(Text(text))

    def _ask(self, label: str) -> int | None:
        """One question until a valid reply; ``None`` means quit."""
        while True:
            self.console.print(Text.assemble("  ", (label, "cyan"), "? [y/n/s/q] "), end="")
            line = self._read_line()
            if line is None:
                return None
            reply = line.strip().lower()
            if reply in QUIT:
                return None
            if reply in REPLIES:
                return REPLIES[reply]
            self.console.print(Text(f"  please answer y (yes), n (no), s (skip) or q (quit), not {reply!r}"))

    def _read_line(self) -> str | None:
        """A line of input, or ``None`` when the input has ended (treated as quit)."""
        stream = self.input if self.input is not None else sys.stdin
        line = stream.readline()
        return line if line else None
