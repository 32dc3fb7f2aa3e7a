"""The annotation screen driven headless with textual's own pilot: answers, type-ahead, skip,
undo, accept-all and quit, against an in-memory round (:class:`MemoryContext`)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import numpy as np
import pytest
from oracle_data import small_dataset

pytest.importorskip("textual")

from alframe.oracles.context import MemoryContext  # noqa: E402
from alframe.oracles.prompt import PromptOracle  # noqa: E402
from alframe.oracles.screen import AnnotationApp, Quit  # noqa: E402

# the model's probabilities for every item: outdoor yes (0.9), kids no (0.2), garden yes (0.6)
GUESSES = np.tile(np.array([0.9, 0.2, 0.6]), (6, 1))


def context(questions: list[tuple[int, int]], unit: str = "item", guesses: np.ndarray | None = GUESSES) -> MemoryContext:
    return MemoryContext(small_dataset(), questions, unit=unit, guesses=guesses, budget=50, round=2, name="t")


class Engine:
    """Plays the engine's part: one cell per call, each answer stored as the call returns."""

    def __init__(self, app: AnnotationApp, pilot: Any) -> None:
        self.app, self.pilot = app, pilot
        self.future: asyncio.Future[int] | None = None
        self.cell: tuple[int, int] | None = None

    async def ask(self, item: int, label: int) -> None:
        """Put the cell on screen and wait until it is drawn (keys before that do not count)."""
        self.cell = (item, label)
        self.future = asyncio.get_running_loop().create_future()
        self.app.ask(item, label, self.future)
        await self.drawn()

    async def drawn(self) -> None:
        for _ in range(50):
            await self.pilot.pause()
            if self.app.shown_at is not None or self.future is None or self.future.done():
                return
        raise AssertionError("the question was never drawn")

    async def answer(self) -> int:
        """The call's result, stored as the engine would."""
        assert self.future is not None and self.cell is not None
        await self.pilot.pause()
        assert self.future.done(), "no answer yet"
        value = self.future.result()
        self.app.ctx.given(*self.cell, value)
        return value


def drive(ctx: MemoryContext, script: Callable[[AnnotationApp, Any, Engine], Awaitable[None]]) -> AnnotationApp:
    app = AnnotationApp(ctx)

    async def main() -> None:
        async with app.run_test(size=(100, 30)) as pilot:
            await script(app, pilot, Engine(app, pilot))

    asyncio.run(main())
    return app


def screen_text(app: AnnotationApp) -> str:
    parts = [str(app.query_one(f"#{name}").render()) for name in ("status", "item-text", "checklist", "message")]
    return "\n".join(parts)


def test_yes_and_no_answer_the_question_on_screen_and_the_counts_follow() -> None:
    ctx = context([(1, 0), (1, 1), (1, 2)])

    async def script(app: AnnotationApp, pilot: Any, engine: Engine) -> None:
        await engine.ask(1, 0)
        shown = screen_text(app)
        assert "item sku-001" in shown and "product 1" in shown
        assert "round 2" in shown and "answered 0" in shown and "open 3" in shown and "budget left 50" in shown
        assert "[x] outdoor" in shown and "0.90" in shown and "[ ] kids" in shown and "0.20" in shown
        await pilot.press("y")
        assert await engine.answer() == 1
        await engine.ask(1, 1)
        assert "answered 1" in screen_text(app) and "open 2" in screen_text(app)
        await pilot.press("n")
        assert await engine.answer() == 0
        await engine.ask(1, 2)
        await pilot.press("enter")  # the model's guess: garden 0.6 → yes
        assert await engine.answer() == 1

    drive(ctx, script)
    assert ctx.answers == {(1, 0): 1, (1, 1): 0, (1, 2): 1}
    assert ctx.recorded == []  # every answer went back through the engine's call


