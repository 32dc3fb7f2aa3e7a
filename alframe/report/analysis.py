"""From runs to numbers: targets, labels-to-target, savings, areas, times, per-label F1.

:func:`analyse` turns a :class:`~alframe.report.read.Collection` into one
:class:`SettingResult` per setting (mean ± sd over its repeats); the tables, plots and the page
only format what is here.

Which random run is a setting's baseline? The random-policy setting whose plan differs from it
in the fewest fields (:func:`paired_reference`): in a grid ``policy × heads`` the uncertainty
run with independent heads is compared with the random run with independent heads, not with
joint ones. The same rule finds a setting's joint-heads counterpart for the benchmark.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from alframe.errors import UsageError, nearest
from alframe.health import curve_falls
from alframe.report.complexity import (
    Stat,
    area_under_curve,
    common_range,
    labels_to_target,
    mean_sd,
    paired_ratio,
    spent_to_target,
)
from alframe.report.read import Collection, RunData

#: Stages shown on their own in the time table; the rest are summed as "other".
STAGES = ("train", "score", "query", "annotate", "evaluate")
#: Plan fields that name or seed a run but do not make it a different setting.
_IGNORED = {"name", "seed", "spec_path", "vary", "repeat", "ceiling"}
_DEFAULT_FRACTIONS = (0.9, 0.95)


@dataclass(frozen=True)
class Target:
    """A quality to reach: ``metric ≥ value`` or ``metric ≥ value × reference``."""

    metric: str
    value: float
    relative: str | None = None  # None | "ceiling" | "best" (best final mean of any setting)
    absolute: float | None = None  # the threshold; None when the reference is unknown

    @property
    def key(self) -> str:
        suffix = f"x{self.relative}" if self.relative else ""
        return f"{self.metric}@{self.value:g}{suffix}"

    @property
    def label(self) -> str:
        if self.relative is None:
            return f"{self.metric} ≥ {self.value:g}"
        ref = "?" if self.absolute is None else f"{self.absolute:.4f}"
        return f"{self.metric} ≥ {self.value:g} × {self.relative} ({ref})"


_TARGET = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:=|\s)\s*([0-9]*\.?[0-9]+)\s*(?:(?:of|x|×|:)\s*(ceiling|best))?\s*$")


def parse_target(text: str) -> Target:
    """``micro_f1=0.6``, ``micro_f1=0.95:ceiling`` or ``micro_f1 0.95 of ceiling``."""
    m = _TARGET.match(text)
    if not m:
        raise UsageError(f"cannot read the target {text!r}", code="X301",
                       hint="write METRIC=VALUE, METRIC=FRACTION:ceiling or METRIC=FRACTION:best")
    return Target(m.group(1), float(m.group(2)), m.group(3))


@dataclass
class SettingResult:
    setting: str
    plan: dict[str, Any]
    repeats: list[int]  # repeat numbers present
    baseline: str | None  # the paired random setting (itself when random)
    labels_to: dict[str, list[int | None]] = field(default_factory=dict)  # target key -> per repeat
    reach: dict[str, Stat] = field(default_factory=dict)
    saving: dict[str, Stat] = field(default_factory=dict)  # labels_baseline / labels_setting
    cost_to: dict[str, list[float | None]] = field(default_factory=dict)  # target key -> cost per repeat
    reach_cost: dict[str, Stat] = field(default_factory=dict)  # cost to target (the run's cost model)
    saving_cost: dict[str, Stat] = field(default_factory=dict)  # cost_baseline / cost_setting
    aulc: dict[str, Stat] = field(default_factory=dict)
    final: dict[str, Stat] = field(default_factory=dict)
    final_labels: Stat = Stat(None, None, 0, 0)
    rounds: Stat = Stat(None, None, 0, 0)
    per_round: dict[str, Stat] = field(default_factory=dict)  # stage -> seconds per round
    round_seconds: Stat = Stat(None, None, 0, 0)
    total_seconds: Stat = Stat(None, None, 0, 0)
    wall_seconds: Stat = Stat(None, None, 0, 0)
    train_seconds: Stat = Stat(None, None, 0, 0)
    labels_per_train_second: Stat = Stat(None, None, 0, 0)
    time_vs_baseline: Stat = Stat(None, None, 0, 0)  # total seconds / baseline's, paired
    per_label: dict[str, dict[str, Any]] = field(default_factory=dict)
    finished: int = 0


@dataclass
class Analysis:
    name: str
    kind: str
    metrics: list[str]
    targets: list[Target]
    settings: list[SettingResult]
    ceiling: dict[str, Any] | None
    aulc_range: dict[str, tuple[float, float] | None]
    notes: list[str]
    priced: bool = False  # some run sets a cost model: the tables show cost to target too

    def setting(self, name: str) -> SettingResult:
        for s in self.settings:
            if s.setting == name:
                return s
        raise KeyError(name)


def policy_name(plan: dict[str, Any]) -> str | None:
    pol = (plan.get("query") or {}).get("policy") or {}
    return pol.get("name") if isinstance(pol, dict) else None


def heads_name(plan: dict[str, Any]) -> str | None:
    h = (plan.get("model") or {}).get("heads") or {}
    return h.get("name") if isinstance(h, dict) else None


def is_random(plan: dict[str, Any]) -> bool:
    return policy_name(plan) == "random"


def is_joint(plan: dict[str, Any]) -> bool:
    return heads_name(plan) == "joint"


def _leaves(obj: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(obj, dict):
        out: dict[str, Any] = {}
        for k, v in obj.items():
            if not prefix and k in _IGNORED:
                continue
            out.update(_leaves(v, f"{prefix}{k}."))
        return out
    if isinstance(obj, list):
        return {prefix.rstrip("."): repr(obj)}
    return {prefix.rstrip("."): obj}


def plan_distance(a: dict[str, Any], b: dict[str, Any]) -> int:
    """How many plan fields differ (names, seeds and grid fields not counted)."""
    la, lb = _leaves(a), _leaves(b)
    return sum(1 for k in set(la) | set(lb) if la.get(k) != lb.get(k))


def paired_reference(plans: dict[str, dict[str, Any]], is_reference: Callable[[dict[str, Any]], bool]) -> dict[str, str | None]:
    """For each setting, the reference setting closest to it (itself when it is one).

    Ties go to the earlier setting in ``plans`` order; None when no setting is a reference.
    """
    refs = [name for name, plan in plans.items() if is_reference(plan)]
    out: dict[str, str | None] = {}
    for name, plan in plans.items():
        if name in refs:
            out[name] = name
        elif not refs:
            out[name] = None
        else:
            out[name] = min(refs, key=lambda r: (plan_distance(plan, plans[r]), refs.index(r)))
    return out


def resolve_targets(col: Collection, requested: Sequence[Target] = ()) -> list[Target]:
    """The targets of the report: those asked for, else the experiment's own (``targets`` in
    ``experiment.json``), plus the plans' stop rules; without any, defaults.

    Defaults are 90 % and 95 % of the ceiling of the first metric when a ceiling was trained,
    otherwise of the best final mean any setting reached (so the table always says how fast each
    setting gets close to the best one).
    """
    for t in requested:
        check_target_metric(t, col.metrics)
    wanted: list[Target] = list(requested)
    if not wanted and col.experiment:
        wanted = [parse_target(str(t)) for t in col.experiment.get("targets") or []]
    for run in col.runs:
        for rule in (run.plan.get("query") or {}).get("stop") or []:
            # a target on the estimate from the answers is read on that estimate, as the run stopped
            metric = "estimated_micro_f1" if rule.get("estimated") else rule["metric"]
            t = Target(metric, float(rule["target"]), "ceiling" if rule.get("of_ceiling") else None)
            wanted.append(t)
    if not wanted and col.metrics:
        rel = "ceiling" if col.ceiling and isinstance(col.ceiling.get(col.metrics[0]), (int, float)) else "best"
        if rel == "ceiling" or len(col.settings) > 1:  # a lone run's own best says nothing of it
            wanted = [Target(col.metrics[0], f, rel) for f in _DEFAULT_FRACTIONS]
    out: list[Target] = []
    for t in wanted:
        if any(o.metric == t.metric and o.value == t.value and o.relative == t.relative for o in out):
            continue
        out.append(Target(t.metric, t.value, t.relative, _threshold(col, t)))
    return out


def check_target_metric(t: Target, metrics: Sequence[str]) -> None:
    """A target names a metric the runs recorded: a misspelt one would only ever be "not
    reached", which reads as a verdict on the runs rather than on the command."""
    if not metrics or t.metric in metrics:
        return
    near = nearest(t.metric, list(metrics))
    hint = f"did you mean {near}? " if near else ""
    raise UsageError(f"target {t.metric}={t.value:g}: the runs recorded no metric {t.metric!r}", code="X302",
                   hint=f"{hint}metrics recorded: {', '.join(metrics)}")


