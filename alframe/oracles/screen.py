"""The annotation screen of ``oracle prompt`` in a terminal, built on textual.

It shows the item's id and text and, with ``unit item``, every label of the item as a checklist:
the model's guess pre-ticked with its probability, the answers already given, the label being
asked under the cursor; with ``unit cell`` the one question being asked and the model's guess.
Single keys answer (see :data:`KEYS`); the top line always says the round's answered and open
questions and the budget left.

How it keeps a person's answers (see docs/annotating.md):

- **Committed as given.** The engine asks one cell per call and commits the answer as the call
  returns; an answer given for another cell (accept-all for the item's other labels, a changed
  answer after an undo) is committed at once through the round's context
  (:mod:`alframe.oracles.context`). A cell the screen already answered is returned as stored
  when the engine reaches it: the store keeps an equal answer once.
- **Nothing typed ahead is an answer.** The terminal's pending input is flushed when the screen
  starts and when its first question is on screen, and a key counts only if it was read after
  the question it answers was drawn (every key carries the time it was read); keys pressed
  while nothing is asked (start-up, the moment an answer is being committed) are dropped.
- **Ctrl-C quits at once.** The screen reads Ctrl-C as a key (the terminal is in raw mode) and
  quits without storing anything more; a SIGINT or SIGTERM from elsewhere does the same.
  Quitting raises :class:`~alframe.oracles.prompt.QuitAnnotation`: the run stops at a safe
  point (exit 130) and the same command asks what is still open.

The event loop runs in the calling (main) thread: it runs while a question waits for its answer
and is paused in between, while the engine commits the answer and picks the next cell; the
screen stays drawn across the calls of a round and is closed by the oracle's ``close()``, which
the engine calls when a round's questions end (answered, quit, or stopped by an error).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from alframe.data.dataset import UNKNOWN

try:  # the clock textual stamps every key with (monotonic; perf_counter on Windows)
    from textual._time import get_time
except ImportError:  # pragma: no cover - a textual that moved it
    from time import monotonic as get_time

YES, NO = 1, 0

#: key → what it does (shown at the bottom of the screen)
KEYS = {
    "y": "yes",
    "n": "no",
    "enter": "the model's guess",
    "s": "skip",
    "u": "undo",
    "a": "accept all",
    "q": "quit",
}
KEY_LINE = "y yes   n no   ⏎ model's guess   s skip   u undo   a accept all   q / Ctrl-C quit"


class Quit(Exception):
    """The person quit (q, Ctrl-C, a SIGINT or SIGTERM, or the screen could not go on)."""


@dataclass
class Given:
    """One step of the person in this round, for undo: the cell and its value before it."""

    item: int
    label: int
    before: int  # the cell's answer before this step (-1 none)
    after: int  # what the person gave (-1 skip)


def flush_input(stream: Any = None) -> bool:
    """Drop whatever was typed and not read yet, when ``stream`` (stdin) is a terminal."""
    stream = sys.__stdin__ if stream is None else stream
    try:
        import termios  # POSIX; elsewhere the key times alone keep typed-ahead keys out
    except ImportError:  # pragma: no cover - Windows
        return False
    try:
        fd = stream.fileno()
        if os.isatty(fd):
            termios.tcflush(fd, termios.TCIFLUSH)
            return True
    except (OSError, ValueError, AttributeError, termios.error):
        pass
    return False


class AnnotationApp(App[None]):
    """The screen. :meth:`ask` puts the engine's question on it and returns a future for the
    answer (1, 0, or -1 for a skip); the future fails with :class:`Quit` when the person quits."""

    TITLE = "alframe"
    ENABLE_COMMAND_PALETTE = False
    CSS = """
    Screen { layout: vertical; }
    #status { height: 1; background: $primary; color: $text; padding: 0 1; }
    #item { height: auto; max-height: 45%; border: round $secondary; padding: 0 1; }
    #questions { height: 1fr; border: round $accent; padding: 0 1; }
    #message { height: 1; padding: 0 1; color: $warning; }
    #keys { height: 1; background: $panel; padding: 0 1; }
    """
    BINDINGS = [
        Binding("ctrl+c", "quit_annotation", "quit", show=False, priority=True),
        Binding("ctrl+q", "quit_annotation", "quit", show=False, priority=True),
    ]

    def __init__(self, context: Any, *, flush: bool = False) -> None:
        super().__init__()
        self.ctx = context
        self.ds = context.dataset
        self.flush = flush  # drop the terminal's pending input when the first question shows
        self.pending: tuple[int, int] | None = None  # the engine's question, waiting for its answer
        self.future: asyncio.Future[int] | None = None
        self.redo: list[tuple[int, int]] = []  # questions taken back by undo, asked again first
        self.history: list[Given] = []  # this round's steps, for undo
        self.showing: tuple[int, int] | None = None
        self.shown_at: float | None = None  # when the question on screen was drawn; None: not asking
        self.quit_requested = False
        self.ignored = 0  # keys dropped because no question was on screen when they were typed
        self.ready: asyncio.Future[None] | None = None
        self._flushed = False

    # -- layout -------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        with VerticalScroll(id="item", can_focus=False):
            yield Static(id="item-text")
        with VerticalScroll(id="questions", can_focus=False):
            yield Static(id="checklist")
        yield Static(id="message")
        yield Static(Text(KEY_LINE), id="keys")

    def on_mount(self) -> None:
        self._draw_status()
        self.call_after_refresh(self._mark_ready)

    def _mark_ready(self) -> None:
        if self.ready is not None and not self.ready.done():
            self.ready.set_result(None)

    # -- the engine's side --------------------------------------------------------------------

    def ask(self, item: int, label: int, future: asyncio.Future[int]) -> None:
        """Show the engine's question (after any question undo took back)."""
        self.pending, self.future = (item, label), future
        if self.quit_requested:
            self._fail_pending()
            return
        self._show()

    def _resolve(self, value: int) -> None:
        future, self.future, self.pending = self.future, None, None
        self.showing, self.shown_at = None, None  # nothing asked until the engine's next call
        if future is not None and not future.done():
            future.set_result(value)

    def _fail_pending(self) -> None:
        future, self.future, self.pending = self.future, None, None
        if future is not None and not future.done():
            future.set_exception(Quit())

    # -- what is on screen ----------------------------------------------------------------------

    def _show(self) -> None:
        self.showing = self.redo[-1] if self.redo else self.pending
        self.shown_at = None
        if self.showing is None:
            return
        item, label = self.showing
        self._draw_status()
        self._draw_item(item)
        self._draw_questions(item, label)
        self.call_after_refresh(self._accept_keys)

    def _accept_keys(self) -> None:
        """The question is drawn: keys read from now on answer it."""
        if self.flush and not self._flushed:
            flush_input()  # whatever the terminal still holds was typed before this question
            self._flushed = True
        self.shown_at = get_time()

    def _draw_status(self) -> None:
        answered, still, left = self.ctx.counts()
        parts = [f"alframe {self.ctx.name}".strip(), f"round {self.ctx.round}", f"answered {answered}", f"open {still}"]
        parts.append("budget left " + ("—" if left is None else f"{left:,}"))
        self.query_one("#status", Static).update(Text("  ·  ".join(parts)))

    def _draw_item(self, item: int) -> None:
        text = Text()
        text.append(f"item {self.ds.ids[item]}\n", style="bold")
        body = self.ds.texts[item] if item < len(self.ds.texts) else ""
        text.append(body or "(no text)", style="" if body else "dim")
        self.query_one("#item-text", Static).update(text)

    def _draw_questions(self, item: int, label: int) -> None:
        widget = self.query_one("#checklist", Static)
        probs = self.ctx.guess(item)
        if self.ctx.unit == "item":
            widget.update(self._checklist(item, label, probs))
            box = self.query_one("#questions", VerticalScroll)
            # the label asked stays in view in a long checklist
            self.call_after_refresh(lambda: box.scroll_to(y=max(0, label - 2), animate=False))
        else:
            widget.update(self._one_question(item, label, probs))

    def _guess_of(self, probs: np.ndarray | None, label: int) -> tuple[int, float] | None:
        if probs is None:
            return None
        p = float(probs[label])
        return (YES if p >= float(self.ctx.thresholds[label]) else NO), p

    def _checklist(self, item: int, current: int, probs: np.ndarray | None) -> Text:
        names = self.ds.label_names
        width = max(len(n) for n in names) if names else 0
        out = Text()
        for j, name in enumerate(names):
            v = self.ctx.value(item, j)
            here = j == current
            guess = self._guess_of(probs, j)
            out.append("▶ " if here else "  ", style="bold")
            if v >= 0:
                out.append("[x] " if v == YES else "[ ] ", style="bold")
                out.append(name.ljust(width), style="bold reverse" if here else "bold")
                out.append(f"  {'yes' if v == YES else 'no'}", style="green" if v == YES else "red")
                if here:
                    out.append("  ← again: yes or no? (s keeps it)", style="bold")
            else:
                box = "[?] " if guess is None else ("[x] " if guess[0] == YES else "[ ] ")
                out.append(box, style="" if here else "dim")
                out.append(name.ljust(width), style="bold reverse" if here else "")
                out.append("  " + ("     " if guess is None else f"{guess[1]:.2f} "), style="dim")
                if self.ctx.is_skipped(item, j):
                    out.append(" skipped", style="yellow")
                elif here:
                    out.append(" ← yes or no?", style="bold")
                elif not self.ctx.asked(item, j):
                    out.append(" not asked", style="dim")
            out.append("\n")
        if probs is None:
            out.append("\nno model guess yet: the model is first trained at the end of round 0", style="dim")
        else:
            out.append("\n[x] ticked: the model's guess (its probability beside it); ⏎ takes it, a takes all", style="dim")
        return out

    def _one_question(self, item: int, label: int, probs: np.ndarray | None) -> Text:
        out = Text()
        out.append("Does it have the label  ")
        out.append(self.ds.label_names[label], style="bold reverse")
        out.append("  ?\n\n")
        now = self.ctx.value(item, label)
        if now >= 0:
            out.append(f"answered {_word(now)}: answer again (s keeps it)\n", style="bold")
        guess = self._guess_of(probs, label)
        if guess is None:
            out.append("no model guess yet: the model is first trained at the end of round 0", style="dim")
        else:
            out.append(f"the model's guess: {'yes' if guess[0] == YES else 'no'} (probability {guess[1]:.2f})", style="dim")
        answered = [
            (j, self.ctx.value(item, j)) for j in range(self.ds.n_labels) if j != label and self.ctx.value(item, j) >= 0
        ]
        if answered:
            said = ", ".join(f"{self.ds.label_names[j]} {'yes' if v == YES else 'no'}" for j, v in answered)
            out.append(f"\nalready answered for this item: {said}", style="dim")
        return out

    def _say(self, text: str) -> None:
        self.query_one("#message", Static).update(Text(text))

    # -- the person's side ----------------------------------------------------------------------

    def on_key(self, event: Any) -> None:
        key = event.key
        if key in ("q", "Q"):
            event.stop()
            self.action_quit_annotation()
            return
        if key not in ("y", "n", "enter", "space", "s", "u", "backspace", "a", "Y", "N", "S", "U", "A"):
            return
        event.stop()
        if self.shown_at is None or self.showing is None or event.time < self.shown_at:
            self.ignored += 1  # typed before the question was on screen: never an answer
            return
        key = key.lower()
        item, label = self.showing
        if key == "y":
            self._give(YES)
        elif key == "n":
            self._give(NO)
        elif key == "s":
            self._give(UNKNOWN)
        elif key in ("enter", "space"):
            guess = self._guess_of(self.ctx.guess(item), label)
            if guess is None:
                self._say("no model guess yet in this round: answer y or n")
                self.bell()
            else:
                self._give(guess[0])
        elif key in ("u", "backspace"):
            self._undo()
        elif key == "a":
            self._accept_all()

    def _give(self, value: int) -> None:
        """The person answered the question on screen (``-1``: skipped it)."""
        assert self.showing is not None
        item, label = self.showing
        name = f"{self.ds.ids[item]} / {self.ds.label_names[label]}"
        before = self.ctx.value(item, label)
        if self.redo:  # self.showing is the top of redo
            # a question asked again after an undo: a different answer is the cell's next
            # revision, committed now; a skip keeps what it had
            self.redo.pop()
            if value >= 0 and value != before:
                self.ctx.record(item, label, value)
                self._say(f"changed {name}: {_word(before)} → {_word(value)}")
            else:
                self._say(f"kept {name}: {_word(before)}")
            self.history.append(Given(item, label, before, value))
            self._show()
            return
        self.history.append(Given(item, label, before, value))
        if value < 0:
            self.ctx.skip(item, label)  # remembered: not asked again in this round
            self._say(f"skipped {name}")
        else:
            self._say(f"{name}: {_word(value)}")
        self._resolve(value)

    def _undo(self) -> None:
        if not self.history:
            self._say("nothing to undo in this round")
            self.bell()
            return
        step = self.history.pop()
        self.redo.append((step.item, step.label))
        now = self.ctx.value(step.item, step.label)
        self._show()
        self._say(
            f"undo: answer {self.ds.ids[step.item]} / {self.ds.label_names[step.label]} again "
            f"(now {_word(now)}; s keeps it)"
        )

    def _accept_all(self) -> None:
        """The model's guesses for every open question of the item on screen (unit item), or
        for the question on screen (unit cell); each one is committed as it is accepted."""
        assert self.showing is not None
        item, label = self.showing
        probs = self.ctx.guess(item)
        if probs is None:
            self._say("no model guess yet in this round: answer y or n")
            self.bell()
            return
        cells = [label]
        if self.ctx.unit == "item":
            cells += [j for j in self.ctx.open_labels(item) if j != label]
        taken: list[tuple[int, int]] = []
        for_engine: int | None = None
        for j in cells:
            guess = self._guess_of(probs, j)
            assert guess is not None
            taken.append((j, guess[0]))
            if (item, j) == self.pending:
                for_engine = guess[0]  # the engine's question: answered by returning it, last
                continue
            if (item, j) in self.redo:
                self.redo.remove((item, j))
            before = self.ctx.value(item, j)
            if guess[0] != before:
                self.ctx.record(item, j, guess[0])  # committed now
            self.history.append(Given(item, j, before, guess[0]))
        said = ", ".join(f"{self.ds.label_names[j]} {_word(v)}" for j, v in taken)
        self._say(f"accepted the model's guesses for {self.ds.ids[item]}: {said}")
        if for_engine is not None and self.pending is not None:
            self.history.append(Given(*self.pending, self.ctx.value(*self.pending), for_engine))
            self._resolve(for_engine)
        else:
            self._show()

    def action_quit_annotation(self) -> None:
        """q or Ctrl-C: stop now. Nothing more is stored; every answer given is kept."""
        self.quit_requested = True
        self.shown_at = None
        self._fail_pending()