def test_keys_typed_before_a_question_is_drawn_are_never_answers() -> None:
    ctx = context([(1, 0), (1, 1)])

    async def script(app: AnnotationApp, pilot: Any, engine: Engine) -> None:
        await pilot.press("y", "n", "a")  # nothing asked yet
        future = asyncio.get_running_loop().create_future()
        app.ask(1, 0, future)
        await pilot.press("y")  # the question is set but not drawn yet
        await pilot.pause()
        assert not future.done() and app.ignored == 4
        engine.future, engine.cell = future, (1, 0)
        await engine.drawn()
        await pilot.press("n")
        assert await engine.answer() == 0
        await pilot.press("y", "y")  # between the answer and the next question: dropped
        await pilot.pause()
        await engine.ask(1, 1)
        assert not engine.future.done() and app.ignored == 6
        await pilot.press("y")
        assert await engine.answer() == 1

    drive(ctx, script)
    assert ctx.answers == {(1, 0): 0, (1, 1): 1}


def test_a_skip_leaves_the_cell_unknown_and_is_remembered_for_the_round() -> None:
    ctx = context([(1, 0), (1, 1)])

    async def script(app: AnnotationApp, pilot: Any, engine: Engine) -> None:
        await engine.ask(1, 0)
        await pilot.press("s")
        assert await engine.answer() == -1
        await engine.ask(1, 1)
        assert "skipped" in screen_text(app) and "open 1" in screen_text(app)

    drive(ctx, script)
    assert ctx.answers == {} and ctx.skipped == {(1, 0)}
    # asked again in the same round (a resumed round), the oracle answers it as skipped
    oracle = PromptOracle(mode="screen")
    oracle.context = ctx
    got = oracle.answer(ctx.dataset, np.array([1]), np.array([0]), np.random.default_rng(0))
    assert got.tolist() == [-1]
    assert oracle._screen is None or not oracle._screen.is_open  # nothing was put on screen


def test_undo_asks_the_last_question_again_and_a_different_answer_is_committed_at_once() -> None:
    ctx = context([(1, 0), (1, 1), (1, 2)])

    async def script(app: AnnotationApp, pilot: Any, engine: Engine) -> None:
        await engine.ask(1, 0)
        await pilot.press("y")
        await engine.answer()
        await engine.ask(1, 1)
        await pilot.press("n")
        await engine.answer()
        await engine.ask(1, 2)
        await pilot.press("u")  # back to kids (answered no)
        await pilot.pause()
        assert app.showing == (1, 1) and "again" in screen_text(app)
        await pilot.press("u")  # back to outdoor (answered yes)
        await pilot.pause()
        assert app.showing == (1, 0)
        await pilot.press("n")  # outdoor changed: committed now, as the cell's next answer
        await pilot.pause()
        assert ctx.recorded == [(1, 0, 0)] and app.showing == (1, 1)
        await pilot.press("s")  # kids asked again: s keeps its answer
        await pilot.pause()
        assert app.showing == (1, 2) and ctx.value(1, 1) == 0
        await pilot.press("y")  # the engine's question, still waiting, answered last
        assert await engine.answer() == 1

    drive(ctx, script)
    assert ctx.answers == {(1, 0): 0, (1, 1): 0, (1, 2): 1}
    assert ctx.recorded == [(1, 0, 0)]  # kids kept: nothing stored twice


def test_undo_with_nothing_given_says_so() -> None:
    ctx = context([(1, 0)])

    async def script(app: AnnotationApp, pilot: Any, engine: Engine) -> None:
        await engine.ask(1, 0)
        await pilot.press("u")
        await pilot.pause()
        assert "nothing to undo" in screen_text(app) and not engine.future.done()

    drive(ctx, script)