def _threshold(col: Collection, t: Target) -> float | None:
    if t.relative is None:
        return t.value
    if t.relative == "ceiling":
        ref = (col.ceiling or {}).get(t.metric)
        return None if not isinstance(ref, (int, float)) else t.value * float(ref)
    best = None
    for s in col.settings:
        finals = [_final(r, t.metric) for r in col.runs_of(s)]
        st = mean_sd(finals)
        if st.mean is not None and (best is None or st.mean > best):
            best = st.mean
    return None if best is None else t.value * best


def _final(run: RunData, metric: str) -> float | None:
    p = run.last_evaluated
    if p is None:
        return None
    v = p.metrics.get(metric)
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def analyse(col: Collection, targets: Sequence[Target] = ()) -> Analysis:
    """Every figure of the report, per setting, mean ± sd over repeats."""
    resolved = resolve_targets(col, targets)
    plans = {s: col.plan_of(s) for s in col.settings if col.runs_of(s)}
    baselines = paired_reference(plans, is_random)
    all_repeats = sorted({r.repeat for r in col.runs})
    aulc_range = {m: common_range([r.curve(m) for r in col.runs if len(r.curve(m)[0])]) for m in col.metrics}
    results: list[SettingResult] = []
    for s in plans:
        runs = {r.repeat: r for r in col.runs_of(s)}
        res = SettingResult(setting=s, plan=plans[s], repeats=sorted(runs), baseline=baselines.get(s))
        res.finished = sum(1 for r in runs.values() if r.finished)
        for t in resolved:
            per = [None if r not in runs or t.absolute is None else labels_to_target(*runs[r].curve(t.metric), t.absolute)
                   for r in all_repeats]
            res.labels_to[t.key] = per
            res.reach[t.key] = mean_sd([per[i] for i, r in enumerate(all_repeats) if r in runs])
            spent = [None if r not in runs or t.absolute is None
                     else spent_to_target(*runs[r].curve(t.metric, by="cost"), t.absolute) for r in all_repeats]
            res.cost_to[t.key] = spent
            res.reach_cost[t.key] = mean_sd([spent[i] for i, r in enumerate(all_repeats) if r in runs])
        for m in col.metrics:
            rng = aulc_range.get(m)
            res.aulc[m] = mean_sd([
                area_under_curve(*run.curve(m), *(rng or (None, None))) if rng else None for run in runs.values()
            ])
            res.final[m] = mean_sd([_final(run, m) for run in runs.values()])
        res.final_labels = mean_sd([run.final_labels for run in runs.values()])
        res.rounds = mean_sd([len(run.points) for run in runs.values()])
        _times(res, runs)
        res.per_label = _per_label(runs)
        results.append(res)
    by_name = {r.setting: r for r in results}
    for res in results:
        base = by_name.get(res.baseline or "")
        if base is None:
            continue
        for t in resolved:
            res.saving[t.key] = paired_ratio(base.labels_to[t.key], res.labels_to[t.key])
            res.saving_cost[t.key] = paired_ratio(base.cost_to[t.key], res.cost_to[t.key])
        res.time_vs_baseline = paired_ratio(_per_repeat_total(col, res.setting, all_repeats),
                                            _per_repeat_total(col, base.setting, all_repeats))
    notes = _notes(col, resolved, results)
    models = {run.cost_model for run in col.runs}
    priced = any(not m.is_default for m in models)
    if priced and resolved:
        notes.append(_cost_note(models))
    return Analysis(col.name, col.kind, list(col.metrics), resolved, results, col.ceiling, aulc_range, notes, priced)


