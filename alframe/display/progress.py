"""Progress of a run in the terminal: a rich live view, or one plain line per round.

The engine reports to an :class:`alframe.engine.Observer`; these are the two the command line
uses. The live view shows the round (k of about N), answered cells against the budget, the stage
now running with its elapsed time (and the epoch while training), the last metrics with their
trend over rounds, seconds per stage and an estimate of the time left. Without a terminal (CI,
a pipe) :class:`PlainProgress` prints one line per round instead. Lightning's own progress bar
is off; training progress arrives through a Lightning callback (rich allows one live display).
"""

from __future__ import annotations

import os
import time
from typing import Any

import pytorch_lightning as pl
from rich.columns import Columns
from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.panel import Panel
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from alframe.display.fit import ESTIMATE, SIGNALS, metric_text, metric_value, with_separators
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


def metric_names(state: RunState) -> list[str]:
    return list(state.plan.evaluate.metrics)


def shown_metric_names(state: RunState) -> list[str]:
    """The metrics the live view and ``--plain`` show: the spec's, or, when no test item is
    labelled, the model's own estimate (test metrics would all read "undefined"); then, once a
    round has them (from round 1), the estimates that need no test split and the stability of
    the predictions (:mod:`alframe.stopping`), so a user with a test split sees how good they are."""
    evaluated = [r.metrics for r in state.history if r.metrics]
    last = evaluated[-1] if evaluated else None
    names = [ESTIMATE] if last and "estimate" in last else metric_names(state)
    return names + [n for n, key in SIGNALS.items() if last and key in last and n not in names]


def falling_now(state: RunState) -> list[Fall]:
    """The metrics falling at the last round (the learning-curve health rule)."""
    if not state.history:
        return []
    return ongoing(curve_falls(state.history, metric_names(state)), state.history[-1].round)


class _Estimate:
    """Rounds left and time left, from the measured cost of the rounds so far.

    A round's cost grows with the answers it trains on, so the seconds of the query rounds
    (round 0 has no pool to score and is left out once a query round is measured) are fitted
    as ``a + b × answers`` (least squares, neither term negative) and summed over the rounds the
    budget, the round limit and the measured answers per round still leave. After round 0
    alone the figure is a lower bound (shown with ``≥``).
    """

    def __init__(self) -> None:
        self.costs: list[tuple[int, int, float]] = []  # (round, answers after it, seconds)

    def add(self, record: RoundRecord, seconds: float) -> None:
        self.costs.append((record.round, record.labels_used, seconds))

    def step(self, state: RunState) -> float | None:
        """Answers a query round adds: measured when a query round was, else from the plan."""
        done = state.history
        if not done:
            return None
        if len(done) >= 2:
            return max(1.0, (done[-1].labels_used - done[0].labels_used) / (len(done) - 1))
        q = state.plan.query
        if q.unit == "cell":
            return float(max(1, q.batch))
        per_item = done[0].labels_used / max(1, done[0].items_touched)
        return max(1.0, q.batch * per_item)

    def future(self, state: RunState) -> list[int]:
        """The answers each remaining round will have after it (empty when none is left)."""
        done = state.history
        if not done or done[-1].stop_reason:
            return []
        q = state.plan.query
        step = self.step(state) or 1.0
        used = done[-1].labels_used
        out: list[int] = []
        limit = None if q.rounds is None else max(0, q.rounds - len(done))
        # an item is asked whole: the run stops when the rest of the budget cannot pay one more
        cost = 1.0 if q.unit == "cell" else done[-1].labels_used / max(1, done[-1].items_touched)
        while q.budget - used >= cost and (limit is None or len(out) < limit) and len(out) < 100_000:
            used = int(min(q.budget, used + step))
            out.append(used)
        return out

    def rounds_total(self, state: RunState) -> int | None:
        """Rounds the run will have in all (None before round 0 is done)."""
        if not state.history:
            return state.plan.query.rounds
        return len(state.history) + len(self.future(state))

    def _model(self) -> tuple[float, float] | None:
        pts = [(float(n), t) for r, n, t in self.costs if r > 0] or [(float(n), t) for _, n, t in self.costs]
        if not pts:
            return None
        if len({n for n, _ in pts}) < 2:
            return sum(t for _, t in pts) / len(pts), 0.0
        mx = sum(n for n, _ in pts) / len(pts)
        my = sum(t for _, t in pts) / len(pts)
        sxx = sum((n - mx) ** 2 for n, _ in pts)
        b = sum((n - mx) * (t - my) for n, t in pts) / sxx
        a = my - b * mx
        if b < 0:
            return my, 0.0
        if a < 0:
            return 0.0, sum(n * t for n, t in pts) / sum(n * n for n, _ in pts)
        return a, b

    def time_left(self, state: RunState, elapsed_in_round: float = 0.0) -> float | None:
        model = self._model()
        if model is None:
            return None
        a, b = model
        costs = [a + b * n for n in self.future(state)]
        if not costs:
            return 0.0
        # the round under way counts down to nothing, the rounds after it stay whole
        return max(0.0, costs[0] - elapsed_in_round) + sum(costs[1:])

    def lower_bound(self) -> bool:
        """Only round 0 measured: later rounds also score the pool, and grow."""
        return not any(r > 0 for r, _, _ in self.costs)


