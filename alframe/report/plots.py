"""PNG plots of a report (matplotlib, Agg backend: no display needed).

- ``curves_<metric>.png``: answered cells against the metric, one line per setting (mean over
  repeats, band ± sd); random settings are drawn dashed so the baseline is always visible;
  targets and the ceiling as dotted lines.
- ``time.png``: seconds per round split by stage, one bar per setting, and beside it the
  seconds per run with its number of rounds (a cheap round is not a cheap run).
- ``imbalance.png``: final per-label F1 against the label's positives in the test split (dots:
  labels; lines: the mean of each band of the imbalance table).

A setting has one colour in every plot (:func:`setting_colours`: random settings in greys,
the others from one palette, in grid order); legends sit below the axes, never over data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from alframe.errors import RunError
from alframe.report.analysis import STAGES, Analysis, is_random
from alframe.report.complexity import mean_curve
from alframe.report.read import Collection
from alframe.report.tables import BUCKETS


def _pyplot() -> Any:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise RunError("reports need matplotlib", code="X401", hint="pip install 'alframe[report]'") from None
    return plt


def _colours(n: int) -> list[Any]:
    plt = _pyplot()
    cmap = plt.get_cmap("tab10" if n <= 10 else "tab20")
    return [cmap(i % cmap.N) for i in range(n)]


GREYS = ("#222222", "#777777", "#aaaaaa", "#444444", "#999999")


def setting_colours(a: Analysis) -> dict[str, Any]:
    """One colour per setting, the same in every plot of the report."""
    others = [s.setting for s in a.settings if not is_random(s.plan)]
    palette = _colours(len(others))
    out: dict[str, Any] = dict(zip(others, palette))
    randoms = [s.setting for s in a.settings if is_random(s.plan)]
    out.update({name: GREYS[i % len(GREYS)] for i, name in enumerate(randoms)})
    return out


def _legend_below(ax: Any, n: int) -> None:
    """The legend under the axes (outside the data area), in as many columns as fit."""
    if not ax.get_legend_handles_labels()[0]:
        return
    longest = max(len(lbl) for lbl in ax.get_legend_handles_labels()[1])
    ncol = max(1, min(n, 3 if longest < 30 else 2 if longest < 50 else 1))
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=ncol, frameon=False)


def learning_curves(col: Collection, a: Analysis, metric: str, path: Path, only: list[str] | None = None,
                    title: str | None = None) -> Path:
    """One metric against answered cells; ``only`` restricts the lines to some settings (by name)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    colours = setting_colours(a)
    shown = 0
    for s in a.settings:
        if only is not None and s.setting not in only:
            continue
        mc = mean_curve([r.curve(metric) for r in col.runs_of(s.setting)])
        if mc is None:
            continue
        x, mean, sd = mc
        random = is_random(s.plan)
        c = colours[s.setting]
        shown += 1
        n = len(col.runs_of(s.setting))
        label = f"{s.setting}" + (" (baseline)" if random else "") + (f"  n={n}" if n > 1 else "")
        ax.plot(x, mean, color=c, lw=2.2 if random else 1.6, ls="--" if random else "-", label=label,
                marker="o" if len(x) <= 12 else None, ms=3)
        if n > 1:
            ax.fill_between(x, mean - sd, mean + sd, color=c, alpha=0.15, lw=0)
    for t in a.targets:
        if t.metric == metric and t.absolute is not None:
            ax.axhline(t.absolute, color="#aa3333", ls=":", lw=1)
            ax.annotate(f"target {t.absolute:.3f}", (0.01, t.absolute), xycoords=("axes fraction", "data"),
                        fontsize=7, color="#aa3333", va="bottom")
    ceiling = (a.ceiling or {}).get(metric)
    if isinstance(ceiling, (int, float)):
        ax.axhline(float(ceiling), color="#336633", ls="-.", lw=1)
        ax.annotate(f"ceiling {float(ceiling):.3f}", (0.99, float(ceiling)), xycoords=("axes fraction", "data"),
                    fontsize=7, color="#336633", va="bottom", ha="right")
    ax.set_xlabel("answered cells")
    ax.set_ylabel(metric)
    ax.set_title(title or f"{a.name}: {metric} against answered cells")
    ax.grid(alpha=0.3)
    ax.xaxis.set_major_formatter(_thousands())
    _legend_below(ax, shown)
    return _save(fig, path)


