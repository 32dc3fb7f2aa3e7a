"""The round loop: calls the stage hooks in order, persisting as it goes. No ML logic here.

A round is::

    round 0:  select_seed                 ┐
    round r:  score_pool → query          ┘→ annotate → weight → train → evaluate
                                              → (checkpoint) → should_stop → (commit) → round_end

Promises kept here:

- the questions of a round are committed (``queries`` table) before the oracle is asked, and
  each answer is committed before anything uses it; so a run killed at any moment resumes by
  asking the *same* questions again, never new ones, and never asks for a label it has;
- every random choice comes from the run seed and the round (``RunState.rng``), so the same
  spec and seed give the same queries and metrics on the same machine;
- a checkpoint is a cache: a missing or unreadable one means "retrain from the labels";
- what a plugin returns is checked against its hook's contract (:mod:`alframe.contracts`:
  duplicates, cells outside the pool or already answered, probabilities outside (0, 1], wrong
  shapes, metrics that are not finite numbers) before anything of the round is committed, and
  a bad answer names the plugin and hook.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
from pytorch_lightning.utilities.exceptions import SIGTERMException

from alframe import loggers
from alframe.hookcall import component
from alframe.hookspecs import hookimpl
from alframe.oracles.base import closing_questions
from alframe.plan import Plan
from alframe.plugins import Plugins
from alframe.policies.base import Queries
from alframe.record import STOPPED_EVENT, Answer, RunFolder
from alframe.rows import ItemRows
from alframe.seeds import derive_seed
from alframe.stages import Stages
from alframe.state import RoundRecord, RunState, exhausted, new_answers

#: Cells asked of an interactive oracle per commit (a person's answer is saved at once);
#: a simulated oracle is asked a round's questions in chunks of this size.
BATCH_ANSWERS = 4096
#: a cell weight more than this many times the median one is worth a warning (see _warn_spread)
WEIGHT_SPREAD = 100.0


class Observer:
    """Follows a run through the observer hooks: a plugin whose hook implementations call
    these methods, which a subclass overrides (the terminal display is one). ``Engine(...,
    observer=...)`` registers it for the run; a plugin may implement the same hooks
    (:mod:`alframe.hookspecs`) instead. The hooks run after every other plugin's."""

    def run_started(self, state: RunState, resumed_from: int | None) -> None: ...
    def stage_started(self, stage: str) -> None: ...
    def stage_finished(self, stage: str, seconds: float) -> None: ...
    def round_finished(self, state: RunState, record: RoundRecord) -> None: ...
    def message(self, text: str) -> None: ...

    def train_callbacks(self) -> list[Any]:
        """Lightning callbacks to follow training inside a round."""
        return []

    @hookimpl(trylast=True)
    def alframe_run_started(self, state: RunState, resumed_from: int | None) -> None:
        self.run_started(state, resumed_from)

    @hookimpl(trylast=True)
    def alframe_stage_started(self, stage: str) -> None:
        self.stage_started(stage)

    @hookimpl(trylast=True)
    def alframe_stage_finished(self, stage: str, seconds: float) -> None:
        self.stage_finished(stage, seconds)

    @hookimpl(trylast=True)
    def alframe_round_end(self, state: RunState, record: RoundRecord) -> None:
        self.round_finished(state, record)

    @hookimpl(trylast=True)
    def alframe_message(self, text: str) -> None:
        self.message(text)

    @hookimpl(trylast=True)
    def alframe_train_callbacks(self, plan: Plan) -> list[Any]:
        return list(self.train_callbacks())


@dataclass
class Summary:
    """How a run ended."""

    rounds: int
    labels_used: int
    items_touched: int
    stop_reason: str
    metrics: dict[str, Any]
    run_dir: Path
    history: list[RoundRecord] = field(default_factory=list)
    interrupted: bool = False
    waiting: bool = False  # stopped to wait for answers (oracle file): not finished
    cost: float = 0.0  # under the plan's cost model (answered cells by default)


INTERRUPTED = "interrupted; run the same command again to resume"


class Stop(Exception):
    """Ctrl-C or SIGTERM arrived: stop at the next safe point."""


class StopNow(BaseException):
    """A second Ctrl-C during training: stop at once.

    Not a KeyboardInterrupt, which Lightning's ``fit`` answers with ``sys.exit(1)``; a
    BaseException, so no ``except Exception`` on the way (a plugin's, the hook wrapper's) takes
    it for a failure. The round being trained is not committed and is redone on resume.
    """


