"""The terminal prompt, driven by a scripted input stream."""

from __future__ import annotations

import io

import numpy as np
import pytest
from oracle_data import small_dataset

from alframe.oracles.prompt import PromptOracle, QuitAnnotation

RNG = np.random.default_rng(0)


def run(script: str, items: list[int], labels: list[int]) -> tuple[list[int], str]:
    out = io.StringIO()
    oracle = PromptOracle(input=io.StringIO(script), output=out)
    answers = oracle.answer(small_dataset(), np.array(items), np.array(labels), RNG)
    return answers.tolist(), out.getvalue()


def test_yes_no_skip_in_any_case() -> None:
    answers, shown = run("y\nNo\ns\nYES\n", [1, 1, 2, 3], [0, 1, 2, 0])
    assert answers == [1, 0, -1, 1]
    assert shown.count("item sku-001") == 1  # an item is shown once for its labels
    assert "item sku-002" in shown and "outdoor?" in shown and "garden?" in shown


def test_the_text_is_shown_as_written_not_as_markup() -> None:
    _, shown = run("y\n", [2], [0])
    assert "[bold]a tent[/bold]" in shown


def test_an_unclear_reply_asks_again() -> None:
    answers, shown = run("maybe\n\ny\n", [1], [1])
    assert answers == [1]
    assert "please answer y (yes), n (no), s (skip) or q (quit), not 'maybe'" in shown


def test_quit_raises_keyboard_interrupt_keeping_the_answers_given() -> None:
    with pytest.raises(KeyboardInterrupt) as err:
        run("y\nn\nq\ny\n", [1, 2, 3, 4], [0, 0, 0, 0])
    assert isinstance(err.value, QuitAnnotation)
    assert err.value.answers.tolist() == [1, 0, -1, -1] and err.value.asked == 2


def test_the_end_of_the_input_is_a_quit() -> None:
    with pytest.raises(QuitAnnotation) as err:
        run("y\n", [1, 2], [0, 0])
    assert err.value.answers.tolist() == [1, -1]


def test_the_engine_commits_each_answer_of_a_person() -> None:
    assert PromptOracle.interactive is True and PromptOracle.source == "prompt"


def test_asked_one_cell_at_a_time_an_item_is_shown_once_with_the_round_counter() -> None:
    ds = small_dataset()
    out = io.StringIO()
    oracle = PromptOracle(input=io.StringIO("y\nn\ny\n"), output=out)
    cells = [(0, 0), (0, 1), (1, 0)]
    for k, (item, label) in enumerate(cells):
        oracle.progress = (k, len(cells))  # as the engine sets it
        oracle.answer(ds, np.array([item]), np.array([label]), np.random.default_rng(0))
    text = out.getvalue()
    assert text.count(f"item {ds.ids[0]}") == 1 and f"[1/3] item {ds.ids[0]}" in text
    assert f"[3/3] item {ds.ids[1]}" in text


def test_with_the_rounds_context_a_skip_is_remembered_and_not_asked_again() -> None:
    from alframe.oracles.context import MemoryContext

    ds = small_dataset()
    out = io.StringIO()
    oracle = PromptOracle(input=io.StringIO("s\ny\n"), output=out)
    oracle.context = MemoryContext(ds, [(1, 0), (1, 1)])
    first = oracle.answer(ds, np.array([1, 1]), np.array([0, 1]), RNG)
    assert first.tolist() == [-1, 1] and oracle.context.skipped == {(1, 0)}
    again = oracle.answer(ds, np.array([1]), np.array([0]), RNG)  # the round resumed: not asked
    assert again.tolist() == [-1] and out.getvalue().count("outdoor?") == 1
