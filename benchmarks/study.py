"""The benchmark study: which setting reaches a target with the fewest labels, at what cost?

Runs, on the real catalogue shipped with alframe (specs/data/debian-packages.jsonl.gz), the
four query policies (random, uncertainty, disagreement, IWAL) in a base setting (item queries,
joint heads, no imbalance correction), and each of them again with one factor changed: cell
queries, independent heads, imbalance correction (pos_weight). Every setting runs --repeat
times with paired seeds (repeat r: the same seed and test split in every setting), against a
ceiling (the same model trained on the whole labelled pool), through the ordinary experiment
runner, so the study resumes when stopped and leaves a full report.

It prints two tables, each with ratios against random sampling and against joint heads
measured in the same study:

- labels to target (first evaluated round at or above the target, mean ± sd over repeats),
  with "labels saved" = labels of the reference / labels of the setting (above 1: fewer labels);
- time: seconds per round and in total (the engine's stage timings), with "time" = seconds of
  the setting / seconds of the reference (above 1: slower), labels per second of training, and
  each run's wall time (loading the data and building the model included).

    .venv/bin/python benchmarks/study.py                 # the full study (docs/results.md)
    .venv/bin/python benchmarks/study.py --design core --repeat 1 --limit 2000   # a quick look

A benchmark is not a test: it measures, it does not check behaviour.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SPEC = ROOT / "benchmarks" / "study.al"

POLICIES = (
    ("random", {}),
    ("uncertainty", {"measure": "margin"}),
    ("disagreement", {}),
    ("iwal", {"base": "disagreement", "floor": 0.05}),
)
FACTORS = ("unit=cell", "heads=independent", "imbalance=pos_weight")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--limit", type=int, default=None, help="catalogue rows to read (default: the spec's, 4000)")
    p.add_argument("--repeat", type=int, default=3, help="runs per setting (default 3)")
    p.add_argument("--budget", type=int, default=None, help="labels per run (default: the spec's)")
    p.add_argument("--epochs", type=int, default=None, help="training epochs per round (default: the spec's)")
    p.add_argument("--design", choices=("full", "core"), default="full",
                   help="full: every factor for every policy (16 settings); core: factors only for random "
                        "and IWAL (10 settings)")
    p.add_argument("--target", action="append", default=None, metavar="METRIC=VALUE[:ceiling]",
                   help="targets (default: micro_f1=0.9:ceiling and macro_f1=0.8:ceiling)")
    p.add_argument("--out", default=str(ROOT / "runs" / "study"), help="experiment folder (default runs/study)")
    p.add_argument("--threads", type=int, default=1,
                   help="torch CPU threads (default 1: steadier timings on a shared or small machine)")
    p.add_argument("--plain", action="store_true", help="plain progress lines instead of the live view")
    p.add_argument("--report-only", action="store_true", help="do not run: print the tables of the runs so far")
    return p.parse_args(argv)


def component(registry: Any, kind: str, name: str, **args: Any) -> Any:
    """A registered component with every argument filled (as the compiler fills them)."""
    from alframe.plan import Call

    comp = registry.get(kind, name)
    values = comp.defaults()
    values.update(args)
    return Call(name, tuple((prm.name, values[prm.name]) for prm in comp.params if prm.name in values))


def settings(base: Any, registry: Any, n_labels: int, design: str) -> list[Any]:
    """One plan per setting, named ``<policy>`` or ``<policy>__<factor>``."""
    plans = []
    for policy, args in POLICIES:
        pol = component(registry, "policy", policy, **args)
        plain = base.replace_path("query.policy", pol)
        plans.append(replace(plain, name=policy))
        if design == "core" and policy not in ("random", "iwal"):
            continue
        for factor in FACTORS:
            if factor == "unit=cell":  # the same labels per round, asked cell by cell
                q = plain.query
                p = plain.replace_path("query.unit", "cell")
                p = p.replace_path("query.seed_size", q.seed_size * n_labels)
                p = p.replace_path("query.batch", q.batch * n_labels)
            elif factor == "heads=independent":
                p = plain.replace_path("model.heads", component(registry, "heads", "independent"))
            else:
                p = plain.replace_path("weighting.imbalance", component(registry, "imbalance", "pos_weight"))
            plans.append(replace(p, name=f"{policy}__{factor}"))
    return plans


def machine() -> dict[str, Any]:
    model = platform.processor() or "?"
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        for line in out.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    import torch

    return {"cpu": model, "cores": os.cpu_count(), "gpu": "none" if not torch.cuda.is_available() else torch.cuda.get_device_name(0),
            "python": platform.python_version(), "torch": torch.__version__, "platform": platform.platform(),
            "torch_threads": torch.get_num_threads()}


def ratio_tables(rep: Any) -> tuple[list[str], list[list[str]], list[str], list[list[str]], list[dict[str, Any]]]:
    """The study's two tables as ratios against the paired random and joint-heads settings."""
    from alframe.report.analysis import is_joint, paired_reference
    from alframe.report.complexity import paired_ratio
    from alframe.report.tables import fmt_labels, fmt_ratio, fmt_seconds, fmt_value

    a, col = rep.analysis, rep.collection
    plans = {s.setting: s.plan for s in a.settings}
    joint = paired_reference(plans, is_joint)
    by = {s.setting: s for s in a.settings}
    repeats = sorted({r.repeat for r in col.runs})

    def totals(setting: str) -> list[float | None]:
        runs = {r.repeat: r for r in col.runs_of(setting)}
        return [sum(runs[k].stage_seconds().values()) if k in runs and runs[k].points else None for k in repeats]

    lc_cols = ["setting"]
    for i in range(1, len(a.targets) + 1):
        lc_cols += [f"labels to T{i}", "saved × random", "saved × joint"]
    lc_cols += [f"final {m}" for m in a.metrics]
    time_cols = ["setting", "train s/round", "round s", "total s", "time × random", "time × joint", "labels / train s",
                 "wall s"]
    lc_rows, time_rows, records = [], [], []
    for s in a.settings:
        j = by.get(joint.get(s.setting) or "")
        row = [s.setting]
        rec: dict[str, Any] = {"setting": s.setting, "random": s.baseline, "joint": j.setting if j else None}
        for t in a.targets:
            vs_joint = paired_ratio(j.labels_to[t.key], s.labels_to[t.key]) if j else None
            row += [fmt_labels(s.reach[t.key]), fmt_ratio(s.saving.get(t.key)), fmt_ratio(vs_joint)]
            rec[t.key] = {"labels": s.reach[t.key].to_dict(), "per_repeat": s.labels_to[t.key],
                          "saved_vs_random": s.saving[t.key].to_dict() if t.key in s.saving else None,
                          "saved_vs_joint": vs_joint.to_dict() if vs_joint else None}
        row += [fmt_value(s.final[m], 3) for m in a.metrics]
        lc_rows.append(row)
        t_random = s.time_vs_baseline
        t_joint = paired_ratio(totals(s.setting), totals(j.setting)) if j else None
        time_rows.append([s.setting, fmt_seconds(s.per_round["train"]), fmt_seconds(s.round_seconds),
                          fmt_seconds(s.total_seconds), fmt_ratio(t_random), fmt_ratio(t_joint),
                          fmt_seconds(s.labels_per_train_second), fmt_seconds(s.wall_seconds)])
        rec.update({"final": {m: s.final[m].to_dict() for m in a.metrics},
                    "train_seconds_per_round": s.per_round["train"].to_dict(),
                    "round_seconds": s.round_seconds.to_dict(), "total_seconds": s.total_seconds.to_dict(),
                    "time_vs_random": t_random.to_dict(), "time_vs_joint": t_joint.to_dict() if t_joint else None,
                    "labels_per_train_second": s.labels_per_train_second.to_dict(),
                    "wall_seconds": s.wall_seconds.to_dict()})
        records.append(rec)
    return lc_cols, lc_rows, time_cols, time_rows, records