class Engine:
    def __init__(
        self,
        plan: Plan,
        plugins: Plugins,
        run_dir: RunFolder,
        observer: Observer | None = None,
        ceiling: dict[str, Any] | None = None,
    ) -> None:
        """:param ceiling: metrics of the same model trained on the whole labelled pool, for
        targets given as a fraction of it (``target micro_f1 0.95 of ceiling``)."""
        self.plan = plan
        self.ceiling = ceiling
        self.plugins = plugins
        self.stages = Stages(plugins)
        self.run_dir = run_dir
        self.observer = observer  # registered as a plugin while the run goes
        self._stop_requested = False
        self._training = False  # inside the train hook (Lightning's ``fit``)
        self._finished = False  # the loop is over: signals no longer interrupt anything
        self._timings: dict[str, float] = {}
        self._started = 0.0  # perf_counter at run(): loading and building count as the run's time
        self._warned: set[str] = set()
        self._waiting = False  # the round waits for answers (``_waiting_for_answers``)
        #: the committed round whose model the bundle holds whole (None while a fit runs)
        self._whole: int | None = None

    # -- the loop ----------------------------------------------------------------------------

    def run(self) -> Summary:
        self._started = time.perf_counter()
        with self._signals(), self._observed():
            try:
                state = self._prepare()
            except (Stop, StopNow, KeyboardInterrupt, SIGTERMException):
                # stopped while loading, building or retraining from the labels: nothing of
                # this attempt was committed, the same command starts over from the store
                self._finished = True
                current = {(a.item, a.label) for a in self.run_dir.store.current_answers()}
                touched = len({item for item, _ in current})
                return Summary(
                    rounds=0,
                    labels_used=len(current),
                    items_touched=touched,
                    cost=self.plan.cost.of(len(current), touched),
                    stop_reason=INTERRUPTED,
                    metrics={},
                    run_dir=self.run_dir.path,
                    interrupted=True,
                )
            return self._loop(state)

    def _prepare(self) -> RunState:
        plan, rd = self.plan, self.run_dir
        with self._stage("load"):
            dataset = self.stages.load_data(plan)
        rd.check_data(dataset.fingerprint)
        self._check_against_data(dataset)
        with self._stage("build"):
            bundle, model_by = self.stages.build_model(plan, dataset)
        n, n_labels = dataset.n_items, dataset.n_labels
        state = RunState(
            plan=plan,
            plugins=self.plugins,
            dataset=dataset,
            store=rd.store,
            run_dir=rd.path,
            bundle=bundle,
            model_by=model_by,
            policy=self._build("policy", plan.query.policy.name, plan.query.policy.kwargs),
            seed_policy=self._build("policy", plan.query.seed_policy.name, plan.query.seed_policy.kwargs),
            oracle=self._build("oracle", plan.oracle.name, plan.oracle.kwargs),
            answers=new_answers(n, n_labels),
            query_prob=ItemRows(n, n_labels, 1.0),
            ceiling=self.ceiling,
        )
        self._announce(state)
        state.train_callbacks.append(_StopTraining(self))
        state.train_callbacks.extend(self.stages.train_callbacks(self.plan))
        self._restore(state)
        return state

    def _build(self, kind: str, name: str, kwargs: dict[str, Any]) -> Any:
        """A component the plan names, conformed to its Protocol; a failing factory is named."""
        return self.stages.component(kind, name, kwargs)

    def _announce(self, state: RunState) -> None:
        """What the user should know before the first round: data warnings, loggers left out,
        model notes, policy fallbacks, what the run folder noticed, and the stages an installed
        plugin answers in place of the built-in ones (the spec does not show them)."""
        for text in state.dataset.notes:
            self.stages.message(text)
        for text in state.dataset.warnings:
            self.stages.message(f"warning: {text}")
        unusable = loggers.missing(self.plan.trainer.loggers)
        if unusable:
            self.stages.message("warning: loggers left out: " + ", ".join(unusable))
            state.store.log_event("loggers", {"left_out": unusable})
        for note in state.bundle.notes:
            self.stages.message(note)
        for pol in (state.policy, state.seed_policy):
            self._warn_once(pol.warning)
        for text in self.run_dir.messages:
            self.stages.message(text)
        replaced = self.stages.replaced()
        if replaced:
            for hook, who in replaced.items():
                self.stages.message(f"plugin {', '.join(repr(w) for w in who)} answers {hook} before the built-in stage")
            state.store.log_event("stages_replaced", replaced)

    def _loop(self, state: RunState) -> Summary:
        stop_reason = self._already_finished(state)
        already = stop_reason is not None
        resumed = bool(state.history)
        if already:
            self._take_revisions(state)  # a finished run still keeps (and says) a changed answer
        interrupted = False
        try:
            while stop_reason is None:
                record = self._round(state)
                stop_reason = record.stop_reason
                if stop_reason is None:
                    state.round += 1
                if self._stop_requested and stop_reason is None:
                    raise Stop()
        except (Stop, StopNow, KeyboardInterrupt, SIGTERMException):
            # SIGTERMException: Lightning's own SIGTERM handling inside ``fit`` (a SystemExit)
            self._keep_model(state)
            self._finished = True
            interrupted = True
            stop_reason = INTERRUPTED
        self._finished = True
        if not interrupted and not self._waiting and not (already and self.run_dir.finished()):
            # a run killed after its last round's commit, before this line, met its stop rule
            # but never said so: the rerun that finds it finished says it now
            self._record_finished(state, stop_reason, time.perf_counter() - self._started, resumed)
        return Summary(
            rounds=len(state.history),
            labels_used=state.labels_used,
            items_touched=state.items_touched,
            stop_reason=stop_reason,
            metrics=state.last_metrics,
            cost=state.cost,
            run_dir=self.run_dir.path,
            history=state.history,
            interrupted=interrupted,
            waiting=self._waiting,
        )

    def _record_finished(self, state: RunState, stop_reason: str, seconds: float, resumed: bool) -> None:
        """The run met a stop rule: say so in the run record, where ``alframe report`` and a
        grid's status read it (a single run and a grid's run alike)."""
        self.run_dir.record_finished({
            "stop_reason": stop_reason,
            "rounds": len(state.history),
            "labels": state.labels_used,
            "items": state.items_touched,
            "cost": state.cost,
        }, seconds, resumed=resumed)

    def _already_finished(self, state: RunState) -> str | None:
        """A resumed run whose last complete round already met a stop rule stays finished:
        running the command again reports it instead of adding a round."""
        if not state.history:
            return None
        state.round -= 1
        try:
            return self._should_stop(state)
        finally:
            state.round += 1

    def _round(self, state: RunState) -> RoundRecord:
        rnd = state.round
        store = state.store
        self._timings = {}
        seed = derive_seed(self.plan.seed, rnd, "train")
        store.start_round(rnd, seed)
        self._take_revisions(state)
        asked = store.queries(rnd)
        if not asked and store.round_status(rnd) != "queried":
            if state.candidates().size == 0:
                if not len(state.dataset.pool_idx):
                    return self._finish_empty(state, "the pool is empty: nothing to ask (every item is in the test split?)")
                return self._finish_empty(state, exhausted(state))
            queries = self._choose(state)
            asked = self._expand_and_trim(state, queries)
            info = state.policy.info if rnd > 0 else None
            store.save_queries(rnd, asked, policy=info if isinstance(info, dict) else None)
        if not asked and not state.labelled_items().size:
            return self._finish_empty(state, "nothing to ask: the pool is empty")
        if self._stop_requested:
            raise Stop()
        answered = self._annotate(state, asked)
        waiting = self._waiting_for_answers(state, asked)
        if waiting is not None:
            return waiting
        with self._stage("weight"):
            state.weights = self._check_weights(state, self.stages.weight(state))
        with self._stage("train"):
            train_info = self._train(state)
            # what evaluate and should_stop read of this round's figures (stop rules: alframe.stopping)
            state.signals = {**dict(train_info or {}), "round": rnd}
        if self._stop_requested:
            raise Stop()  # training may have been cut short: the round is redone on resume
        metrics: dict[str, Any] = {}  # empty: not evaluated this round (evaluate { every N })
        if rnd % self.plan.evaluate.every == 0:
            metrics = self._evaluate(state)
        reason = self._should_stop(state)
        if reason is not None and not metrics:
            metrics = self._evaluate(state)  # the last round is always evaluated
        ckpt = None
        if rnd % self.plan.trainer.checkpoint_every == 0 or reason is not None:
            with self._stage("checkpoint"):
                ckpt = self.run_dir.save_checkpoint(state.bundle, rnd)
        record = RoundRecord(
            round=rnd,
            labels_used=state.labels_used,
            items_touched=state.items_touched,
            asked=len(asked),
            answered=answered,
            timings=dict(self._timings),
            train=dict(train_info or {}),
            metrics=metrics,
            stop_reason=reason,
            cost=state.cost,
            policy=store.policy_info().get(rnd, {}),  # saved with the questions (a resumed round too)
            seed=seed,
            checkpoint=ckpt,
        )
        self.run_dir.commit_round(record)
        self._whole = rnd  # committed, and the bundle holds its model until the next fit
        state.history.append(record)
        self.stages.round_end(state, record)
        return record

    # -- stages ------------------------------------------------------------------------------

    def _choose(self, state: RunState) -> Queries:
        if state.round == 0:
            with self._stage("seed"):
                return self.stages.select_seed(state)
        with self._stage("score"):
            scores = self.stages.score_pool(state)
        state.policy.info = None  # a policy's record is of the round that sets it, never an earlier one
        with self._stage("query"):
            queries = self.stages.query(state, scores)
        self._warn_once(state.policy.warning)
        return queries

    def _warn_once(self, text: str | None) -> None:
        """A policy learns some things only when it first sees scores (e.g. one member)."""
        if text and text not in self._warned:
            self._warned.add(text)
            self.stages.message(f"warning: {text}")

    def _annotate(self, state: RunState, asked: list[tuple[str, str, float, float]]) -> int:
        """Ask the oracle every asked cell that has no answer yet; commit each chunk at once."""
        ds = state.dataset
        cells = [(ds.index_of(item), ds.label_index(label), p) for item, label, p, _ in asked]
        todo = [(i, j, p) for i, j, p in cells if state.answers[i, j] < 0]
        chunk = 1 if state.oracle.interactive else BATCH_ANSWERS
        added = 0
        with self._stage("annotate"), closing_questions(state.oracle):  # a person's screen closes
            for start in range(0, len(todo), chunk):
                part = todo[start : start + chunk]
                items = np.array([t[0] for t in part], dtype=np.int64)
                labels = np.array([t[1] for t in part], dtype=np.int64)
                state.oracle.progress = (start, len(todo))
                values = self.stages.annotate(state, items, labels)
                source = str(state.oracle.source)
                batch = [
                    Answer(ds.ids[i], ds.label_names[j], int(v), state.round, float(p), 1.0 / float(p), source)
                    for (i, j, p), v in zip(part, values.tolist())
                    if v >= 0
                ]
                state.store.add_answers(batch)  # committed before anything uses it
                for (i, j, p), v in zip(part, values.tolist()):
                    if v >= 0:
                        state.answers[i, j] = v
                        state.query_prob[i, j] = p
                added += len(batch)
                if self._stop_requested:
                    raise Stop()
        return added

    def _take_revisions(self, state: RunState) -> None:
        """An oracle that can be read again (the ``file`` oracle) may now give a different
        answer for a cell already answered: keep it as the cell's next revision (committed
        before anything uses it; the earlier answer stays in the store), use it from this round
        on, and say what the oracle holds: new answers (stored as the round asks them),
        unchanged ones and revised ones."""
        given = state.oracle.given
        if given is None:
            return
        from alframe.answers import sort_answers
        from alframe.oracles.answers_file import FileRow

        ds = state.dataset
        with component(self.plugins, "oracle", self.plan.oracle.name):
            table = given(ds)
        rows = [FileRow(ds.ids[i], ds.label_names[j], int(v), 0) for (i, j), v in table.items()]
        source = str(state.oracle.source)
        new, revised, counts = sort_answers(state.store, rows, source)
        recorded = state.store.record_answers(revised)
        for r in recorded.revised:
            state.answers[ds.index_of(r.item), ds.label_index(r.label)] = r.after
        if recorded.revised:
            state.store.log_event(
                "answers_revised", {"round": state.round, "source": source, "cells": [str(r) for r in recorded.revised]}
            )
        recorded.new, recorded.unchanged = len(new), counts.unchanged + recorded.unchanged
        if recorded.new or recorded.revised:
            where = Path(str(state.oracle.path or source)).name
            self.stages.message(recorded.summary(where))

    def _evaluate(self, state: RunState) -> dict[str, Any]:
        with self._stage("evaluate"):
            metrics = self.stages.evaluate(state)
        state.last_metrics = metrics
        return metrics

    def _waiting_for_answers(self, state: RunState, asked: list[tuple[str, str, float, float]]) -> RoundRecord | None:
        """With an oracle that waits (a person filling in a file), a round whose questions are
        not all answered ends the run here: the questions are written beside the run, and the
        same command picks the round up again once the answers are there."""
        if not state.oracle.waits_for_answers:
            return None
        ds = state.dataset
        pending = [(item, label) for item, label, _, _ in asked if state.answers[ds.index_of(item), ds.label_index(label)] < 0]
        if not pending:
            return None
        self._keep_model(state)  # the next command starts from it
        path = self.run_dir.write_questions(state.round, pending, ds, state)
        where = state.oracle.path or "the answers file"
        self._waiting = True
        return self._finish_empty(
            state,
            f"waiting for {len(pending)} answer(s): fill in the value column of {path} "
            f"and save it as (or append it to) {where}, then run the same command again",
        )

    def _keep_model(self, state: RunState) -> None:
        """Before the process ends (a stop, a wait for answers): write the checkpoint that
        ``trainer { checkpoint_every }`` skipped, if the bundle still holds the model of the
        last committed round (``_whole``; None from the moment a fit starts), so the next
        command loads it instead of retraining."""
        rnd = self._whole
        if rnd is not None and not self.run_dir.checkpoint_path(rnd).exists():
            self.run_dir.save_checkpoint(state.bundle, rnd)

    def _should_stop(self, state: RunState) -> str | None:
        return self.stages.should_stop(state)

    def _finish_empty(self, state: RunState, reason: str) -> RoundRecord:
        record = RoundRecord(
            round=state.round,
            labels_used=state.labels_used,
            items_touched=state.items_touched,
            asked=0,
            answered=0,
            timings={},
            train={},
            metrics=state.last_metrics,
            stop_reason=reason,
            cost=state.cost,
        )
        state.store.log_event(STOPPED_EVENT, {"round": state.round, "reason": reason})
        return record

    # -- checks of what plugins return -------------------------------------------------------------

    def _check_weights(self, state: RunState, w: ItemRows) -> ItemRows:
        """Weights as checked by the hook's contract; a wide spread is said once."""
        items = state.labelled_items()
        self._warn_spread(w[items][state.answers[items] >= 0])
        return w

    def _warn_spread(self, w: np.ndarray) -> None:
        """Say once when a few answered cells outweigh the rest by far (IWAL's 1/p of cells
        asked with a small probability): training then fits those few and little else."""
        positive = w[w > 0]
        if positive.size == 0 or "weights" in self._warned:
            return
        top, mid = float(positive.max()), float(np.median(positive))
        if top > WEIGHT_SPREAD * mid:
            self._warned.add("weights")
            self.stages.message(
                f"warning: cell weights reach {top:,.0f} against a median of {mid:.3g}: a few answers "
                "dominate training; bound them with weighting { clip 10 } or { normalize yes }"
            )

    # -- helpers ---------------------------------------------------------------------------------

    def _budget_left(self, state: RunState) -> int:
        return self.plan.query.budget - state.labels_used

    def _expand_and_trim(self, state: RunState, q: Queries) -> list[tuple[str, str, float, float]]:
        """Item queries become the item's unanswered cells; stop where the budget ends.

        An item is taken whole or not at all, so every asked item has all its labels.
        """
        ds = state.dataset
        left = self._budget_left(state)
        out: list[tuple[str, str, float, float]] = []
        for i, j, p, s in zip(q.items.tolist(), q.labels.tolist(), q.prob.tolist(), q.score.tolist()):
            cells = np.flatnonzero(state.answers[i] < 0) if j < 0 else np.array([j])
            if len(cells) > left:
                break
            left -= len(cells)
            out.extend((ds.ids[i], ds.label_names[c], float(p), float(s)) for c in cells.tolist())
        return out

    def _check_against_data(self, dataset: Any) -> None:
        from alframe.compile import seed_too_large

        q = self.plan.query
        pool = len(dataset.pool_idx)
        if pool == 0:
            return  # a clean stop with a summary, not an error
        unit_pool = pool if q.unit == "item" else pool * dataset.n_labels
        if q.seed_size > unit_pool:
            raise seed_too_large(self.plan, unit_pool)

    def _restore(self, state: RunState) -> None:
        """Rebuild the label matrix from the store, and the model of the last complete round."""
        ds = state.dataset
        for a in state.store.current_answers():
            i, j = ds.index_of(a.item), ds.label_index(a.label)
            state.answers[i, j] = a.value
            state.query_prob[i, j] = a.prob
        complete = self.run_dir.history()
        if not complete:
            self.stages.run_started(state, None)
            return
        last = complete[-1].round
        state.history.extend(complete)  # before the model: retraining a round reads the rounds before it
        self._rebuild_model(state, last)
        state.last_metrics = next((r.metrics for r in reversed(complete) if r.metrics), {})
        state.round = last + 1
        self.stages.run_started(state, last)

    def _rebuild_model(self, state: RunState, last: int) -> None:
        """Load the newest usable checkpoint ≤ ``last``, then retrain the rounds after it."""
        start = 0
        said = len(self.run_dir.messages)
        for rnd in range(last, -1, -1):
            if self.run_dir.load_checkpoint(state.bundle, rnd):
                start = rnd + 1
                break
        for text in self.run_dir.messages[said:]:  # a refused checkpoint (truncated, foreign)
            self.stages.message(f"warning: {text}")
        if start <= last:
            self.stages.message(f"retraining rounds {start}..{last} from the stored labels")
        current = state.answers
        for rnd in range(start, last + 1):
            state.round = rnd
            state.answers = self._answers_up_to(state, rnd)
            state.weights = self._check_weights(state, self.stages.weight(state))
            self._train(state)
            if self._stop_requested:
                raise Stop()  # cut short: never keep it as the round's checkpoint
            if rnd % self.plan.trainer.checkpoint_every == 0 or rnd == last:
                self.run_dir.save_checkpoint(state.bundle, rnd)
        self._whole = last
        state.answers = current

    def _train(self, state: RunState) -> Any:
        """The train hook, with a second Ctrl-C turned into :class:`StopNow` while it runs."""
        self._training, self._whole = True, None
        try:
            info = self.stages.train(state)
        finally:
            self._training = False
        return info

    def _answers_up_to(self, state: RunState, rnd: int) -> ItemRows:
        ds = state.dataset
        out = state.answers.empty_like()
        for a in state.store.current_answers(up_to_round=rnd):
            out[ds.index_of(a.item), ds.label_index(a.label)] = a.value
        return out

    @contextmanager
    def _observed(self) -> Iterator[None]:
        """The observer given to the engine follows the run as a plugin, for this run only."""
        if self.observer is None:
            yield
            return
        self.plugins.pm.register(self.observer, name=f"alframe-observer-{id(self.observer):x}")
        try:
            yield
        finally:
            self.plugins.pm.unregister(self.observer)

    @contextmanager
    def _stage(self, name: str) -> Iterator[None]:
        self.stages.stage_started(name)
        t0 = time.perf_counter()
        try:
            yield
        finally:
            took = time.perf_counter() - t0
            self._timings[name] = self._timings.get(name, 0.0) + took
            self.stages.stage_finished(name, took)

    @contextmanager
    def _signals(self) -> Iterator[None]:
        """Ctrl-C and SIGTERM ask for a stop at the next safe point; a second Ctrl-C stops now.

        Lightning turns a KeyboardInterrupt inside ``fit`` into a process exit, so the first
        signal only sets a flag that the engine (and a training callback) check between steps,
        and a second one during training raises :class:`StopNow`, which Lightning re-raises
        after its teardown; either way the run ends as interrupted (exit 130, resume hint).
        """

        def on_signal(signum: int, frame: Any) -> None:
            if self._finished:  # the run is already ending as asked: let it say how to resume
                self._stop_requested = True
                return
            if self._stop_requested and signum == signal.SIGINT:
                # inside ``fit`` Lightning would turn a KeyboardInterrupt into ``sys.exit(1)``
                raise StopNow() if self._training else KeyboardInterrupt
            self._stop_requested = True
            self.stages.message("stopping at the next safe point (Ctrl-C again to stop now)")

        previous: dict[signal.Signals, Any] = {}
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                previous[sig] = signal.signal(sig, on_signal)
            except ValueError:  # not the main thread: leave signals alone
                pass
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    @property
    def stop_requested(self) -> bool:
        return self._stop_requested


class _StopTraining(pl.Callback):
    """Ends ``Trainer.fit`` early once a stop was requested (the round is then redone)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def on_train_batch_end(self, trainer: Any, *args: Any, **kwargs: Any) -> None:
        if self.engine.stop_requested:
            trainer.should_stop = True


__all__ = ["Engine", "Observer", "Summary"]