def test_accept_all_takes_the_models_guesses_for_every_open_label_of_the_item() -> None:
    ctx = context([(1, 0), (1, 1), (1, 2), (2, 0)])

    async def script(app: AnnotationApp, pilot: Any, engine: Engine) -> None:
        await engine.ask(1, 0)
        await pilot.press("a")
        assert await engine.answer() == 1  # outdoor 0.9: the engine's question
        # kids (0.2 → no) and garden (0.6 → yes) were committed as they were accepted
        assert ctx.recorded == [(1, 1, 0), (1, 2, 1)]
        assert "accepted the model's guesses for sku-001" in screen_text(app)

    drive(ctx, script)
    assert ctx.answers == {(1, 0): 1, (1, 1): 0, (1, 2): 1}
    # when the engine asks kids and garden, the oracle gives what is stored, without asking
    oracle = PromptOracle(mode="screen")
    oracle.context = ctx
    got = oracle.answer(ctx.dataset, np.array([1, 1]), np.array([1, 2]), np.random.default_rng(0))
    assert got.tolist() == [0, 1]


def test_accept_all_with_unit_cell_takes_the_guess_of_the_question_shown() -> None:
    ctx = context([(1, 0), (1, 2)], unit="cell")

    async def script(app: AnnotationApp, pilot: Any, engine: Engine) -> None:
        await engine.ask(1, 2)
        shown = screen_text(app)
        assert "Does it have the label  garden" in shown and "the model's guess: yes (probability 0.60)" in shown
        assert "outdoor" not in str(app.query_one("#checklist").render())  # one question at a time
        await pilot.press("a")
        assert await engine.answer() == 1

    drive(ctx, script)
    assert ctx.recorded == [] and ctx.answers == {(1, 2): 1}


def test_without_a_model_yet_there_is_no_guess_to_accept() -> None:
    ctx = context([(1, 0), (1, 1)], guesses=None)

    async def script(app: AnnotationApp, pilot: Any, engine: Engine) -> None:
        await engine.ask(1, 0)
        assert "no model guess yet" in screen_text(app)
        await pilot.press("a")
        await pilot.press("enter")
        await pilot.pause()
        assert not engine.future.done() and ctx.recorded == []
        await pilot.press("y")
        assert await engine.answer() == 1

    drive(ctx, script)


@pytest.mark.parametrize("key", ["q", "ctrl+c"])
def test_quit_ends_the_question_unanswered_keeping_the_answers_given(key: str) -> None:
    ctx = context([(1, 0), (1, 1)])

    async def script(app: AnnotationApp, pilot: Any, engine: Engine) -> None:
        await engine.ask(1, 0)
        await pilot.press("y")
        await engine.answer()
        await engine.ask(1, 1)
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(engine.future.exception(), Quit)

    drive(ctx, script)
    assert ctx.answers == {(1, 0): 1}


def test_quit_between_questions_fails_the_next_question_at_once() -> None:
    ctx = context([(1, 0), (1, 1)])

    async def script(app: AnnotationApp, pilot: Any, engine: Engine) -> None:
        await engine.ask(1, 0)
        await pilot.press("y")
        await engine.answer()
        await pilot.press("ctrl+c")  # while the engine commits: quit still counts
        await pilot.pause()
        future = asyncio.get_running_loop().create_future()
        app.ask(1, 1, future)
        await pilot.pause()
        assert isinstance(future.exception(), Quit)

    drive(ctx, script)
    assert ctx.answers == {(1, 0): 1}


def test_the_text_is_shown_as_written_not_as_markup() -> None:
    ctx = context([(2, 0)])

    async def script(app: AnnotationApp, pilot: Any, engine: Engine) -> None:
        await engine.ask(2, 0)
        assert "[bold]a tent[/bold]" in screen_text(app)

    drive(ctx, script)


def test_prompt_picks_lines_when_not_in_a_terminal() -> None:
    import io

    assert not PromptOracle(input=io.StringIO("y\n"), output=io.StringIO()).uses_screen()
    assert not PromptOracle(mode="lines").uses_screen()
    assert PromptOracle(mode="screen").uses_screen()
    with pytest.raises(ValueError):
        PromptOracle(mode="fancy")