def eta_text(seconds: float | None, lower: bool) -> str:
    if seconds is None:
        return "–"
    return ("≥ " if lower else "~") + fmt_seconds(seconds)


class EpochFeed(pl.Callback):
    """Feeds the epoch counter of ``Trainer.fit`` to a live view (a run's or a grid's): the view
    has an ``epoch`` it draws and the rich ``live`` that draws it."""

    def __init__(self, view: Any) -> None:
        self.view = view

    def on_train_epoch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if not trainer.is_global_zero:  # one process draws (ddp: the others share the terminal)
            return
        self.view.epoch = (trainer.current_epoch + 1, trainer.max_epochs or 0)
        self.view.live.refresh()


class quiet_terminal:
    """While a live view is drawn: the terminal does not echo ``^C`` (two characters typed over
    the panel's last line, which pushed the screen up a line and drew the top border twice), and
    third-party warnings that are not the user's business stay off the screen (Lightning's "the
    logs directory exists and is not empty" when a round is redone on resume: the folder is the
    run's own)."""

    IGNORED = (
        r".*[Ee]xperiment logs directory .* exists and is not empty.*",
        r".*Checkpoint directory .* exists and is not empty.*",
        r".*exists and is not empty\..*",
    )

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream
        self._saved: Any = None
        self._warnings: Any = None

    def __enter__(self) -> quiet_terminal:
        import warnings

        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        for pattern in self.IGNORED:
            warnings.filterwarnings("ignore", message=pattern)
        try:
            import sys
            import termios

            fd = (self.stream or sys.stdin).fileno()
            if os.isatty(fd):
                attrs = termios.tcgetattr(fd)
                self._saved = (fd, list(attrs))
                attrs[3] &= ~termios.ECHOCTL
                termios.tcsetattr(fd, termios.TCSANOW, attrs)
        except (ImportError, AttributeError, OSError, ValueError):
            self._saved = None
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._saved is not None:
            import termios

            fd, attrs = self._saved
            try:
                termios.tcsetattr(fd, termios.TCSANOW, attrs)
            except (OSError, termios.error):
                pass
        if self._warnings is not None:
            self._warnings.__exit__(*exc)


def quiet_warnings() -> Any:
    """The warning filters of :class:`quiet_terminal` alone (plain output keeps the terminal)."""
    import warnings

    ctx = warnings.catch_warnings()

    class _Quiet:
        def __enter__(self) -> None:
            ctx.__enter__()
            for pattern in quiet_terminal.IGNORED:
                warnings.filterwarnings("ignore", message=pattern)

        def __exit__(self, *exc: Any) -> None:
            ctx.__exit__(*exc)

    return _Quiet()


def cost_text(cost: float) -> str:
    """A cost as the display shows it: ``1,260`` or ``1,260.5``."""
    return f"{cost:,.0f}" if float(cost).is_integer() else f"{cost:,.1f}"


def shown_cost(state: RunState, cost: float) -> str:
    """`` cost 1,260.5`` when the spec sets a cost model; nothing otherwise (the default cost
    is the answered cells, already shown)."""
    return "" if state.plan.cost.is_default else f" cost {cost_text(cost)}"


def answers_bar(console: Console, used: int, budget: int, items: int, cost: str = "") -> Progress:
    """``answers ━━━━╸   1,860 / 4,000   items 60``: the bar takes the room the numbers leave
    (``cost`` is :func:`shown_cost`, after the items)."""
    bar = Progress(
        TextColumn("answers"), BarColumn(bar_width=None),
        TextColumn("{task.completed:,.0f} / {task.total:,.0f}"),
        TextColumn(f"items {items:,}{escape(cost)}"),
        console=console, expand=True,
    )
    bar.add_task("answers", total=budget, completed=min(used, budget))
    return bar