def _cost_note(models: set[Any]) -> str:
    """What the cost columns count, and a warning when the runs price work differently."""
    text = ("Cost to target: the cost of the same round as the answers to target, under the run's cost model "
            "(cost { item … cell … }): item × items touched + cell × answered cells; saving in cost is the "
            "paired random setting's cost divided by the setting's own.")
    if len(models) > 1:
        shown = "; ".join(f"item {m.item:g}, cell {m.cell:g}" for m in sorted(models, key=lambda m: (m.item, m.cell)))
        text += f" The runs use different cost models ({shown}): their costs do not compare with each other."
    return text


def _per_repeat_total(col: Collection, setting: str, repeats: list[int]) -> list[float | None]:
    runs = {r.repeat: r for r in col.runs_of(setting)}
    return [sum(runs[r].stage_seconds().values()) if r in runs and runs[r].points else None for r in repeats]


def _times(res: SettingResult, runs: dict[int, RunData]) -> None:
    per_stage: dict[str, list[float | None]] = {k: [] for k in (*STAGES, "other")}
    totals, trains, rates, per_round = [], [], [], []
    for run in runs.values():
        n = len(run.points)
        secs = run.stage_seconds()
        total = sum(secs.values())
        other = total - sum(secs.get(k, 0.0) for k in STAGES)
        for k in STAGES:
            per_stage[k].append(secs.get(k, 0.0) / n if n else None)
        per_stage["other"].append(other / n if n else None)
        per_round.append(total / n if n else None)
        totals.append(total if n else None)
        train = secs.get("train", 0.0)
        trains.append(train if n else None)
        rates.append(run.final_labels / train if n and train > 0 else None)
    res.per_round = {k: mean_sd(v) for k, v in per_stage.items()}
    res.round_seconds = mean_sd(per_round)
    res.total_seconds = mean_sd(totals)
    res.wall_seconds = mean_sd([run.wall_seconds for run in runs.values()])
    res.train_seconds = mean_sd(trains)
    res.labels_per_train_second = mean_sd(rates)