def markdown(cols: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(cols) + " |", "|" + "|".join(["---"] + ["---:"] * (len(cols) - 1)) + "|"]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in row) + " |" for row in rows]
    return "\n".join(out)


def print_rich(console: Any, title: str, cols: list[str], rows: list[list[str]], caption: str = "") -> None:
    from rich.table import Table

    t = Table(title=title, title_justify="left", show_edge=False, header_style="bold", caption=caption or None,
              caption_justify="left")
    for i, c in enumerate(cols):
        t.add_column(c, justify="left" if i == 0 else "right", no_wrap=True)
    for r in rows:
        t.add_row(*r)
    before = console.width
    console.width = max(before, 220) if not console.is_terminal else before
    try:
        console.print(t)
    finally:
        console.width = before


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    import torch
    from rich.console import Console

    from alframe.compile import compile_file
    from alframe.experiments.grid import expand_plans
    from alframe.experiments.layout import Experiment
    from alframe.experiments.progress import LiveGridProgress, PlainGridProgress
    from alframe.experiments.runner import run_grid
    from alframe.hookcall import call_first
    from alframe.plugins import load
    from alframe.report import build_report, parse_target

    torch.set_num_threads(max(1, args.threads))
    console = Console()
    plugins = load(autoload=False)
    base = compile_file(SPEC, plugins.registry, root=ROOT)
    if args.limit is not None:
        base = base.replace_path("data.limit", args.limit)
    if args.budget is not None:
        base = base.replace_path("query.budget", args.budget)
    if args.epochs is not None:
        base = base.replace_path("train.epochs", args.epochs)
    base = replace(base, ceiling=True)
    dataset, _ = call_first(plugins, "alframe_load_data", plan=base)
    plans = settings(base, plugins.registry, dataset.n_labels, args.design)
    folder = Path(args.out)
    variants = expand_plans(plans, plugins.registry, repeat=args.repeat, seed=base.seed)
    target_text = args.target or ["micro_f1=0.9:ceiling", "macro_f1=0.8:ceiling"]
    exp = Experiment("study", folder, base, variants, kind="compare", ceiling=True, specs=[str(SPEC)],
                     axes=[{"key": "setting", "path": "", "values": [p.name for p in plans]}], repeat=args.repeat,
                     targets=target_text)
    info = machine()
    info["load_average_before"] = list(os.getloadavg())
    t0 = time.perf_counter()
    interrupted = False
    if not args.report_only:
        console.print(f"study: {len(plans)} settings × {args.repeat} repeats on {dataset.n_items:,} items, "
                      f"{dataset.n_labels} labels, {len(dataset.pool_idx):,} in the pool → {folder}", highlight=False)
        live = console.is_terminal and not args.plain and not os.environ.get("CI")
        view = (LiveGridProgress if live else PlainGridProgress)(console, variants, "study")
        with view:
            result = run_grid(exp, plugins, view)
        interrupted = result.interrupted
    wall = time.perf_counter() - t0
    info["load_average_after"] = list(os.getloadavg())
    targets = [parse_target(t) for t in target_text]
    rep = build_report(folder, targets)
    lc_cols, lc_rows, time_cols, time_rows, records = ratio_tables(rep)
    legend = " · ".join(f"T{i}: {t.label}" for i, t in enumerate(rep.analysis.targets, start=1))
    print_rich(console, "Labels to target (saved = reference labels / setting labels; above 1 needs fewer)",
               lc_cols, lc_rows, legend)
    print_rich(console, "Time (time = setting seconds / reference seconds; above 1 is slower)", time_cols, time_rows)
    command = "python benchmarks/study.py " + " ".join(sys.argv[1:] if argv is None else argv)
    study = {
        "command": command.strip(),
        "machine": info,
        "wall_seconds_this_invocation": round(wall, 1),
        "items": dataset.n_items, "labels": dataset.n_labels, "pool": int(len(dataset.pool_idx)),
        "test": int(len(dataset.test_idx)),
        "ceiling": {k: v for k, v in (rep.analysis.ceiling or {}).items() if isinstance(v, (int, float))},
        "targets": [t.label for t in rep.analysis.targets],
        "settings": records,
        "markdown": {"labels": markdown(lc_cols, lc_rows), "time": markdown(time_cols, time_rows)},
    }
    (folder / "study.json").write_text(json.dumps(study, indent=2, default=str) + "\n", encoding="utf-8")
    (folder / "study.md").write_text(f"{legend}\n\n{study['markdown']['labels']}\n\n{study['markdown']['time']}\n",
                                     encoding="utf-8")
    console.print(f"wall time {wall / 60:.1f} min; report {rep.files['index.html']}; tables {folder / 'study.md'}",
                  highlight=False)
    return 130 if interrupted else 0


def run() -> int:
    """``main`` with alframe's own errors printed as the command line prints them."""
    from alframe.errors import AlframeError

    try:
        return main()
    except AlframeError as exc:
        print(exc.render(), file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(run())
