"""End-to-end runs of real specs on a slice of the shipped catalogue."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from engine_specs import run_spec, stored_metrics, stored_queries, write_spec

from alframe.engine import Observer
from alframe.hookspecs import STAGE_ORDER, hookimpl


def test_joint_uncertainty_run_stores_everything(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec")
    out = tmp_path / "run"
    summary, plan, _ = run_spec(spec, out)
    assert summary.stop_reason.startswith("round limit reached")
    assert summary.rounds == 4
    assert (out / "run.db").exists() and (out / "spec.al").read_text() == spec.read_text()
    assert json.loads((out / "plugins.json").read_text())["alframe"]
    lines = (out / "metrics.csv").read_text().splitlines()
    assert lines[0].startswith("round,labels,items,asked,cost,micro_f1")
    assert len(lines) == 5
    # every label used was answered once: the answers table holds exactly the known cells
    with sqlite3.connect(out / "run.db") as c:
        n_answers, n_cells = c.execute("SELECT COUNT(*), COUNT(DISTINCT item || '|' || label) FROM answers").fetchone()
    assert n_answers == n_cells == summary.labels_used
    assert summary.items_touched == 30 * 4  # unit item: whole items, 30 a round
    assert 0.0 < summary.metrics["micro_f1"] <= 1.0


def test_same_spec_and_seed_give_same_queries_and_metrics(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec", extra_query="rounds 3")
    run_spec(spec, tmp_path / "a")
    run_spec(spec, tmp_path / "b")
    assert stored_queries(tmp_path / "a") == stored_queries(tmp_path / "b")
    assert stored_metrics(tmp_path / "a") == stored_metrics(tmp_path / "b")


def test_independent_heads_committee_iwal_cells(tmp_path: Path) -> None:
    spec = write_spec(
        tmp_path / "spec",
        name="cells",
        heads="independent(hidden=8)",
        ensemble=3,
        unit="cell",
        seed_size=300,
        batch=150,
        policy="iwal(base=disagreement, floor=0.05)",
        weighting="importance yes clip 10 normalize yes",
        extra_query="rounds 3",
    )
    out = tmp_path / "run"
    summary, plan, _ = run_spec(spec, out)
    assert summary.rounds == 3
    with sqlite3.connect(out / "run.db") as c:
        rows = c.execute("SELECT round, prob, weight FROM answers").fetchall()
    seed_rows = [r for r in rows if r[0] == 0]
    later = [r for r in rows if r[0] > 0]
    assert len(seed_rows) == 300 and all(p == 1.0 and w == 1.0 for _, p, w in seed_rows)
    assert later and all(0 < p <= 1 and w == pytest.approx(1 / p) for _, p, w in later)
    assert any(p < 1 for _, p, _ in later)  # IWAL asked some cells by a coin flip
    # cells, not whole items: far fewer labels than items × labels (whole items: 25 a touched item)
    n_labels = len({label for (label,) in sqlite3.connect(out / "run.db").execute("SELECT DISTINCT label FROM answers")})
    assert n_labels >= 20 and summary.items_touched > 0 and summary.labels_used < summary.items_touched * n_labels / 3


def test_pool_exhaustion_is_a_clean_stop(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec", limit=120, budget=10**6, extra_query="", policy="random")
    summary, _, _ = run_spec(spec, tmp_path / "run")
    assert "exhausted" in summary.stop_reason
    assert summary.items_touched == 90  # the whole pool (120 items less a 25% test split)
    assert not summary.interrupted


def test_metric_target_stops_the_run(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec", extra_query="target micro_f1 0.01")
    summary, _, _ = run_spec(spec, tmp_path / "run")
    assert summary.rounds == 1
    assert summary.stop_reason.startswith("target reached: micro_f1")


def test_budget_counts_cells_and_is_never_exceeded(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec", budget=1400, extra_query="")
    summary, plan, _ = run_spec(spec, tmp_path / "run")
    assert summary.labels_used <= 1400
    assert summary.stop_reason.startswith("budget spent")


class _Recorder:
    """Records the stage hooks in call order (a wrapper, as timing/progress plugins are)."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def _wrap(name: str):  # type: ignore[no-untyped-def]  # noqa: N805
        def impl(self, **kwargs):  # type: ignore[no-untyped-def]
            self.calls.append(name)
            return (yield)

        impl.__name__ = name
        return impl

    alframe_load_data = hookimpl(wrapper=True)(_wrap("alframe_load_data"))
    alframe_build_model = hookimpl(wrapper=True)(_wrap("alframe_build_model"))
    alframe_select_seed = hookimpl(wrapper=True)(_wrap("alframe_select_seed"))
    alframe_score_pool = hookimpl(wrapper=True)(_wrap("alframe_score_pool"))
    alframe_query = hookimpl(wrapper=True)(_wrap("alframe_query"))
    alframe_annotate = hookimpl(wrapper=True)(_wrap("alframe_annotate"))
    alframe_weight = hookimpl(wrapper=True)(_wrap("alframe_weight"))
    alframe_train = hookimpl(wrapper=True)(_wrap("alframe_train"))
    alframe_evaluate = hookimpl(wrapper=True)(_wrap("alframe_evaluate"))
    alframe_round_end = hookimpl(wrapper=True)(_wrap("alframe_round_end"))
    alframe_should_stop = hookimpl(wrapper=True)(_wrap("alframe_should_stop"))