def _per_label(runs: dict[int, RunData]) -> dict[str, dict[str, Any]]:
    """Final per-label F1, AP, precision and recall (mean ± sd over repeats), test positives
    (support) and positives among the run's answers.

    Precision and recall come from F1, the support and the predicted positives the evaluation
    stores: true positives = F1 × (support + predicted) / 2."""
    figs: dict[str, dict[str, list[float | None]]] = {}
    support: dict[str, int] = {}
    found: dict[str, list[float | None]] = {}
    for run in runs.values():
        p = run.last_evaluated
        per = (p.metrics.get("per_label") if p else None) or {}
        for label, d in per.items():
            if not isinstance(d, dict):
                continue
            f = figs.setdefault(label, {"f1": [], "ap": [], "precision": [], "recall": []})
            f1, sup, pred = d.get("f1"), d.get("support"), d.get("predicted")
            f["f1"].append(f1)
            f["ap"].append(d.get("ap"))
            tp = None
            if isinstance(f1, (int, float)) and isinstance(sup, int) and isinstance(pred, int):
                tp = round(float(f1) * (sup + pred) / 2)
            f["precision"].append(None if tp is None or not pred else tp / pred)
            f["recall"].append(None if tp is None or not sup else tp / sup)
            if isinstance(sup, int):
                support[label] = max(support.get(label, 0), int(sup))
            found.setdefault(label, []).append(float(run.positives_labelled.get(label, 0)))
    return {
        label: {"support": support.get(label), **{k: mean_sd(v) for k, v in f.items()},
                "positives_labelled": mean_sd(found[label])}
        for label, f in figs.items()
    }


def _notes(col: Collection, targets: list[Target], results: list[SettingResult]) -> list[str]:
    notes = [
        "Answers to target: the answered cells (the budget's currency) at the first evaluated round at or above the target "
        "(no interpolation between rounds); 'not reached' when no round got there.",
        "Saving: answers of the paired random setting divided by the setting's own, per repeat "
        "(same seed, same test split), then mean ± sd; '—' when either did not reach the target.",
    ] if targets else []  # a lone run without a target: no target columns to explain
    notes.append("AULC: area under the learning curve (trapezoid) divided by the range of answers, over the range "
                 "every run covers, i.e. the mean metric over the answers spent.")
    if any(t.absolute is None for t in targets):
        notes.append("Targets relative to a ceiling need `ceiling yes` (no ceiling.json was found).")
    if targets and len(results) > 1 and not any(r.baseline for r in results):
        notes.append("No setting uses the random policy, so there is no baseline to compute savings against.")
    if col.missing:
        notes.append(f"{len(col.missing)} run(s) of the grid have not started yet: {', '.join(col.missing[:5])}"
                     + (" …" if len(col.missing) > 5 else ""))
    for run in col.runs:
        evaluated = [p for p in run.points if p.evaluated]
        for fall in curve_falls(evaluated, col.metrics):
            where = run.setting + (f" (repeat {run.repeat})" if col.kind == "experiment" else "")
            notes.append(f"Learning curve of {where}: {fall.text()}.")
    unfinished = [r for r in col.runs if not r.finished]
    if unfinished and col.kind == "experiment":
        notes.append(f"{len(unfinished)} run(s) are not finished; their figures cover the rounds done so far.")
    return notes


