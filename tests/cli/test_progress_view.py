"""The live view's parts without a terminal: tables fitted to a width, the time-left estimate
from measured rounds (per setting in grids), notes that end, warnings kept off the screen."""

from __future__ import annotations

import time
import warnings
from types import SimpleNamespace

import pytest
from experiment_plans import small_plan
from rich.console import Console

from alframe.display.fit import fitted_tables, print_fitted, short_names, with_separators
from alframe.display.progress import _Estimate, quiet_warnings
from alframe.experiments import expand
from alframe.experiments.progress import GridObserver, brief_detail
from alframe.plan import Call, VaryAxis


def test_thousands_separators_in_sentences() -> None:
    assert with_separators("budget spent: 59954 of 60000 labels") == "budget spent: 59,954 of 60,000 labels"
    assert with_separators("round 12, 0.12345, 1,234 and 3999.5") == "round 12, 0.12345, 1,234 and 3999.5"


@pytest.mark.parametrize("width", [40, 80, 200])
def test_a_wide_table_is_dealt_into_tables_that_fit_and_cut_no_number(width: int) -> None:
    columns = ["round", "answers", "items", "micro_f1", "macro_f1", "macro_ap", "weighted_f1", "train s", "round s"]
    rows = [[str(r), f"{r * 12_400:,}", f"{r * 200:,}", "0.6123", "0.4012", "0.5000", "0.6000", "1,234.5", "1,300.0"]
            for r in range(12)]
    console = Console(record=True, width=width, color_system=None)
    print_fitted(console, columns, rows, title="quickstart: budget spent: 59,954 of 60,000 answers")
    text = console.export_text()
    assert "…" not in text and all(len(line) <= width for line in text.splitlines())
    for row in rows:
        for cell in row:
            assert cell in text  # whole, on one line
    tables = fitted_tables(console, columns, rows)
    assert (len(tables) == 1) == (width >= 100)
    assert all(t.columns[0].header == "round" for t in tables)  # the row name in each


def test_long_row_names_become_short_codes_with_a_legend() -> None:
    names = ["policy=random__heads=joint", "policy=uncertainty(measure=margin)__heads=independent"]
    assert short_names(names, 80) == (names, [])
    codes, legend = short_names(names, 30)
    assert codes == ["S1", "S2"] and legend == [f"S1  {names[0]}", f"S2  {names[1]}"]


def _state(budget: int, unit: str, batch: int, history: list[tuple[int, int]], rounds: int | None = None):
    q = SimpleNamespace(budget=budget, unit=unit, batch=batch, rounds=rounds)
    hist = [SimpleNamespace(round=i, labels_used=n, items_touched=k, stop_reason=None)
            for i, (n, k) in enumerate(history)]
    return SimpleNamespace(plan=SimpleNamespace(query=q), history=hist)


def test_time_left_follows_the_rounds_growing_cost() -> None:
    est = _Estimate()
    state = _state(6000, "item", 200, [(200 * 10, 200)])  # round 0: 200 items of 10 labels
    est.add(state.history[0], 5.0)
    assert est.future(state) == [4000, 6000] and est.rounds_total(state) == 3
    assert est.lower_bound() and est.time_left(state) == pytest.approx(10.0)  # round 0's cost, a lower bound
    state = _state(6000, "item", 200, [(2000, 200), (4000, 400)])
    est.add(state.history[1], 9.0)
    assert not est.lower_bound() and est.time_left(state) == pytest.approx(9.0)  # one query round measured: flat
    state = _state(10000, "item", 200, [(2000, 200), (4000, 400), (6000, 600)])
    est.add(state.history[2], 13.0)  # 1 s + 2 ms per answer
    assert est.future(state) == [8000, 10000]
    assert est.time_left(state) == pytest.approx(17.0 + 21.0)
    assert est.time_left(state, elapsed_in_round=5.0) == pytest.approx(12.0 + 21.0)
    assert est.time_left(state, elapsed_in_round=60.0) == pytest.approx(21.0)  # the round under way counts down to 0


def test_rounds_left_respect_the_round_limit_and_the_cost_of_an_item() -> None:
    est = _Estimate()
    assert est.future(_state(6000, "item", 200, [(2000, 200)], rounds=2)) == [4000]
    assert est.future(_state(2005, "item", 200, [(2000, 200)])) == []  # 5 answers left: not one more item
    assert est.future(_state(35, "cell", 10, [(10, 8)])) == [20, 30, 35]


