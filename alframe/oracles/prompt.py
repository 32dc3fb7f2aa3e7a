"""The ``prompt`` oracle: a person answers in the terminal, one yes/no question at a time.

Asking one (item, label) question at a time rather than a whole label set is what makes the
``cell`` query unit cheap for a person: a single binary judgement is faster and more reliable
than ticking a long list (Settles, *Active Learning Literature Survey*, 2009, §6.4; Hu et al.,
*Active Learning with Partial Feedback*, ICLR 2019).

Two faces, chosen by ``mode``:

- **the screen** (``mode=screen``; ``auto`` picks it when stdin, stdout and stderr are a
  terminal): a full-terminal annotation screen with a checklist and single keys
  (:mod:`alframe.oracles.screen`, built on textual, imported only then);
- **lines** (``mode=lines``; ``auto`` picks it for pipes: scripted use, tests, CI): for each
  item the id and the text once, then its labels one line at a time: ``y`` yes, ``n`` no,
  ``s`` skip, ``q`` quit.

Either way a skip is remembered for the round (with the round's context: a round resumed after
a quit does not ask it again), nothing typed before a question is shown answers it (the
terminal's pending input is flushed before each question), and quitting — ``q``, Ctrl-C,
SIGTERM, or the input ending — raises :class:`QuitAnnotation`, a ``KeyboardInterrupt`` that
carries the answers given so far, so the engine stores them and stops at a safe point; Ctrl-C
never waits for one more line and never stores one.
"""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TextIO

import numpy as np
from rich.console import Console
from rich.text import Text

from alframe.data.dataset import UNKNOWN, Dataset
from alframe.oracles.args import PromptArgs
from alframe.oracles.cells import as_cells
from alframe.protocols import OracleBase

REPLIES = {"y": 1, "yes": 1, "n": 0, "no": 0, "s": UNKNOWN, "skip": UNKNOWN}
QUIT = ("q", "quit")
MODES = ("auto", "screen", "lines")


class QuitAnnotation(KeyboardInterrupt):
    """The person quit. ``answers`` holds what they gave before (-1 for the rest)."""

    def __init__(self, answers: np.ndarray, asked: int):
        super().__init__(f"annotation stopped after {asked} question(s)")
        self.answers = answers  # int8 [m], same cells as the call
        self.asked = asked