def verdict(a: Analysis) -> str:
    """The report in one line: which setting saves how many answers against random at the first
    target, or that none does (or, for one run, whether it got there and how it ended)."""
    if not a.settings:
        return "Nothing to report yet."
    t = next((t for t in a.targets if t.absolute is not None), None)
    if t is None and len(a.settings) == 1 and a.metrics:
        s, m = a.settings[0], a.metrics[0]
        final = s.final[m].mean
        return (f"{s.setting}: final {m} {'undefined' if final is None else format(final, '.4f')} after "
                f"{s.final_labels.mean or 0:,.0f} answered cells (no target set: --target {m}=VALUE gives one).")
    if t is None:
        return "No target could be computed (a target relative to a ceiling needs `ceiling yes`)."
    what = f"{t.metric} ≥ {t.absolute:.4f}" if t.relative else f"{t.metric} ≥ {t.value:g}"
    reached = [s for s in a.settings if s.reach[t.key].mean is not None]
    if len(a.settings) == 1:
        s = a.settings[0]
        st = s.reach[t.key]
        last = s.final.get(t.metric)
        if st.mean is None:
            tail = "" if last is None or last.mean is None else f"; final {t.metric} {last.mean:.4f}"
            return f"{s.setting} did not reach {what} in {s.final_labels.mean or 0:,.0f} answered cells{tail}."
        reps = f" ({st.n}/{st.total} repeats)" if st.total > 1 else ""
        return f"{s.setting} reached {what} after {st.mean:,.0f} answered cells{reps}."
    if not reached:
        finals = [(s.final[t.metric].mean, s.setting) for s in a.settings
                  if t.metric in s.final and s.final[t.metric].mean is not None]
        if not finals:
            return f"No setting reached {what}."
        top, name = max(finals)
        return f"No setting reached {what} (the best final {t.metric}: {top:.4f}, {name})."
    savings = [(s, s.saving[t.key]) for s in a.settings
               if s.baseline and s.baseline != s.setting and t.key in s.saving and s.saving[t.key].mean is not None]
    if not any(s.baseline for s in a.settings):
        fewest = min(s.reach[t.key].mean or 0.0 for s in reached)
        names = [s.setting for s in reached if s.reach[t.key].mean == fewest]
        who = names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"
        return (f"{who} reached {what} with the fewest answered cells ({fewest:,.0f}); "
                "no random setting to compare with.")
    if not savings:
        beat = [s for s in reached if s.baseline and s.baseline != s.setting
                and next((b for b in a.settings if b.setting == s.baseline), s).reach[t.key].mean is None]
        if beat:
            best = min(beat, key=lambda s: s.reach[t.key].mean or 0.0)
            lost = next(b for b in a.settings if b.setting == best.baseline)
            return (f"{best.setting} reached {what} after {best.reach[t.key].mean:,.0f} answered cells; "
                    f"{lost.setting} did not reach it in {lost.final_labels.mean or 0:,.0f}.")
        return f"No setting reached {what} in a repeat where its random baseline did too: no saving to measure."
    best, st = max(savings, key=lambda x: x[1].mean or 0.0)
    assert st.mean is not None
    if st.mean <= 1.0:
        return f"No setting reached {what} with fewer answered cells than random (best: {best.setting}, {st.mean:.2f}×)."
    own = best.reach[t.key].mean or 0.0
    base = next((s for s in a.settings if s.setting == best.baseline), None)
    base_labels = base.reach[t.key].mean if base is not None else None
    saved = f", {base_labels - own:,.0f} fewer" if base_labels is not None else ""
    return (f"{best.setting} reached {what} with {st.mean:.2f}× fewer answered cells than {best.baseline} "
            f"({own:,.0f} against {base_labels or 0:,.0f}{saved}).")
