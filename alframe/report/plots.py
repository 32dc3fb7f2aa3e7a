"""PNG plots of a report (matplotlib, Agg backend: no display needed).

- ``curves_<metric>.png``: labels used against the metric, one line per setting (mean over
  repeats, band ± sd); random settings are drawn dashed in grey shades so the baseline is
  always visible; targets and the ceiling as dotted lines.
- ``time.png``: seconds per round split by stage, one bar per setting.
- ``imbalance.png``: final per-label F1 against the label's positives in the test split (dots:
  labels; lines: the mean of each band of the imbalance table).
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


def learning_curves(col: Collection, a: Analysis, metric: str, path: Path, only: list[str] | None = None,
                    title: str | None = None) -> Path:
    """One metric against labels; ``only`` restricts the lines to some settings (by name)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    colours = _colours(len(a.settings))
    greys = iter(["#222222", "#666666", "#999999", "#444444", "#777777"] * 20)
    for s, colour in zip(a.settings, colours):
        if only is not None and s.setting not in only:
            continue
        mc = mean_curve([r.curve(metric) for r in col.runs_of(s.setting)])
        if mc is None:
            continue
        x, mean, sd = mc
        random = is_random(s.plan)
        c = next(greys) if random else colour
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
    ax.set_xlabel("labels used (answered cells)")
    ax.set_ylabel(metric)
    ax.set_title(title or f"{a.name}: {metric} against labels")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="lower right")
    return _save(fig, path)


def baseline_groups(a: Analysis) -> dict[str, list[str]]:
    """Settings grouped by their paired random baseline, when there are several baselines
    (a grid over policy × something): each group is one comparison against its own random."""
    groups: dict[str, list[str]] = {}
    for s in a.settings:
        if s.baseline:
            groups.setdefault(s.baseline, []).append(s.setting)
    return groups if len(groups) > 1 else {}


def time_bars(a: Analysis, path: Path) -> Path:
    plt = _pyplot()
    names = [s.setting for s in a.settings]
    fig, ax = plt.subplots(figsize=(8, max(2.5, 0.4 * len(names) + 1.2)), dpi=110)
    left = np.zeros(len(names))
    colours = _colours(len(STAGES) + 1)
    for stage, colour in zip((*STAGES, "other"), colours):
        vals = np.array([s.per_round[stage].mean or 0.0 for s in a.settings])
        ax.barh(names, vals, left=left, color=colour, label=stage)
        left += vals
    ax.invert_yaxis()
    ax.set_xlabel("seconds per round (mean over rounds and repeats)")
    ax.set_title(f"{a.name}: time per round by stage")
    ax.legend(fontsize=7, ncol=3, loc="lower right")
    ax.tick_params(axis="y", labelsize=7)
    ax.grid(axis="x", alpha=0.3)
    return _save(fig, path)


def imbalance_scatter(a: Analysis, path: Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    for s, colour in zip(a.settings, _colours(len(a.settings))):
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
        ax.plot(bx, by, color=colour, lw=1.6, marker="o", ms=4, label=s.setting)
    ax.set_xscale("log")
    ax.set_xlabel("positives of the label in the test split (log)")
    ax.set_ylabel("final F1 of the label")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"{a.name}: per-label F1 against label frequency")
    ax.grid(alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=7, loc="lower right")
    return _save(fig, path)


def _save(fig: Any, path: Path) -> Path:
    import os

    plt = _pyplot()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}.png")
    fig.tight_layout()
    fig.savefig(tmp, format="png")
    plt.close(fig)
    os.replace(tmp, path)
    return path