def test_grid_time_left_is_per_setting() -> None:
    axis = VaryAxis("unit", "query.unit", ("item", "cell"))
    variants = expand(small_plan(vary=(axis,), repeat=3))
    item, cell = variants[0], variants[1]
    obs = GridObserver(variants)
    for v, took in ((item, 10.0), (cell, 270.0)):  # cell runs take 27 times as long
        obs.variant_started(v)
        obs.variant_started_at = time.perf_counter() - took
        obs.variant_finished(v, "done", "")
    assert obs.unmeasured() == 0
    assert obs.eta() == pytest.approx(2 * 10.0 + 2 * 270.0, rel=0.01)  # not 4 × the mean of 140 s


def test_a_setting_not_measured_yet_is_counted() -> None:
    axis = VaryAxis("policy", "query.policy", (Call("random"), Call("uncertainty")))
    variants = expand(small_plan(vary=(axis,)))
    obs = GridObserver(variants)
    obs.variant_started(variants[0])
    obs.variant_started_at = time.perf_counter() - 10
    obs.variant_finished(variants[0], "done", "")
    assert obs.eta() == pytest.approx(10.0, rel=0.05) and obs.unmeasured() == 1


def test_the_ceilings_notes_end_when_a_run_starts() -> None:
    variants = expand(small_plan(vary=(VaryAxis("policy", "query.policy", (Call("random"),)),)))
    obs = GridObserver(variants)
    obs.message("ceiling: the spec's model on the whole labelled pool")
    obs.message("training the ceiling on the pool (4,800 items) …")
    obs.message("warning: something the user should read")
    obs.variant_started(variants[0])
    assert obs.notes == ["warning: something the user should read"]


def test_a_finished_runs_detail_is_brief() -> None:
    detail = "2 rounds, 1178 answers; budget spent: 1178 of 1200 labels (not enough left for one more item)"
    assert brief_detail(detail) == "2 rounds, 1,178 answers · budget spent"


def test_lightnings_logs_directory_warning_stays_off_the_screen() -> None:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with quiet_warnings():
            warnings.warn("Experiment logs directory runs/x/logs/csv/round-0002 exists and is not empty. Previous "
                          "log files in this directory will be deleted when the new ones are saved!", UserWarning, stacklevel=1)
            warnings.warn("something else", UserWarning, stacklevel=1)
    assert [str(w.message) for w in seen] == ["something else"]


def test_the_ceilings_note_is_gone_from_the_last_frame_when_no_run_was_left() -> None:
    from alframe.experiments.progress import LiveGridProgress

    variants = expand(small_plan(vary=(VaryAxis("policy", "query.policy", (Call("random"),)),)))
    console = Console(record=True, width=100, force_terminal=True, color_system=None)
    with LiveGridProgress(console, variants, "grid") as view:
        view.grid_started({variants[0].name: "done"}, {variants[0].name: "2 rounds, 1,178 answers"})
        view.message("ceiling: the spec's model on the whole labelled pool")
        view.message("training the ceiling on the pool (4,800 items) …")
    last = console.export_text().split("╭")[-1]
    assert "training the ceiling" not in last and "ceiling:" not in last and "runs 1 of 1 done" in last


def test_the_epoch_counter_reaches_a_run_and_a_grid_view_from_a_real_fit() -> None:
    import pytorch_lightning as pl
    import torch

    from alframe.display.progress import LiveProgress
    from alframe.experiments.progress import LiveGridProgress

    class Tiny(pl.LightningModule):
        def __init__(self) -> None:
            super().__init__()
            self.w = torch.nn.Linear(2, 1)

        def training_step(self, batch, _):  # type: ignore[no-untyped-def]
            return self.w(batch[0]).pow(2).mean()

        def configure_optimizers(self):  # type: ignore[no-untyped-def]
            return torch.optim.SGD(self.parameters(), lr=0.1)

    data = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.ones(4, 2)), batch_size=2)
    variants = expand(small_plan(vary=(VaryAxis("policy", "query.policy", (Call("random"),)),)))
    console = Console(record=True, width=100, color_system=None)
    for view in (LiveProgress(console), LiveGridProgress(console, variants, "grid")):
        trainer = pl.Trainer(max_epochs=3, callbacks=view.train_callbacks(), logger=False, enable_checkpointing=False,
                             enable_progress_bar=False, enable_model_summary=False, accelerator="cpu")
        trainer.fit(Tiny(), data)
        assert view.epoch == (3, 3)