def stage_columns(timings: dict[str, float]) -> Columns:
    """Seconds per stage as ``score 0.12`` pairs that flow onto more lines when narrow."""
    shown = [s for s in STAGES if s in timings]
    return Columns([Text.assemble((s, "dim"), f" {timings[s]:,.2f}") for s in shown], padding=(0, 3))


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
        self.quiet = quiet_terminal()
        self.live = Live(console=console, refresh_per_second=4, transient=False, get_renderable=self._render)

    def __enter__(self) -> LiveProgress:
        self.quiet.__enter__()
        self.live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            self.live.__exit__(*exc)
        finally:
            self.quiet.__exit__(*exc)

    def train_callbacks(self) -> list[pl.Callback]:
        return [EpochFeed(self)]

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
        self.estimate.add(record, now - self.round_started_at)
        self.round_started_at = now
        self.finished = record.stop_reason
        self.notes = [n for n in self.notes if not n.startswith("retraining rounds")]
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
        # rounds are numbered from 0, as in the tables and the plain log
        shown = state.history[-1].round if self.finished and state.history else state.round
        total = self.estimate.rounds_total(state)
        last = None if total is None else max(total - 1, shown)
        head = Text.assemble(
            ("round ", "dim"), (f"{shown}", "bold"),
            ("" if last is None or self.finished else f" (last ~{last})", "dim"),
            ("   unit ", "dim"), (q.unit, "bold"),
            ("   policy ", "dim"), (str(q.policy), "bold cyan"),
        )
        arm = state.history[-1].policy.get("arm") if state.history else None
        if arm:  # a policy choosing among policies (adaptive): the one that asked the last round
            head.append_text(Text.assemble(("   arm ", "dim"), (str(arm), "bold")))
        bar = answers_bar(self.console, state.labels_used, q.budget, state.items_touched, shown_cost(state, state.cost))
        if self.stage:
            took = time.perf_counter() - self.stage_started_at
            extra = f"  epoch {self.epoch[0]}/{self.epoch[1]}" if self.stage == "train" and self.epoch else ""
            stage_line = Text.assemble(("stage ", "dim"), (self.stage, "bold yellow"), f"  {fmt_seconds(took)}{extra}")
        else:
            stage_line = Text("stage –", style="dim")
        if self.finished:
            stage_line = Text.assemble(("finished: ", "bold green"), with_separators(self.finished))
        else:
            eta = self.estimate.time_left(state, time.perf_counter() - self.round_started_at)
            if eta is not None:
                stage_line.append(f"     time left {eta_text(eta, self.estimate.lower_bound())}", style="dim")
        parts: list[Any] = [head, bar, stage_line, self._metrics_table(state)]
        if state.history:
            parts += [Text("seconds per stage (last round)", style="dim"), stage_columns(state.history[-1].timings)]
        parts.extend(Text(f"warning: {f.text()}", style="bold yellow") for f in falling_now(state))
        parts.extend(Text(n, style="dim") for n in self.notes)
        return Panel(Group(*parts), title=f"alframe run [bold]{escape(state.plan.name)}[/]", border_style="cyan")

    def _metrics_table(self, state: RunState) -> Table:
        t = Table(box=None, padding=(0, 2), show_edge=False)
        t.add_column("metric", style="dim", overflow="fold")
        t.add_column("last", justify="right", no_wrap=True)
        t.add_column("trend", overflow="crop", no_wrap=True)
        evaluated = [r.metrics for r in state.history if r.metrics]
        for name in shown_metric_names(state):
            values = [metric_value(m, name) for m in evaluated]
            last = evaluated[-1] if evaluated else {}
            t.add_row(name, metric_text(last, name), sparkline(values[-40:]))
        return t


class PlainProgress(Observer):
    """One line per round, for logs and pipes."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.estimate = _Estimate()
        self.round_started_at = time.perf_counter()
        self.quiet = quiet_warnings()

    def __enter__(self) -> PlainProgress:
        self.quiet.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.quiet.__exit__(*exc)

    def train_callbacks(self) -> list[pl.Callback]:
        return []

    def run_started(self, state: RunState, resumed_from: int | None) -> None:
        if resumed_from is not None:
            self.console.print(f"resuming {state.plan.name} after round {resumed_from} ({state.run_dir})", highlight=False)
        self.round_started_at = time.perf_counter()

    def round_finished(self, state: RunState, record: RoundRecord) -> None:
        now = time.perf_counter()
        self.estimate.add(record, now - self.round_started_at)
        self.round_started_at = now
        q = state.plan.query
        metrics = "  ".join(f"{m} {metric_text(record.metrics, m)}" for m in shown_metric_names(state))
        stages = " ".join(f"{k} {v:.1f}s" for k, v in record.timings.items() if v >= 0.05)
        if record.policy.get("arm"):  # adaptive: which policy asked this round
            stages = f"arm {record.policy['arm']} | {stages}"
        eta = None if record.stop_reason else self.estimate.time_left(state)
        self.console.print(
            f"round {record.round:>3} | answers {record.labels_used:,}/{q.budget:,} items {record.items_touched:,}"
            f"{shown_cost(state, record.cost)} | {metrics} | {stages}" + (f" | left {eta_text(eta, self.estimate.lower_bound())}" if eta is not None else ""),
            highlight=False,
            soft_wrap=True,
        )
        for fall in falling_now(state):
            if fall.to_round - fall.from_round + 1 == MIN_ROUNDS:  # said once, when it is first seen
                self.console.print(f"warning: {fall.text()}", style="yellow", highlight=False, soft_wrap=True)

    def message(self, text: str) -> None:
        self.console.print(text, highlight=False, soft_wrap=True)
