"""Progress of a run in the terminal: a rich live view, or one plain line per round.

The engine reports to an :class:`alframe.engine.Observer`; these are the two the command line
uses. The live view shows the round (k of about N), labels used against the budget, the stage
now running with its elapsed time (and the epoch while training), the last metrics with their
trend over rounds, seconds per stage and an estimate of the time left. Without a terminal (CI,
a pipe) :class:`PlainProgress` prints one line per round instead. Lightning's own progress bar
is off; training progress arrives through a Lightning callback (rich allows one live display).
"""

from __future__ import annotations

import time
from typing import Any

import pytorch_lightning as pl
from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from alframe.engine import Observer
from alframe.health import MIN_ROUNDS, Fall, curve_falls, ongoing
from alframe.state import RoundRecord, RunState

SPARK = "▁▂▃▄▅▆▇█"
STAGES = ("seed", "score", "query", "annotate", "weight", "train", "evaluate", "checkpoint")


def sparkline(values: list[float]) -> str:
    """Tiny trend line of a metric over rounds (higher is taller)."""
    vals = [v for v in values if v is not None]
    if not vals:
        return ""
    lo, hi = min(vals), max(vals)
    span = hi - lo or 1.0
    return "".join(SPARK[min(len(SPARK) - 1, int((v - lo) / span * (len(SPARK) - 1) + 0.5))] for v in vals)


def fmt_seconds(s: float | None) -> str:
    if s is None:
        return "–"
    s = max(0.0, s)
    if s < 60:
        return f"{s:.1f}s"
    m, sec = divmod(int(s + 0.5), 60)
    if m < 60:
        return f"{m}m{sec:02d}s"
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m"


def metric_text(metrics: dict[str, Any], name: str) -> str:
    """A metric for display: "–" when the round was not evaluated, "undefined" when the metric
    has no value (e.g. no positive in the test split)."""
    if not metrics:
        return "–"
    value = metrics.get(name)
    return "undefined" if value is None else f"{value:.4f}"


def metric_names(state: RunState) -> list[str]:
    return list(state.plan.evaluate.metrics)


def falling_now(state: RunState) -> list[Fall]:
    """The metrics falling at the last round (the learning-curve health rule)."""
    if not state.history:
        return []
    return ongoing(curve_falls(state.history, metric_names(state)), state.history[-1].round)


