"""The typed stage facade: components conform to their Protocols, the seed round and the
ceiling go through the same stages and checks as a round, observers follow a run through the
hooks alone, and a plugin that replaces a stage is said and recorded."""

from __future__ import annotations

import json
import math
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from engine_specs import run_spec, write_spec

from alframe.errors import PluginError
from alframe.hookspecs import hookimpl
from alframe.plugins import load
from alframe.protocols import Oracle, Policy, conform
from alframe.stages import Stages


class _Bare:
    def select(self, scores: Any, ctx: Any) -> Any: ...


class _Slotted:
    __slots__ = ()

    def select(self, scores: Any, ctx: Any) -> Any: ...


def test_a_component_gets_the_optional_members_it_lacks_and_keeps_its_own() -> None:
    bare = conform(_Bare(), "policy", "alframe-x", "bare")
    assert isinstance(bare, Policy)
    assert (bare.mc_samples, bare.needs_scores, bare.needs_embeddings, bare.warning, bare.info) == (0, True, False, None, None)

    class Sampled(_Bare):
        mc_samples = 8

    assert conform(Sampled(), "policy", "alframe-x", "s").mc_samples == 8

    class Answers:
        def answer(self, dataset: Any, items: Any, labels: Any, rng: Any) -> Any: ...

    oracle = conform(Answers(), "oracle", "alframe-x", "desk")
    assert isinstance(oracle, Oracle) and oracle.source == "desk" and oracle.given is None and not oracle.interactive


@pytest.mark.parametrize("obj,problem", [(object(), "has no select()"), (_Slotted(), "cannot take one")])
def test_a_component_that_cannot_conform_is_refused_naming_its_plugin(obj: object, problem: str) -> None:
    with pytest.raises(PluginError) as err:
        conform(obj, "policy", "alframe-x", "coin")
    assert err.value.plugin == "alframe-x" and problem in str(err.value) and "policy 'coin'" in str(err.value)


class _NaNFit:
    thresholds = np.full(3, 0.5, dtype=np.float32)

    def fit(self, req: Any) -> dict[str, Any]:
        return {"loss": math.nan}

    def predict_proba(self, idx: Any, mc_samples: int = 0) -> Any: ...
    def save_checkpoint(self, path: Any) -> None: ...
    def load_checkpoint(self, path: Any) -> None: ...


def test_a_fit_outside_a_round_is_checked_as_a_rounds_is() -> None:
    """The ceiling fits through ``Stages.fit``: a broken fit record is the same error as a
    round's, naming the model's plugin."""
    stages = Stages(load(autoload=False))
    with pytest.raises(PluginError) as err:
        stages.fit(_NaNFit(), None, "alframe-nan")  # type: ignore[arg-type]
    assert err.value.plugin == "alframe-nan" and err.value.hook == "alframe_train" and "loss" in str(err.value)


class _Watcher:
    """A plugin following the run through the observer hooks, and the rounds the score stage ran."""

    def __init__(self) -> None:
        self.said: list[str] = []
        self.stages: list[tuple[str, float]] = []
        self.started: list[int | None] = []
        self.rounds: list[int] = []
        self.scored: list[int] = []

    @hookimpl
    def alframe_message(self, text: str) -> None:
        self.said.append(text)

    @hookimpl
    def alframe_stage_finished(self, stage: str, seconds: float) -> None:
        self.stages.append((stage, seconds))

    @hookimpl
    def alframe_run_started(self, state: Any, resumed_from: int | None) -> None:
        self.started.append(resumed_from)

    @hookimpl
    def alframe_round_end(self, state: Any, record: Any) -> None:
        self.rounds.append(record.round)

    @hookimpl(wrapper=True)
    def alframe_score_pool(self, state: Any) -> Any:
        self.scored.append(state.round)
        return (yield)


class _Weigher:
    @hookimpl(tryfirst=True)
    def alframe_weight(self, state: Any) -> Any:
        return None  # looks, leaves the work to the built-in stage


def test_observers_follow_a_run_through_the_hooks_and_the_seed_round_is_scored_by_the_score_stage(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec", limit=300, extra_query="rounds 3")
    watcher = _Watcher()
    summary, _, _ = run_spec(spec, tmp_path / "run", extra=[("watcher", watcher), ("weigher", _Weigher())])
    assert watcher.started == [None] and watcher.rounds == [0, 1, 2]
    assert watcher.scored == [0, 1, 2]  # round 0 too: the seed policy's scores come from the score stage
    finished = [stage for stage, _ in watcher.stages]
    assert finished[:2] == ["load", "build"] and finished.count("train") == 3
    for record in summary.history:  # the hooks saw every stage the round's record times
        assert set(record.timings) <= set(finished)
    said = "plugin 'weigher' answers alframe_weight before the built-in stage"
    assert said in watcher.said
    with sqlite3.connect(tmp_path / "run" / "run.db") as c:
        events = [json.loads(d) for (d,) in c.execute("SELECT detail FROM events WHERE kind = 'stages_replaced'")]
    assert events == [{"alframe_weight": ["weigher"]}]