@dataclass(eq=False)
class PromptOracle(PromptArgs, OracleBase):
    """Asks through a rich console; ``input``/``output`` streams replace the terminal in tests.

    Its spec argument is ``mode`` (:class:`~alframe.oracles.args.PromptArgs`); ``input``,
    ``output`` and ``max_text`` (characters of an item's text shown) are for Python callers
    only, keyword-only, and not declared to the registry."""

    source = "prompt"
    #: a person answers: the engine commits each answer as soon as it is given
    interactive = True

    input: TextIO | None = field(default=None, kw_only=True)
    output: TextIO | None = field(default=None, kw_only=True)
    max_text: int = field(default=600, kw_only=True)

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        self.console = Console(file=self.output, highlight=False) if self.output is not None else Console(highlight=False)
        #: (questions answered so far, questions in the round), set by the engine, which asks
        #: one cell per call so that each answer is committed at once
        self.progress: tuple[int, int] | None = None
        #: the round's :class:`~alframe.oracles.context.RunContext`, set by the built-in
        #: annotate stage before each call (None when called without an engine)
        self.context: Any = None
        self._last_item = -1  # an item's text is shown once for its run of questions
        self._screen: Any = None  # the open ScreenSession of the round

    # -- which face ----------------------------------------------------------------------------

    def uses_screen(self) -> bool:
        """The screen with ``mode=screen``; with ``auto`` when no stream was given and stdin,
        stdout and stderr (where the screen draws) are a terminal that can draw."""
        if self.mode == "lines" or self.input is not None or self.output is not None:
            return False
        if self.mode == "screen":
            return True
        import os

        streams = (sys.stdin, sys.stdout, sys.stderr)
        try:
            ttys = all(s is not None and s.isatty() for s in streams)
        except (AttributeError, ValueError):
            ttys = False
        return ttys and os.environ.get("TERM", "") not in ("", "dumb")

    def close(self) -> None:
        """The round's questions are over (the engine calls this, also when a run stops in the
        middle): leave the screen and give the terminal back."""
        screen, self._screen = self._screen, None
        if screen is not None:
            screen.close()

    # -- answering -----------------------------------------------------------------------------

    def answer(
        self, dataset: Dataset, items: np.ndarray, labels: np.ndarray, rng: np.random.Generator
    ) -> np.ndarray:
        items, labels = as_cells(dataset, items, labels)
        if self.uses_screen():
            return self._answer_on_screen(dataset, items, labels)
        out = np.full(len(items), UNKNOWN, dtype=np.int8)  # [m]
        done, total = self.progress if self.progress is not None else (0, len(items))
        ctx = self.context
        for i, (item, label) in enumerate(zip(items.tolist(), labels.tolist())):
            if ctx is not None and ctx.is_skipped(item, label):
                continue  # skipped earlier in this round: not asked again
            if item != self._last_item:
                self._show_item(dataset, item, done + i, total)
                self._last_item = item
            reply = self._ask(dataset.label_names[label])
            if reply is None:
                raise QuitAnnotation(out, i)
            if reply == UNKNOWN and ctx is not None:
                ctx.skip(item, label)
            out[i] = reply
        return out

    def _answer_on_screen(self, dataset: Dataset, items: np.ndarray, labels: np.ndarray) -> np.ndarray:
        from alframe.oracles.context import MemoryContext
        from alframe.oracles.screen import Quit, ScreenSession

        ctx = self.context
        cells = list(zip(items.tolist(), labels.tolist()))
        if ctx is None or ctx.dataset is not dataset:  # called without an engine
            ctx = MemoryContext(dataset, cells)
            self.context = ctx
        elif isinstance(ctx, MemoryContext) and not hasattr(ctx, "state"):
            ctx.add_questions(cells)
        if self._screen is None or self._screen.context is not ctx:
            self.close()
            self._screen = ScreenSession(ctx)
        out = np.full(len(cells), UNKNOWN, dtype=np.int8)  # [m]
        for i, (item, label) in enumerate(cells):
            stored = ctx.value(item, label)
            if stored >= 0:
                out[i] = stored  # answered on the screen already (accept-all): stored once
                continue
            if ctx.is_skipped(item, label):
                continue  # skipped earlier in this round: not asked again
            try:
                out[i] = self._screen.ask(item, label)
            except (Quit, KeyboardInterrupt):
                self.close()  # the terminal is given back before the run says how it stopped
                raise QuitAnnotation(out, i) from None
            except BaseException:
                self.close()
                raise
            ctx.given(item, label, int(out[i]))
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
        """A line of input, or ``None`` when the input has ended or Ctrl-C / SIGTERM came
        (treated as quit: what was being typed is dropped, never stored)."""
        stream = self.input if self.input is not None else sys.stdin
        _flush(stream)  # a line typed before this question was shown is not its answer
        try:
            with _interrupt_reading():
                line = stream.readline()
        except KeyboardInterrupt:
            return None
        return line if line else None


def _flush(stream: Any) -> None:
    """Drop input typed ahead, when ``stream`` is a terminal."""
    try:
        import os
        import termios

        fd = stream.fileno()
        if os.isatty(fd):
            termios.tcflush(fd, termios.TCIFLUSH)
    except (OSError, ValueError, AttributeError, ImportError):
        pass
    except Exception:  # termios.error
        pass


@contextmanager
def _interrupt_reading() -> Iterator[None]:
    """While waiting for a line, Ctrl-C (SIGINT) and SIGTERM end the wait at once.

    The engine's handler only notes a stop (so that training stops at a safe point); a read
    would then go on and store the next line. Here the handler that was there runs first (the
    engine notes the stop) and the read is abandoned with a KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous: dict[int, Any] = {}

    def handler(signum: int, frame: Any) -> None:
        prev = previous.get(signum)
        if callable(prev):
            try:
                prev(signum, frame)
            except KeyboardInterrupt:
                pass
        raise KeyboardInterrupt

    for sig in (signal.SIGINT, signal.SIGTERM):
        previous[sig] = signal.getsignal(sig)
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for signum, prev in previous.items():
            signal.signal(signum, prev)