def _thousands() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 1 or v == 0 else f"{v:g}")


def baseline_groups(a: Analysis) -> dict[str, list[str]]:
    """Settings grouped by their paired random baseline, when there are several baselines
    (a grid over policy × something): each group is one comparison against its own random."""
    groups: dict[str, list[str]] = {}
    for s in a.settings:
        if s.baseline:
            groups.setdefault(s.baseline, []).append(s.setting)
    return groups if len(groups) > 1 else {}


def time_bars(a: Analysis, path: Path) -> Path:
    """Left: seconds per round by stage; right: seconds per run by stage, with its rounds."""
    plt = _pyplot()
    names = [s.setting for s in a.settings]
    fig, (ax, ax2) = plt.subplots(1, 2, sharey=True, figsize=(10, max(2.8, 0.45 * len(names) + 1.6)), dpi=110,
                                  gridspec_kw={"width_ratios": [1, 1]})
    left = np.zeros(len(names))
    left2 = np.zeros(len(names))
    rounds = np.array([s.rounds.mean or 0.0 for s in a.settings])
    colours = _colours(len(STAGES) + 1)
    for stage, colour in zip((*STAGES, "other"), colours):
        vals = np.array([s.per_round[stage].mean or 0.0 for s in a.settings])
        ax.barh(names, vals, left=left, color=colour, label=stage)
        ax2.barh(names, vals * rounds, left=left2, color=colour)
        left += vals
        left2 += vals * rounds
    for y, (total, n) in enumerate(zip(left2, rounds)):
        ax2.annotate(f" {n:,.0f} rounds", (total, y), va="center", fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("seconds per round (mean over rounds and repeats)")
    ax2.set_xlabel("seconds per run (per round × rounds)")
    ax2.set_xlim(0, max(1e-9, float(left2.max(initial=0.0))) * 1.25)
    fig.suptitle(f"{a.name}: time per round and per run, by stage", fontsize=11)
    ax.tick_params(axis="y", labelsize=7)
    for x in (ax, ax2):
        x.grid(axis="x", alpha=0.3)
    fig.legend(*ax.get_legend_handles_labels(), fontsize=7, ncol=len(STAGES) + 1, loc="lower center",
               bbox_to_anchor=(0.5, -0.02), frameon=False)
    fig.tight_layout(rect=(0, 0.06, 1, 1))
    return _save(fig, path, layout=False)


def imbalance_scatter(a: Analysis, path: Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    colours = setting_colours(a)
    for s in a.settings:
        colour = colours[s.setting]
        pts = [(d["support"], d["f1"].mean) for d in s.per_label.values()
               if d.get("support") and d["f1"].mean is not None]
        if not pts:
            continue
        xs, ys = np.array(pts, dtype=float).T
        ax.scatter(xs, ys, s=9, color=colour, alpha=0.35)
        bx, by = [], []
        for lo, hi in BUCKETS:  # the bands of the imbalance table, drawn at their labels' centre
            inside = (xs >= lo) & (xs <= (hi if hi is not None else np.inf))
            if inside.any():
                bx.append(float(np.exp(np.log(xs[inside]).mean())))
                by.append(float(ys[inside].mean()))
        ax.plot(bx, by, color=colour, lw=1.6, marker="o", ms=4, label=s.setting,
                ls="--" if is_random(s.plan) else "-")  # as in the learning curves
    ax.set_xscale("log")
    from matplotlib.ticker import LogLocator, NullFormatter

    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))  # 10, 20, 50, 100: one decade is read too
    ax.xaxis.set_major_formatter(_thousands())
    ax.xaxis.set_minor_formatter(NullFormatter())  # 2×10¹, 3×10¹ … labels collided
    ax.set_xlabel("positives of the label in the test split (log scale)")
    ax.set_ylabel("final F1 of the label")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"{a.name}: per-label F1 against label frequency")
    ax.grid(alpha=0.3)
    _legend_below(ax, len(a.settings))
    return _save(fig, path)


def _save(fig: Any, path: Path, layout: bool = True) -> Path:
    from alframe.record import write_atomic

    plt = _pyplot()
    if layout:
        fig.tight_layout()
    try:
        # the legend below the axes included
        write_atomic(path, lambda f: fig.savefig(f, format="png", bbox_inches="tight"))
    finally:
        plt.close(fig)
    return path
