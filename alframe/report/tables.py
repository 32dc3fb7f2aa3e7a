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
    """Answered cells: ``1,200 ± 85``; ``not reached``; ``1,200 ± 85 (2/3)`` when some repeats did not reach."""
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
        cols += [f"answers to {t.label}", "saving vs random"]
        short += [f"answers to T{i}", "× random"]
        if a.priced:  # a cost model was set: the same round's cost, and the saving in it
            cols += [f"cost to {t.label}", "cost saving vs random"]
            short += [f"cost to T{i}", "× random (cost)"]
        legend.append(f"T{i}: {t.label}")
    primary = a.metrics[0] if a.metrics else None
    if primary:
        cols.append(f"AULC {primary}")
        short.append(f"AULC {primary}")
    cols += [f"final {m}" for m in a.metrics] + ["final answers"]
    short += [f"final {m}" for m in a.metrics] + ["answers"]
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
            if a.priced:
                row += [fmt_labels(s.reach_cost[t.key]), fmt_ratio(s.saving_cost.get(t.key))]
            rec = {"setting": s.setting, "baseline": s.baseline, "target": t.label, "metric": t.metric,
                   "target_value": t.value, "relative_to": t.relative, "threshold": t.absolute,
                   "repeats": st.total, "reached": st.n}
            rec.update(_flat("labels", st))
            rec.update(_flat("saving", s.saving.get(t.key)))
            rec.update(_flat("cost", s.reach_cost.get(t.key)))  # the answers again without a cost model
            rec.update(_flat("saving_cost", s.saving_cost.get(t.key)))
            for i, v in enumerate(s.labels_to[t.key], start=1):
                rec[f"labels_repeat_{i}"] = v
            for i, c in enumerate(s.cost_to.get(t.key, []), start=1):
                rec[f"cost_repeat_{i}"] = c
            records.append(rec)
        if primary:
            row.append(fmt_value(s.aulc[primary]))
        row += [fmt_value(s.final[m]) for m in a.metrics]
        row.append(fmt_labels(s.final_labels))
        rows.append(row)
        best.append(hi)
    title = "Answers to target" if a.targets else "Final metrics (no target set)"
    return Table("label_complexity", title, cols, rows, records, list(a.notes), best, short, legend)


def final_metrics_table(a: Analysis) -> Table:
    """Final metrics and AULC per setting and metric (the CSV twin of the table's right half)."""
    cols = ["setting", "metric", "final", "AULC", "answers range"]
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
        "round s", "rounds", "total s", "wall s", "time vs random", "answers / train s"]
    short = ["setting", *STAGES, "other", "round s", "rounds", "total s", "wall s", "× random", "answers/train s"]
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


PER_LABEL = (("f1", "F1"), ("ap", "AP"), ("precision", "precision"), ("recall", "recall"))


def per_label_table(a: Analysis) -> Table:
    """Per label: test positives (support), then per setting the final F1, AP, precision and
    recall (mean over repeats) and the positives among the run's answers (a whole number; the
    mean over repeats rounded)."""
    many = len(a.settings) > 1
    cols = ["label", "support (test positives)"]
    for s in a.settings:
        suffix = f" {s.setting}" if many else ""
        cols += [f"{title}{suffix}" for _, title in PER_LABEL] + [f"positives answered{suffix}"]
    rows, records = [], []
    for label, sup in sorted(_labels(a).items(), key=lambda kv: (kv[1] is None, kv[1] or 0, kv[0])):
        row = [label, NONE if sup is None else f"{sup:,}"]
        rec: dict[str, Any] = {"label": label, "test_positives": sup}
        for s in a.settings:
            d = s.per_label.get(label)
            for key, _ in PER_LABEL:
                st = None if d is None else d.get(key)
                row.append("undefined" if st is None or st.mean is None else f"{st.mean:.3f}")
                rec[f"{key}__{s.setting}"] = None if st is None else st.mean
            pos = None if d is None else d["positives_labelled"].mean
            row.append(NONE if pos is None else f"{pos:,.0f}")
            rec[f"positives_labelled__{s.setting}"] = None if pos is None else round(pos, 3)
        rows.append(row)
        records.append(rec)
    notes = ["Support: the label's positives in the test split. F1, AP, precision and recall: the last evaluated "
             "round, mean over repeats; precision and recall at the model's threshold. Positives answered: "
             "cells of the label answered yes in the run (latest answer of each cell)."]
    return Table("per_label", "Per label: F1, AP, precision, recall, support", cols, rows, records, notes)


def runs_table(a: Analysis, runs: list[Any]) -> Table:
    cols = ["setting", "repeat", "rounds", "answers", "items", "finished", "stop reason", "folder"]
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


def annotation_table(runs: list[Any]) -> Table:
    """Runs answered by people: per run and source, the answers (revisions included), yes, no,
    skips, revisions, and seconds per answer (median and mean of the pauses between consecutive
    answers; not measured for answers read from a file, which are stored together)."""
    cols = ["run", "source", "answers", "yes", "no", "skipped", "revisions", "s / answer (median)",
            "s / answer (mean)", "answering time"]
    rows, records = [], []
    for r in runs:
        ann = getattr(r, "annotation", None)
        if not ann:
            continue
        where = r.setting + (f" #{r.repeat}" if len([x for x in runs if x.setting == r.setting]) > 1 else "")
        sources = ann["sources"] or {"—": {"answers": 0, "yes": 0, "no": 0, "revisions": 0, "gaps": []}}
        for i, (source, d) in enumerate(sources.items()):
            gaps = sorted(d["gaps"]) if not source.startswith("file ") else []
            median = gaps[len(gaps) // 2] if len(gaps) % 2 else (sum(gaps[len(gaps) // 2 - 1: len(gaps) // 2 + 1]) / 2
                                                                   if gaps else None)
            mean = sum(gaps) / len(gaps) if gaps else None
            skipped = ann["skipped"] if i == 0 else 0
            rows.append([where, source, f"{d['answers']:,}", f"{d['yes']:,}", f"{d['no']:,}", f"{skipped:,}",
                         f"{d['revisions']:,}", NONE if median is None else f"{median:,.1f}",
                         NONE if mean is None else f"{mean:,.1f}", _duration(sum(gaps)) if gaps else NONE])
            records.append({"setting": r.setting, "repeat": r.repeat, "source": source, "answers": d["answers"],
                            "yes": d["yes"], "no": d["no"], "skipped": skipped, "revisions": d["revisions"],
                            "seconds_per_answer_median": median, "seconds_per_answer_mean": mean,
                            "answering_seconds": sum(gaps) if gaps else None})
    notes = ["Answers given by people (every source but the simulated oracle), revisions included; skipped: "
             "questions a person skipped (asked again in a later round). Seconds per answer: the pause "
             "between two consecutive answers of one source, pauses over ten minutes left out as breaks; "
             "not measured for answers read from a file."]
    return Table("annotation", "Annotation", cols, rows, records, notes)


def _duration(seconds: float) -> str:
    m, s = divmod(int(seconds + 0.5), 60)
    h, m = divmod(m, 60)
    return f"{h}h{m:02d}m" if h else f"{m}m{s:02d}s" if m else f"{s}s"


def build_tables(a: Analysis, runs: list[Any]) -> list[Table]:
    return [label_complexity_table(a), time_table(a), imbalance_table(a), final_metrics_table(a),
            per_label_table(a), runs_table(a, runs), annotation_table(runs)]


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
