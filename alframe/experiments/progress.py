"""Progress over a grid: which runs are done, running, waiting, and the time left overall.

The engine reports each run to an :class:`~alframe.engine.Observer`; the grid views are such
observers that also hear about the grid (:class:`GridObserver`). :class:`LiveGridProgress`
draws one rich ``Live`` (rich allows one at a time): the list of runs with their state, then
the running run's stage and its latest round lines. :class:`PlainGridProgress` prints plain
lines instead, for CI and pipes.

The overall estimate is per setting: a waiting run is expected to take as long as the runs of
its own setting that finished in this session (item and cell runs differ by tens of times); the
running run, what its measured rounds say is left (:class:`alframe.display.progress._Estimate`); a
setting with no run finished yet borrows the mean of the others, and the view says how many
settings are not measured yet (the figure is then a guess, marked ``+``).
"""

from __future__ import annotations

import time
from typing import Any

import pytorch_lightning as pl
from rich.console import Console, Group
from rich.live import Live
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from alframe.display.fit import short_names, with_separators
from alframe.display.progress import EpochFeed, _Estimate, eta_text, fmt_seconds, quiet_terminal, quiet_warnings
from alframe.engine import Observer
from alframe.experiments.grid import Variant
from alframe.state import RoundRecord, RunState

MAX_ROWS = 14  # runs listed in the live view (the window follows the running one)
ROUND_LINES = 4


class GridObserver(Observer):
    """An engine observer that also follows the grid."""

    def __init__(self, variants: list[Variant]) -> None:
        self.variants = variants
        self.status: dict[str, str] = {v.name: "waiting" for v in variants}
        self.detail: dict[str, str] = {}
        self.durations: list[float] = []
        self.by_setting: dict[str, list[float]] = {}
        self.estimate = _Estimate()
        self.current: Variant | None = None
        self.started_at = time.perf_counter()
        self.round_started_at = self.started_at
        self.variant_started_at = self.started_at
        self.state: RunState | None = None
        self.stage: str | None = None
        self.stage_started_at = self.started_at
        self.epoch: tuple[int, int] | None = None
        self.lines: list[str] = []
        self.notes: list[str] = []

    # -- grid events ---------------------------------------------------------------------------

    def grid_started(self, status: dict[str, str], detail: dict[str, str]) -> None:
        self.status.update(status)
        self.detail.update(detail)

    def variant_started(self, v: Variant) -> None:
        self.current, self.state, self.stage, self.epoch = v, None, None, None
        self.status[v.name] = "running"
        self.variant_started_at = self.round_started_at = time.perf_counter()
        self.estimate = _Estimate()
        self.lines = []
        # what the ceiling or the previous run said is over once a run starts; warnings stay
        self.notes = [n for n in self.notes if n.startswith("warning")]

    def variant_finished(self, v: Variant, status: str, detail: str) -> None:
        self.status[v.name] = status
        self.detail[v.name] = detail
        if status == "done":
            took = time.perf_counter() - self.variant_started_at
            self.durations.append(took)
            self.by_setting.setdefault(v.setting, []).append(took)
        self.current = None

    # -- estimates -----------------------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for s in self.status.values():
            out[s] = out.get(s, 0) + 1
        return out

    def unmeasured(self) -> int:
        """Settings still to run of which no run has finished in this session."""
        left = {v.setting for v in self.variants if self.status[v.name] in ("waiting", "partial", "running")}
        return sum(1 for st in left if st not in self.by_setting)

    def _setting_seconds(self, setting: str) -> float | None:
        own = self.by_setting.get(setting)
        if own:
            return sum(own) / len(own)
        means = [sum(d) / len(d) for d in self.by_setting.values() if d]
        return sum(means) / len(means) if means else None

    def eta(self) -> float | None:
        """Seconds left for the whole grid, or None before anything can be estimated."""
        now = time.perf_counter()
        total = 0.0
        whole_run: float | None = None  # the running run's projected duration
        if self.current is not None:
            running = None
            if self.state is not None and self.state.history:
                running = self.estimate.time_left(self.state, now - self.round_started_at)
            if running is None:
                per_run = self._setting_seconds(self.current.setting)
                if per_run is None and self.state is not None and self.state.history:
                    budget = max(1, self.state.plan.query.budget)
                    share = min(1.0, self.state.labels_used / budget)
                    if share >= 0.05:
                        per_run = (now - self.variant_started_at) / share
                if per_run is None:
                    return None
                running = max(0.0, per_run - (now - self.variant_started_at))
            total += running
            whole_run = (now - self.variant_started_at) + running
        for v in self.variants:
            if self.status[v.name] in ("waiting", "partial") and (self.current is None or v.name != self.current.name):
                per = self._setting_seconds(v.setting)
                if per is None:
                    if whole_run is None or self.state is None or not self.state.history:
                        return None
                    per = whole_run  # nothing finished yet: the running run's own projection
                total += per
        return total

    # -- engine observer -----------------------------------------------------------------------

    def run_started(self, state: RunState, resumed_from: int | None) -> None:
        self.state = state
        self.round_started_at = time.perf_counter()
        if resumed_from is not None and self.current is not None:
            self.message(f"{self.current.name}: resumed after round {resumed_from}")

    def stage_started(self, stage: str) -> None:
        self.stage, self.stage_started_at = stage, time.perf_counter()
        if stage == "train":
            self.epoch = None

    def stage_finished(self, stage: str, seconds: float) -> None:
        self.stage = None

    def round_finished(self, state: RunState, record: RoundRecord) -> None:
        now = time.perf_counter()
        self.estimate.add(record, now - self.round_started_at)
        self.round_started_at = now
        self.lines.append(round_line(state, record))
        self.lines = self.lines[-ROUND_LINES:]

    def message(self, text: str) -> None:
        self.notes.append(text)
        self.notes = self.notes[-4:]