def test_stage_hooks_run_in_the_documented_order(tmp_path: Path) -> None:
    rec = _Recorder()
    spec = write_spec(tmp_path / "spec", extra_query="rounds 2")
    run_spec(spec, tmp_path / "run", extra=[("recorder", rec)])
    # round 0: the built-in seed stage scores the pool for the seed policy through the score stage
    first = ["alframe_load_data", "alframe_build_model", "alframe_select_seed", "alframe_score_pool"]
    per_round = [h for h in STAGE_ORDER if h not in ("alframe_score_pool", "alframe_query")]
    assert rec.calls == first + per_round + list(STAGE_ORDER)


class _FirstResultPolicy:
    """A third-party stage implementation: wins over the built-in (trylast) one."""

    @hookimpl
    def alframe_should_stop(self, state):  # type: ignore[no-untyped-def]
        return "stopped by a plugin" if state.round == 1 else None


def test_a_plugin_stage_wins_over_the_builtin(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec")
    summary, _, _ = run_spec(spec, tmp_path / "run", extra=[("stopper", _FirstResultPolicy())])
    assert summary.stop_reason == "stopped by a plugin"
    assert summary.rounds == 2


def test_running_a_finished_run_again_adds_nothing(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec", extra_query="rounds 2")
    run_spec(spec, tmp_path / "run")
    before = stored_queries(tmp_path / "run")
    summary, _, _ = run_spec(spec, tmp_path / "run")
    assert summary.stop_reason.startswith("round limit reached") and summary.rounds == 2
    assert stored_queries(tmp_path / "run") == before


def test_a_single_run_that_meets_its_stop_rule_is_recorded_finished(tmp_path: Path) -> None:
    from alframe.report.read import read_run

    spec = write_spec(tmp_path / "spec", extra_query="rounds 2")
    run_spec(spec, tmp_path / "run")
    run = read_run(tmp_path / "run", setting=None, repeat=1)
    assert run.finished and run.stop_reason is not None and run.stop_reason.startswith("round limit reached")
    assert run.wall_seconds is not None and run.wall_seconds > 0
    run_spec(spec, tmp_path / "run")  # already finished: nothing ran, nothing new is recorded
    with sqlite3.connect(tmp_path / "run" / "run.db") as c:
        assert c.execute("SELECT COUNT(*) FROM events WHERE kind = 'finished'").fetchone() == (1,)


def test_loggers_write_per_round_and_missing_ones_are_named(tmp_path: Path) -> None:
    from alframe import loggers

    spec = write_spec(tmp_path / "spec", extra_query="rounds 2")
    spec.write_text(spec.read_text().replace("loggers []", "loggers [csv, neptune]"))
    messages: list[str] = []

    class Notes(Observer):
        def message(self, text: str) -> None:
            messages.append(text)

    run_spec(spec, tmp_path / "run", observer=Notes())
    assert (tmp_path / "run" / "logs" / "csv" / "round-0001" / "metrics.csv").exists()
    if loggers.missing(["neptune"]):
        assert any("neptune" in m and "left out" in m for m in messages)


@pytest.mark.parametrize(("weighting", "warned"), [("importance yes", True), ("importance yes clip 10", False)])
def test_far_spread_importance_weights_are_warned_of_once(tmp_path: Path, weighting: str, warned: bool) -> None:
    spec = write_spec(
        tmp_path / "spec", unit="cell", seed_size=200, batch=100, weighting=weighting, extra_query="rounds 3",
        policy="iwal(base=uncertainty, floor=0.001, top=0.5)",  # half of each label's share by coins
    )
    messages: list[str] = []

    class Notes(Observer):
        def message(self, text: str) -> None:
            messages.append(text)

    run_spec(spec, tmp_path / "run", observer=Notes())
    spread = [m for m in messages if "cell weights reach" in m]
    assert len(spread) == (1 if warned else 0)
    if warned:
        assert "clip" in spread[0]


def test_a_runs_state_keeps_rows_for_the_answered_items_only(tmp_path: Path) -> None:
    """The answers, query probabilities and weights of a real run hold one row per answered
    item, not the pool's ``[n_items, n_labels]``."""
    import numpy as np

    seen: list[tuple[int, int, int, int]] = []

    class Watch:
        @hookimpl
        def alframe_round_end(self, state, record):  # type: ignore[no-untyped-def]
            labelled = state.labelled_items()
            assert state.weights is not None
            np.testing.assert_array_equal(state.weights.items(), labelled)
            np.testing.assert_array_equal(state.answers.items(), labelled)
            assert set(state.query_prob.items()) <= set(labelled.tolist())
            held = state.answers.nbytes + state.query_prob.nbytes + state.weights.nbytes
            seen.append((len(labelled), state.dataset.n_items, state.dataset.n_labels, held))

    spec = write_spec(tmp_path / "spec", extra_query="rounds 2", unit="cell", policy="iwal(base=uncertainty)")
    run_spec(spec, tmp_path / "run", extra=[("watch", Watch())])
    assert len(seen) == 2
    for labelled, n_items, n_labels, held in seen:
        assert 0 < labelled < n_items
        # 9 bytes a cell for each answered item's row (the table starts at 64 rows and doubles),
        # 12 bytes an item for the three item → row maps; dense: 9 bytes a cell of the pool
        assert held <= 9 * n_labels * max(64, 2 * labelled) + 12 * n_items < 9 * n_items * n_labels