def _word(value: int) -> str:
    return {YES: "yes", NO: "no"}.get(value, "unanswered")


class ScreenSession:
    """The screen across the calls of one round: started on the first question, closed by
    :meth:`close`. The event loop runs in this (the main) thread only while a question waits.

    :param headless: draw nowhere (tests); keys then come from ``pilot`` calls
    """

    def __init__(self, context: Any, *, headless: bool = False, size: tuple[int, int] | None = None) -> None:
        self.context = context
        self.headless = headless
        self.size = size
        self.loop: asyncio.AbstractEventLoop | None = None
        self.app: AnnotationApp | None = None
        self.task: asyncio.Task[Any] | None = None
        self._saved: dict[int, Any] = {}

    @property
    def is_open(self) -> bool:
        return self.app is not None

    def open(self) -> None:
        if not self.headless:
            flush_input()  # keys typed while the run started or trained are no answers
        self._save_signals()
        self.loop = asyncio.new_event_loop()
        self.app = AnnotationApp(self.context, flush=not self.headless)
        self.app.ready = self.loop.create_future()
        self.task = self.loop.create_task(self.app.run_async(headless=self.headless, size=self.size, mouse=False))
        self._wait(self.app.ready)

    def ask(self, item: int, label: int) -> int:
        """The person's answer to the cell: 1, 0 or -1 (skipped). Raises :class:`Quit`."""
        if self.app is None:
            self.open()
        assert self.app is not None and self.loop is not None
        future: asyncio.Future[int] = self.loop.create_future()
        self.app.call_later(self.app.ask, item, label, future)
        with self._signals_quit():
            return self._wait(future)

    def _wait(self, future: asyncio.Future[Any]) -> Any:
        """Run the loop until ``future`` is done or the screen ended by itself (a crash)."""
        assert self.loop is not None and self.task is not None

        async def either() -> Any:
            assert self.task is not None
            await asyncio.wait({future, self.task}, return_when=asyncio.FIRST_COMPLETED)

        self.loop.run_until_complete(either())
        if future.done():
            return future.result()  # raises Quit when the person quit
        exc = self.task.exception() if not self.task.cancelled() else None
        self.close()
        if exc is not None:
            raise exc
        raise Quit()  # the screen ended without an answer (a closed terminal)

    def close(self) -> None:
        """Leave the screen and give the terminal back as it was."""
        app, loop, task = self.app, self.loop, self.task
        self.app = self.loop = self.task = None
        try:
            if app is not None and loop is not None and task is not None and not loop.is_closed():
                if not task.done():
                    app.call_later(app.exit)
                    loop.run_until_complete(asyncio.wait({task}, timeout=5))
                if not task.done():
                    task.cancel()
                    loop.run_until_complete(asyncio.wait({task}, timeout=2))
        finally:
            if loop is not None and not loop.is_closed():
                loop.close()
            self._restore_signals()

    # -- signals ------------------------------------------------------------------------------

    def _save_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for name in ("SIGTSTP", "SIGCONT", "SIGWINCH"):  # textual's driver sets these (POSIX)
            sig = getattr(signal, name, None)
            if sig is not None:
                self._saved[sig] = signal.getsignal(sig)

    def _restore_signals(self) -> None:
        for sig, handler in self._saved.items():
            try:
                signal.signal(sig, handler if handler is not None else signal.SIG_DFL)
            except (ValueError, OSError, TypeError):
                pass
        self._saved = {}

    def _signals_quit(self) -> Any:
        """While a question waits: SIGINT or SIGTERM (sent from elsewhere: in the screen
        Ctrl-C is a key) go to the handler that was there (the engine notes the stop) and end
        the wait as a quit."""
        session = self

        class _Guard:
            def __enter__(self) -> None:
                self.previous: dict[int, Any] = {}
                if threading.current_thread() is not threading.main_thread():
                    return
                for sig in (signal.SIGINT, signal.SIGTERM):
                    prev = signal.getsignal(sig)
                    self.previous[sig] = prev

                    def handler(signum: int, frame: Any, prev: Any = prev) -> None:
                        app, loop = session.app, session.loop
                        if app is not None and loop is not None and not loop.is_closed():
                            loop.call_soon_threadsafe(app.action_quit_annotation)
                        if callable(prev):
                            try:
                                prev(signum, frame)
                            except KeyboardInterrupt:
                                pass

                    signal.signal(sig, handler)

            def __exit__(self, *exc: object) -> None:
                for sig, prev in self.previous.items():
                    signal.signal(sig, prev)

        return _Guard()