def round_line(state: RunState, record: RoundRecord) -> str:
    q = state.plan.query
    metrics = "  ".join(
        f"{m} {'undefined' if record.metrics.get(m) is None else format(record.metrics[m], '.4f')}"
        for m in state.plan.evaluate.metrics
    )
    secs = sum(record.timings.values())
    return (f"round {record.round:>3} | answers {record.labels_used:,}/{q.budget:,} items {record.items_touched:,} "
            f"| {metrics} | {secs:.1f}s")


def brief_detail(detail: str) -> str:
    """A finished run's detail in the table: ``2 rounds, 1,178 answers · budget spent`` (the
    stop reason's first words; the full sentence is in the report and run.db)."""
    head, _, reason = with_separators(detail).replace(" labels;", " answers;").partition("; ")
    return head + (f" · {reason.split(':', 1)[0]}" if reason else "")


STYLE = {"done": "green", "running": "bold yellow", "waiting": "dim", "partial": "cyan",
         "interrupted": "magenta", "failed": "bold red", "skipped": "green"}


class LiveGridProgress(GridObserver):
    """The rich live view of a grid."""

    def __init__(self, console: Console, variants: list[Variant], title: str) -> None:
        super().__init__(variants)
        self.console = console
        self.title = title
        self.live = Live(console=console, refresh_per_second=4, transient=False, get_renderable=self._render)

    def __enter__(self) -> LiveGridProgress:
        self.quiet = quiet_terminal()
        self.quiet.__enter__()
        self.live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        # the last frame stays on screen: no "training the ceiling …" once everything is done
        self.notes = [n for n in self.notes if not (n.endswith("…") or n.startswith("ceiling:"))]
        try:
            self.live.__exit__(*exc)
        finally:
            self.quiet.__exit__(*exc)

    def train_callbacks(self) -> list[pl.Callback]:
        return [EpochFeed(self)]

    def _render(self) -> Any:
        c = self.counts()
        done = c.get("done", 0) + c.get("skipped", 0)
        eta = self.eta()
        unmeasured = self.unmeasured() if eta is not None else 0
        left = "–" if eta is None else eta_text(eta, False) + ("+" if unmeasured else "")
        head = Text.assemble(
            ("runs ", "dim"), (f"{done}", "bold green"), (f" of {len(self.variants)} done", "dim"),
            ("   running ", "dim"), (str(c.get("running", 0)), "bold yellow"),
            ("   waiting ", "dim"), (str(c.get("waiting", 0) + c.get("partial", 0)), "bold"),
            ("   elapsed ", "dim"), fmt_seconds(time.perf_counter() - self.started_at),
            ("   time left ", "dim"), left,
            (f" ({unmeasured} setting{'s' if unmeasured > 1 else ''} not measured yet)" if unmeasured else "", "dim"),
        )
        parts: list[Any] = [head, *self._runs_table()]
        if self.current is not None:
            parts.append(self._current())
        parts.extend(Text(n, style="dim") for n in self.notes)
        return Panel(Group(*parts), title=f"alframe [bold]{escape(self.title)}[/]", border_style="cyan")

    def run_names(self, width: int) -> tuple[dict[str, str], list[str]]:
        """Each run's name in the table, and the legend below it: the full variant name when the
        longest fits in about half the width; else ``S<k> #<repeat>`` with one legend line per
        setting (``S1  policy=uncertainty(measure=margin)  heads=independent``)."""
        settings = list(dict.fromkeys(v.setting for v in self.variants))
        repeats = len({v.repeat for v in self.variants}) > 1
        full = {v.name: v.name for v in self.variants}
        if max(len(n) for n in full.values()) <= max(24, width // 2 - 4):
            return full, []
        codes, _ = short_names(settings, 0)
        code = dict(zip(settings, codes))
        names = {v.name: code[v.setting] + (f" #{v.repeat}" if repeats else "") for v in self.variants}
        legend = [f"{code[st]}  {st.replace('__', '  ')}" for st in settings]
        return names, legend

    def _runs_table(self) -> list[Any]:
        width = self.console.width - 4  # inside the panel
        shown_names, legend = self.run_names(width)
        t = Table(box=None, padding=(0, 2), show_edge=False, show_header=True, header_style="dim")
        t.add_column("run", overflow="fold")
        t.add_column("state", no_wrap=True)
        t.add_column("detail", style="dim", overflow="fold")
        names = [v.name for v in self.variants]
        at = names.index(self.current.name) if self.current else next(
            (i for i, n in enumerate(names) if self.status[n] in ("waiting", "partial")), len(names) - 1)
        lo = max(0, min(at - MAX_ROWS // 3, len(names) - MAX_ROWS))
        shown = names[lo: lo + MAX_ROWS]
        if lo:
            t.add_row(Text(f"… {lo} more above", style="dim"), "", "")
        for n in shown:
            s = self.status[n]
            detail = brief_detail(self.detail.get(n, ""))
            if s == "running" and self.state is not None:
                detail = (f"round {self.state.round}, answers {self.state.labels_used:,}/"
                          f"{self.state.plan.query.budget:,}")
            t.add_row(shown_names[n], Text(s, style=STYLE.get(s, "")), detail)
        rest = len(names) - lo - len(shown)
        if rest > 0:
            t.add_row(Text(f"… {rest} more below", style="dim"), "", "")
        return [t, *[Text(line, style="dim") for line in legend]]

    def _current(self) -> Group:
        name = self.current.name if self.current is not None else ""
        if self.stage:
            took = time.perf_counter() - self.stage_started_at
            extra = f"  epoch {self.epoch[0]}/{self.epoch[1]}" if self.stage == "train" and self.epoch else ""
            stage = Text.assemble(("  stage ", "dim"), (self.stage, "bold yellow"), f"  {fmt_seconds(took)}{extra}")
        else:
            stage = Text("  stage –", style="dim")
        if self.state is not None and self.state.history:
            run_left = self.estimate.time_left(self.state, time.perf_counter() - self.round_started_at)
            if run_left is not None:
                stage.append(f"     this run: time left {eta_text(run_left, self.estimate.lower_bound())}", style="dim")
        head = Text.assemble(("▶ ", "yellow"), (name, "bold"))
        return Group(head, stage, *[Text("  " + line) for line in self.lines])


class PlainGridProgress(GridObserver):
    """Plain lines: one when a run starts or ends, one per round."""

    def __init__(self, console: Console, variants: list[Variant], title: str) -> None:
        super().__init__(variants)
        self.console = console
        self.title = title

    def __enter__(self) -> PlainGridProgress:
        self.quiet = quiet_warnings()
        self.quiet.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.quiet.__exit__(*exc)

    def _print(self, text: str) -> None:
        self.console.print(text, highlight=False, soft_wrap=True, markup=False)

    def grid_started(self, status: dict[str, str], detail: dict[str, str]) -> None:
        super().grid_started(status, detail)
        done = sum(1 for s in status.values() if s in ("done", "skipped"))
        self._print(f"alframe {self.title}: {len(self.variants)} runs ({done} already complete)")

    def variant_started(self, v: Variant) -> None:
        super().variant_started(v)
        k = [x.name for x in self.variants].index(v.name) + 1
        self._print(f"[{k}/{len(self.variants)}] {v.name}: started (seed {v.seed})")

    def variant_finished(self, v: Variant, status: str, detail: str) -> None:
        super().variant_finished(v, status, detail)
        eta = self.eta()
        unmeasured = self.unmeasured()
        left = (f" | grid time left ~{fmt_seconds(eta)}" + (f"+ ({unmeasured} setting(s) not measured yet)"
                                                            if unmeasured else "")) if eta else ""
        self._print(f"    {v.name}: {status}" + (f" ({with_separators(detail)})" if detail else "") + left)

    def round_finished(self, state: RunState, record: RoundRecord) -> None:
        super().round_finished(state, record)
        self._print("    " + round_line(state, record))

    def message(self, text: str) -> None:
        super().message(text)
        self._print(text)
