"""Build a report folder: ``report/index.html``, ``*.png``, ``*.csv`` and ``summary.json``.

:func:`build_report` is what ``alframe report PATH`` and the experiment runner call;
:func:`print_tables` prints the main tables with rich at the end of a run.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

import alframe.report.plots as plots
from alframe.display.fit import print_fitted, short_names
from alframe.record import write_atomic
from alframe.record.experiment import write_json
from alframe.record.folder import REPORT_DIR
from alframe.report.analysis import Analysis, Target, analyse, verdict
from alframe.report.html import page as html_page
from alframe.report.read import Collection, load_collection
from alframe.report.tables import Table, build_tables


@dataclass
class Report:
    folder: Path  # the report folder
    collection: Collection
    analysis: Analysis
    tables: list[Table]
    files: dict[str, Path] = field(default_factory=dict)

    def table(self, key: str) -> Table:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)


def build_report(path: str | Path, targets: Sequence[Target] = (), out: str | Path | None = None) -> Report:
    """Read the runs under ``path`` and write the report into ``out`` (default ``path/report``)."""
    col = load_collection(path)
    analysis = analyse(col, targets)
    tables = build_tables(analysis, col.runs)
    folder = Path(out) if out is not None else col.folder / REPORT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    rep = Report(folder, col, analysis, tables)
    images: dict[str, Path] = {}
    groups = plots.baseline_groups(analysis)
    for m in analysis.metrics:
        images[f"curves_{m}"] = plots.learning_curves(col, analysis, m, folder / f"curves_{_safe(m)}.png")
        for i, (base, members) in enumerate(groups.items(), start=1):
            images[f"curves_{m}__group{i}"] = plots.learning_curves(
                col, analysis, m, folder / f"curves_{_safe(m)}__vs_{_safe(base)}.png", only=members,
                title=f"{analysis.name}: {m}, against {base}")
    if analysis.settings:
        images["time"] = plots.time_bars(analysis, folder / "time.png")
        images["imbalance"] = plots.imbalance_scatter(analysis, folder / "imbalance.png")
    rep.files.update(images)
    for t in tables:
        if t.key == "annotation" and not t.records:
            continue  # no answer given by a person: no annotation.csv
        rep.files[f"{t.key}.csv"] = _write_csv(folder / f"{t.key}.csv", t.records)
    rep.files["curves.csv"] = _write_csv(folder / "curves.csv", _curve_records(col))
    summary = folder / "summary.json"
    write_json(summary, summary_dict(rep))
    rep.files["summary.json"] = summary
    index = folder / "index.html"
    write_atomic(index, html_page(analysis, {t.key: t for t in tables}, images, len(col.runs)))
    rep.files["index.html"] = index
    return rep


def summary_dict(rep: Report) -> dict[str, Any]:
    a = rep.analysis
    settings = []
    for s in a.settings:
        settings.append({
            "setting": s.setting,
            "baseline": s.baseline,
            "repeats": s.repeats,
            "finished": s.finished,
            "labels_to_target": {k: {"per_repeat": s.labels_to[k], **s.reach[k].to_dict()} for k in s.reach},
            "saving_vs_random": {k: v.to_dict() for k, v in s.saving.items()},
            # under the runs' cost model (cost { item … cell … }); the answers again without one
            "cost_to_target": {k: {"per_repeat": s.cost_to[k], **s.reach_cost[k].to_dict()} for k in s.reach_cost},
            "saving_vs_random_in_cost": {k: v.to_dict() for k, v in s.saving_cost.items()},
            "aulc": {k: v.to_dict() for k, v in s.aulc.items()},
            "final": {k: v.to_dict() for k, v in s.final.items()},
            "final_labels": s.final_labels.to_dict(),
            "seconds_per_round": {k: v.to_dict() for k, v in s.per_round.items()},
            "round_seconds": s.round_seconds.to_dict(),
            "total_seconds": s.total_seconds.to_dict(),
            "wall_seconds": s.wall_seconds.to_dict(),
            "train_seconds": s.train_seconds.to_dict(),
            "time_vs_random": s.time_vs_baseline.to_dict(),
            "labels_per_train_second": s.labels_per_train_second.to_dict(),
        })
    ceiling = {k: v for k, v in (a.ceiling or {}).items() if isinstance(v, (int, float))} if a.ceiling else None
    return {
        "name": a.name,
        "kind": a.kind,
        "folder": str(rep.collection.folder),
        "generated": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "metrics": a.metrics,
        "targets": [{"key": t.key, "label": t.label, "metric": t.metric, "value": t.value,
                     "relative_to": t.relative, "threshold": t.absolute} for t in a.targets],
        "ceiling": ceiling,
        "aulc_range": {k: list(v) if v else None for k, v in a.aulc_range.items()},
        "settings": settings,
        "notes": a.notes,
        "files": sorted(p.name for p in rep.files.values()),
    }


def print_tables(rep: Report, console: Console, keys: Sequence[str] = ("label_complexity", "time", "imbalance")) -> None:
    """The verdict, the main tables in the terminal, then where the full report is.

    Headers are short (a legend says what T1, T2 are); only the answers-to-target cells keep
    their ± sd (the page and the CSV files have every sd). No number is ever cut: settings whose
    names do not fit are shown as S1, S2, … with the full names listed once, and columns that do
    not fit side by side go to a second table. Without a terminal (CI logs) the tables are
    printed as wide as they need rather than folded into 80 columns.
    """
    wide = None if console.is_terminal else 400
    width = wide or console.width
    settings = [s.setting for s in rep.analysis.settings]
    shown, legend = short_names(settings, max(24, width // 3))
    code = dict(zip(settings, shown))
    console.print(Text(verdict(rep.analysis), style="bold"), highlight=False)
    for key in keys:
        t = rep.table(key)
        if not t.rows:
            continue
        headers = [code.get(c, c) for c in (t.short or t.columns)]
        keep_sd = {j for j, c in enumerate(t.columns) if key == "label_complexity" and c.startswith("answers to")}
        rows = []
        for i, row in enumerate(t.rows):
            best = t.best[i] if i < len(t.best) else set()
            cells = [code.get(c, c) if j == 0 else c if j in keep_sd else _brief(c) for j, c in enumerate(row)]
            rows.append([Text(c, style="bold green") if j in best else Text(c) for j, c in enumerate(cells)])
        print_fitted(console, headers, rows, title=t.title, width=wide, notes=[" · ".join(t.legend)] if t.legend else [])
    if legend:
        console.print(Text("settings:", style="dim"), highlight=False)
        for line in legend:
            console.print(Text(line, style="dim"), highlight=False)
    console.print(f"report: {rep.files['index.html']}", highlight=False, soft_wrap=True)


def _brief(cell: str) -> str:
    """``1.25 ± 0.10`` → ``1.25``; ``1.05× ± 0.02`` → ``1.05×``."""
    return cell.split(" ± ", 1)[0]


def _write_csv(path: Path, records: list[dict[str, Any]]) -> Path:
    columns: list[str] = []
    for r in records:
        for k in r:
            if k not in columns:
                columns.append(k)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    w.writeheader()
    for r in records:
        w.writerow({k: "" if r.get(k) is None else r.get(k) for k in columns})
    write_atomic(path, buf.getvalue())
    return path


def _curve_records(col: Collection) -> list[dict[str, Any]]:
    out = []
    for r in col.runs:
        for p in r.points:
            rec: dict[str, Any] = {"setting": r.setting, "repeat": r.repeat, "round": p.round, "labels": p.labels,
                                   "items": p.items, "evaluated": p.evaluated}
            for m in col.metrics:
                v = p.metrics.get(m)
                rec[m] = v if isinstance(v, (int, float)) else None
            for k, v in p.timings.items():
                rec[f"seconds_{k}"] = round(float(v), 6)
            out.append(rec)
    return out


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "_-" else "_" for c in name)
