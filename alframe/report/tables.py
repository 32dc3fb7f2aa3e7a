"""The report's tables, each in two forms: text cells for people, flat records for tools.

:func:`build_tables` returns :class:`Table` objects; the terminal (rich), the HTML page and the
CSV files all render these same objects, so the three never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from alframe.report.analysis import STAGES, Analysis
from alframe.report.complexity import Stat

NOT_REACHED = "not reached"
NONE = "—"


@dataclass
class Table:
    key: str  # file stem of its CSV: label_complexity, time, imbalance, per_label, runs
    title: str
    columns: list[str]
    rows: list[list[str]]
    records: list[dict[str, Any]]  # the same content as numbers, one flat dict per CSV row
    notes: list[str] = field(default_factory=list)
    best: list[set[int]] = field(default_factory=list)  # per row: columns to highlight
    short: list[str] = field(default_factory=list)  # terminal headers (same length as columns)
    legend: list[str] = field(default_factory=list)  # what the short headers mean


def fmt_labels(st: Stat) -> str:
    """``1,200 ± 85``; ``not reached``; ``1,200 ± 85 (2/3)`` when some repeats did not reach."""
    if st.mean is None:
        return NOT_REACHED
    text = f"{st.mean:,.0f}"
    if st.total > 1 and st.n > 1:
        text += f" ± {st.sd:,.0f}"
    if st.n < st.total:
        text += f" ({st.n}/{st.total})"
    return text


def fmt_ratio(st: Stat | None) -> str:
    if st is None or st.mean is None:
        return NONE
    text = f"{st.mean:.2f}×"
    if st.n > 1:
        text += f" ± {st.sd:.2f}"
    return text


def fmt_value(st: Stat, digits: int = 4) -> str:
    if st.mean is None:
        return "undefined"
    text = f"{st.mean:.{digits}f}"
    if st.n > 1:
        text += f" ± {st.sd:.{digits}f}"
    return text


def fmt_seconds(st: Stat) -> str:
    if st.mean is None:
        return NONE
    digits = 2 if st.mean < 10 else 1 if st.mean < 1000 else 0
    text = f"{st.mean:,.{digits}f}"
    if st.n > 1:
        text += f" ± {st.sd:,.{digits}f}"
    return text


def _flat(prefix: str, st: Stat | None) -> dict[str, Any]:
    st = st or Stat(None, None, 0, 0)
    return {f"{prefix}_mean": st.mean, f"{prefix}_sd": st.sd, f"{prefix}_n": st.n}


def label_complexity_table(a: Analysis) -> Table:
    cols, short, legend = ["setting"], ["setting"], []
    for i, t in enumerate(a.targets, start=1):
        cols += [f"labels to {t.label}", "saving vs random"]
        short += [f"labels to T{i}", "× random"]
        legend.append(f"T{i}: {t.label}")
    primary = a.metrics[0] if a.metrics else None
    if primary:
        cols.append(f"AULC {primary}")
        short.append(f"AULC {primary}")
    cols += [f"final {m}" for m in a.metrics] + ["final labels"]
    short += [f"final {m}" for m in a.metrics] + ["labels"]
    rows, records, best = [], [], []
    fewest = {t.key: _min_mean([s.reach[t.key] for s in a.settings]) for t in a.targets}
    for s in a.settings:
        row = [s.setting]
        hi: set[int] = set()
        for t in a.targets:
            st = s.reach[t.key]
            if st.mean is not None and fewest[t.key] is not None and st.mean == fewest[t.key] and st.complete:
                hi.add(len(row))
            row += [fmt_labels(st), fmt_ratio(s.saving.get(t.key))]
            rec = {"setting": s.setting, "baseline": s.baseline, "target": t.label, "metric": t.metric,
                   "target_value": t.value, "relative_to": t.relative, "threshold": t.absolute,
                   "repeats": st.total, "reached": st.n}
            rec.update(_flat("labels", st))
            rec.update(_flat("saving", s.saving.get(t.key)))
            for i, v in enumerate(s.labels_to[t.key], start=1):
                rec[f"labels_repeat_{i}"] = v
            records.append(rec)
        if primary:
            row.append(fmt_value(s.aulc[primary]))
        row += [fmt_value(s.final[m]) for m in a.metrics]
        row.append(fmt_labels(s.final_labels))
        rows.append(row)
        best.append(hi)
    return Table("label_complexity", "Labels to target", cols, rows, records, list(a.notes), best, short, legend)


def final_metrics_table(a: Analysis) -> Table:
    """Final metrics and AULC per setting and metric (the CSV twin of the table's right half)."""
    cols = ["setting", "metric", "final", "AULC", "labels range"]
    rows, records = [], []
    for s in a.settings:
        for m in a.metrics:
            rng = a.aulc_range.get(m)
            rows.append([s.setting, m, fmt_value(s.final[m]), fmt_value(s.aulc[m]),
                         NONE if not rng else f"{rng[0]:,.0f}–{rng[1]:,.0f}"])
            rec: dict[str, Any] = {"setting": s.setting, "metric": m}
            rec.update(_flat("final", s.final[m]))
            rec.update(_flat("aulc", s.aulc[m]))
            rec["aulc_from"], rec["aulc_to"] = (rng or (None, None))
            rec["ceiling"] = (a.ceiling or {}).get(m) if isinstance((a.ceiling or {}).get(m), (int, float)) else None
            records.append(rec)
    return Table("final_metrics", "Final metrics and area under the learning curve", cols, rows, records)


def time_table(a: Analysis) -> Table:
    cols = ["setting"] + [f"{k} s/round" for k in (*STAGES, "other")] + [
        "round s", "rounds", "total s", "wall s", "time vs random", "labels / train s"]
    short = ["setting", *STAGES, "other", "round s", "rounds", "total s", "wall s", "× random", "labels/train s"]
    legend = ["seconds per round by stage; mean ± sd over repeats in the HTML page and time.csv"]
    rows, records = [], []
    for s in a.settings:
        row = [s.setting] + [fmt_seconds(s.per_round[k]) for k in (*STAGES, "other")]
        row += [fmt_seconds(s.round_seconds), fmt_value(s.rounds, 1), fmt_seconds(s.total_seconds),
                fmt_seconds(s.wall_seconds), fmt_ratio(s.time_vs_baseline), fmt_seconds(s.labels_per_train_second)]
        rows.append(row)
        rec: dict[str, Any] = {"setting": s.setting, "baseline": s.baseline}
        for k in (*STAGES, "other"):
            rec.update(_flat(f"{k}_per_round", s.per_round[k]))
        rec.update(_flat("round_seconds", s.round_seconds))
        rec.update(_flat("rounds", s.rounds))
        rec.update(_flat("total_seconds", s.total_seconds))
        rec.update(_flat("wall_seconds", s.wall_seconds))
        rec.update(_flat("train_seconds", s.train_seconds))
        rec.update(_flat("time_vs_random", s.time_vs_baseline))
        rec.update(_flat("labels_per_train_second", s.labels_per_train_second))
        records.append(rec)
    notes = ["Seconds per round are the engine's stage timings, mean over a run's rounds, then mean ± sd "
             "over repeats; total s is their sum over the run (pauses of a resumed run are not counted); "
             "wall s is the run's wall time as the experiment runner measured it, loading the data and "
             "building the model included (— for runs finished in several sessions or outside a grid); "
             "'other' is seed selection, weighting and checkpoints; time vs random is total seconds "
             "divided by the paired random setting's."]
    return Table("time", "Time", cols, rows, records, notes, short=short, legend=legend)


BUCKETS = ((1, 9), (10, 29), (30, 99), (100, 299), (300, None))


def imbalance_table(a: Analysis) -> Table:
    """Mean final F1 of the labels in each band of test positives, per setting."""
    cols = ["test positives", "labels"] + [s.setting for s in a.settings]
    rows, records = [], []
    labels = _labels(a)
    for lo, hi in BUCKETS:
        inside = [lb for lb, sup in labels.items() if sup is not None and sup >= lo and (hi is None or sup <= hi)]
        if not inside:
            continue
        band = f"{lo}–{hi}" if hi is not None else f"{lo}+"
        row = [band, str(len(inside))]
        rec: dict[str, Any] = {"positives_from": lo, "positives_to": hi, "labels": len(inside)}
        for s in a.settings:
            vals = [s.per_label[lb]["f1"].mean for lb in inside if lb in s.per_label]
            defined = [v for v in vals if v is not None]
            mean = sum(defined) / len(defined) if defined else None
            row.append("undefined" if mean is None else f"{mean:.3f}")
            rec[s.setting] = mean
        rows.append(row)
        records.append(rec)
    undefined = sum(1 for sup in labels.values() if not sup)
    notes = ["Mean final F1 over the labels whose number of positives in the test split falls in the band "
             "(F1 per label is mean over repeats)."]
    if undefined:
        notes.append(f"{undefined} label(s) have no positive in the test split: F1 undefined, left out.")
    return Table("imbalance", "F1 by label frequency", cols, rows, records, notes)


def per_label_table(a: Analysis) -> Table:
    cols = ["label", "test positives"] + [f"F1 {s.setting}" for s in a.settings] + [
        f"positives labelled {s.setting}" for s in a.settings]
    rows, records = [], []
    for label, sup in sorted(_labels(a).items(), key=lambda kv: (kv[1] is None, kv[1] or 0, kv[0])):
        row = [label, NONE if sup is None else str(sup)]
        rec: dict[str, Any] = {"label": label, "test_positives": sup}
        for s in a.settings:
            d = s.per_label.get(label)
            row.append("undefined" if d is None or d["f1"].mean is None else f"{d['f1'].mean:.3f}")
            rec[f"f1__{s.setting}"] = None if d is None else d["f1"].mean
        for s in a.settings:
            d = s.per_label.get(label)
            row.append(NONE if d is None else f"{d['positives_labelled'].mean:,.1f}")
            rec[f"positives_labelled__{s.setting}"] = None if d is None else d["positives_labelled"].mean
        rows.append(row)
        records.append(rec)
    return Table("per_label", "Per-label F1 and positives", cols, rows, records)


def runs_table(a: Analysis, runs: list[Any]) -> Table:
    cols = ["setting", "repeat", "rounds", "labels", "items", "finished", "stop reason", "folder"]
    rows, records = [], []
    for r in sorted(runs, key=lambda r: ([s.setting for s in a.settings].index(r.setting)
                                         if r.setting in [s.setting for s in a.settings] else 0, r.repeat)):
        last = r.points[-1] if r.points else None
        rows.append([r.setting, str(r.repeat), str(len(r.points)), f"{r.final_labels:,}",
                     f"{last.items:,}" if last else "0", "yes" if r.finished else "no", r.stop_reason or NONE,
                     str(r.path)])
        records.append({"setting": r.setting, "repeat": r.repeat, "rounds": len(r.points), "labels": r.final_labels,
                        "items": last.items if last else 0, "finished": r.finished, "stop_reason": r.stop_reason,
                        "folder": str(r.path)})
    return Table("runs", "Runs", cols, rows, records)


def build_tables(a: Analysis, runs: list[Any]) -> list[Table]:
    return [label_complexity_table(a), time_table(a), imbalance_table(a), final_metrics_table(a),
            per_label_table(a), runs_table(a, runs)]


def _labels(a: Analysis) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for s in a.settings:
        for label, d in s.per_label.items():
            sup = d.get("support")
            if label not in out or (sup is not None and (out[label] or 0) < sup):
                out[label] = sup
    return out


def _min_mean(stats: list[Stat]) -> float | None:
    vals = [s.mean for s in stats if s.mean is not None and s.complete]
    return min(vals) if vals else None