class _Estimate:
    """Rounds left and time left from the budget and the rounds so far."""

    def __init__(self) -> None:
        self.round_seconds: list[float] = []

    def rounds_total(self, state: RunState) -> int | None:
        """Rounds the run will have in all, judged from the labels the finished rounds used."""
        q = state.plan.query
        done = state.history
        if not done:
            return q.rounds
        used = done[-1].labels_used
        per_round = used / len(done) if len(done) < 2 else (used - done[0].labels_used) / (len(done) - 1)
        left = max(0, q.budget - used)
        total = len(done) + int(-(-left // max(1.0, per_round)))
        if q.rounds is not None:
            total = min(total, q.rounds)
        return total

    def time_left(self, state: RunState) -> float | None:
        total = self.rounds_total(state)
        if total is None or not self.round_seconds:
            return None
        recent = self.round_seconds[-3:]
        return (total - len(state.history)) * sum(recent) / len(recent)


class _EpochFeed(pl.Callback):
    """Feeds the epoch counter of ``Trainer.fit`` to the display."""

    def __init__(self, view: LiveProgress) -> None:
        self.view = view

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.view.epoch = (trainer.current_epoch + 1, trainer.max_epochs or 0)
        self.view.refresh()


class LiveProgress(Observer):
    """The rich live view (one ``Live``, redrawn at each event and a few times a second)."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.state: RunState | None = None
        self.stage: str | None = None
        self.stage_started_at = 0.0
        self.epoch: tuple[int, int] | None = None
        self.round_started_at = time.perf_counter()
        self.estimate = _Estimate()
        self.notes: list[str] = []
        self.finished: str | None = None
        self.live = Live(console=console, refresh_per_second=4, transient=False, get_renderable=self._render)

    def __enter__(self) -> LiveProgress:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.live.__exit__(*exc)

    def train_callbacks(self) -> list[pl.Callback]:
        return [_EpochFeed(self)]

    def refresh(self) -> None:
        self.live.refresh()

    # -- observer ----------------------------------------------------------------------------

    def run_started(self, state: RunState, resumed_from: int | None) -> None:
        self.state = state
        if resumed_from is not None:
            self.notes.append(f"resumed after round {resumed_from} from {state.run_dir}")
        self.round_started_at = time.perf_counter()

    def stage_started(self, stage: str) -> None:
        self.stage, self.stage_started_at = stage, time.perf_counter()
        if stage == "train":
            self.epoch = None
        self.refresh()

    def stage_finished(self, stage: str, seconds: float) -> None:
        self.stage = None
        self.refresh()

    def round_finished(self, state: RunState, record: RoundRecord) -> None:
        now = time.perf_counter()
        self.estimate.round_seconds.append(now - self.round_started_at)
        self.round_started_at = now
        self.finished = record.stop_reason
        self.refresh()

    def message(self, text: str) -> None:
        self.notes.append(text)
        self.notes = self.notes[-4:]

    # -- drawing -----------------------------------------------------------------------------

    def _render(self) -> Any:
        state = self.state
        if state is None:
            stage = f"{self.stage} …" if self.stage else "starting …"
            return Panel(Text(f"preparing: {stage}"), title="alframe", border_style="cyan")
        q = state.plan.query
        total = self.estimate.rounds_total(state)
        head = Text.assemble(
            ("round ", "dim"), (f"{state.round + 1}", "bold"),
            ("" if total is None else f" of ~{max(total, state.round + 1)}", "dim"),
            ("   policy ", "dim"), (str(q.policy), "bold cyan"),
            ("   unit ", "dim"), (q.unit, "bold"),
        )
        bar = Progress(
            TextColumn("labels"), BarColumn(bar_width=40),
            TextColumn("{task.completed:,.0f} / {task.total:,.0f}"),
            TextColumn(f"  items {state.items_touched:,}"),
            console=self.console,
        )
        bar.add_task("labels", total=q.budget, completed=min(state.labels_used, q.budget))
        if self.stage:
            took = time.perf_counter() - self.stage_started_at
            extra = f"  epoch {self.epoch[0]}/{self.epoch[1]}" if self.stage == "train" and self.epoch else ""
            stage_line = Text.assemble(("stage ", "dim"), (self.stage, "bold yellow"), f"  {fmt_seconds(took)}{extra}")
        else:
            stage_line = Text("stage –", style="dim")
        eta = self.estimate.time_left(state)
        if self.finished:
            stage_line = Text.assemble(("finished: ", "bold green"), self.finished)
        elif eta is not None:
            stage_line.append(f"     time left ~{fmt_seconds(eta)}", style="dim")
        parts: list[Any] = [head, bar, stage_line, self._metrics_table(state), self._timing_table(state)]
        parts.extend(Text(f"warning: {f.text()}", style="bold yellow") for f in falling_now(state))
        parts.extend(Text(n, style="dim") for n in self.notes)
        return Panel(Group(*parts), title=f"alframe run [bold]{state.plan.name}[/]", border_style="cyan")

    def _metrics_table(self, state: RunState) -> Table:
        t = Table(box=None, padding=(0, 2), show_edge=False)
        t.add_column("metric", style="dim")
        t.add_column("last", justify="right")
        t.add_column("trend")
        evaluated = [r.metrics for r in state.history if r.metrics]
        for name in metric_names(state):
            values = [m.get(name) for m in evaluated]
            last = evaluated[-1] if evaluated else {}
            t.add_row(name, metric_text(last, name), sparkline(values))  # type: ignore[arg-type]
        return t

    def _timing_table(self, state: RunState) -> Table:
        t = Table(box=None, padding=(0, 2), show_edge=False, title="seconds per stage (last round)", title_justify="left", title_style="dim")
        last = state.history[-1].timings if state.history else {}
        shown = [s for s in STAGES if s in last]
        for s in shown:
            t.add_column(s, justify="right")
        if shown:
            t.add_row(*[f"{last[s]:.2f}" for s in shown])
        return t


class PlainProgress(Observer):
    """One line per round, for logs and pipes."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.estimate = _Estimate()
        self.round_started_at = time.perf_counter()

    def __enter__(self) -> PlainProgress:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def train_callbacks(self) -> list[pl.Callback]:
        return []

    def run_started(self, state: RunState, resumed_from: int | None) -> None:
        if resumed_from is not None:
            self.console.print(f"resuming {state.plan.name} after round {resumed_from} ({state.run_dir})", highlight=False)
        self.round_started_at = time.perf_counter()

    def round_finished(self, state: RunState, record: RoundRecord) -> None:
        now = time.perf_counter()
        self.estimate.round_seconds.append(now - self.round_started_at)
        self.round_started_at = now
        q = state.plan.query
        metrics = "  ".join(f"{m} {metric_text(record.metrics, m)}" for m in metric_names(state))
        stages = " ".join(f"{k} {v:.1f}s" for k, v in record.timings.items() if v >= 0.05)
        eta = self.estimate.time_left(state)
        self.console.print(
            f"round {record.round:>3} | labels {record.labels_used}/{q.budget} items {record.items_touched} "
            f"| {metrics} | {stages}" + (f" | left ~{fmt_seconds(eta)}" if eta is not None else ""),
            highlight=False,
            soft_wrap=True,
        )
        for fall in falling_now(state):
            if fall.to_round - fall.from_round + 1 == MIN_ROUNDS:  # said once, when it is first seen
                self.console.print(f"warning: {fall.text()}", style="yellow", highlight=False, soft_wrap=True)

    def message(self, text: str) -> None:
        self.console.print(text, highlight=False, soft_wrap=True)
