"""Heads and committees priced per round (issue 13 item 2), as ratios against joint heads with
one model measured in the same run.

    python benchmarks/bench_heads.py                 # 1,000 labelled, 3 repetitions
    python benchmarks/bench_heads.py --labelled 6000 --reps 5

Each configuration starts from its own round 0 (the whole shipped catalogue: 24,234 pool
packages, 131 labels; ``--labelled`` random packages answered and trained on) and times round 1
of ``unit item  policy uncertainty  batch 200`` (score the pool, choose, answer, fit, cut,
evaluate, checkpoint), as ``bench_overhead.py`` does: a fresh copy of the run folder each
repetition, timed from the end of the resume to the round's commit. The configurations
alternate within each repetition; figures are medians, with the round's stage timings.

- ``joint ×1``: ``heads joint`` (one trunk, one linear output for all labels), one model;
- ``joint ×5``: the same with ``ensemble 5`` (a committee of 5);
- ``grouped ×5``: ``heads grouped`` (one hidden layer per tag facet), 5 members;
- ``independent ×5``: ``heads independent`` (one hidden layer per label), 5 members.

One torch thread by default. A benchmark measures; it does not check behaviour.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_overhead as overhead  # noqa: E402

CONFIGS = {
    "joint ×1": "heads joint  ensemble 1",
    "joint ×5": "heads joint  ensemble 5",
    "grouped ×5": "heads grouped  ensemble 5",
    "independent ×5": "heads independent  ensemble 5",
}
SPEC = """run "heads-{labelled}" seed 1
data "{data}" {{ id package  text package, description  numeric installed_size_kb, n_depends  test fraction 0.2 seed 7 }}
labels from "tags" {{ min_positives 100 }}
model {{ encoder hashed_bag(dim=64, buckets=2^18)  trunk mlp(hidden=256)  {model} }}
query {{ seed {labelled} random  batch {batch}  unit item  policy uncertainty  rounds {rounds}  budget 10000000 }}
oracle simulated
evaluate {{ metrics [micro_f1, macro_f1, macro_ap] }}
trainer {{ loggers [] }}
"""


def plan_for(model: str, labelled: int, rounds: int, folder: Path) -> Any:
    from alframe.compile import compile_text

    text = SPEC.format(labelled=labelled, data=overhead.DATA, batch=overhead.BATCH, rounds=rounds, model=model)
    spec = folder / f"heads-{labelled}.al"
    spec.write_text(text, encoding="utf-8")
    return compile_text(text, spec, overhead.plugins().registry, root="/")


def template(model: str, labelled: int, folder: Path) -> Path:
    from alframe.engine import Engine
    from alframe.record import RunFolder

    plan = plan_for(model, labelled, 1, folder)
    with RunFolder.open(plan, overhead.plugins(), folder / "template", fresh=True) as rd:
        Engine(plan, overhead.plugins(), rd).run()
    return folder / "template"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labelled", type=int, default=1000, help="labelled packages before the round")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--only", default="", help="comma-separated configuration names (default: all)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    import logging

    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning").setLevel(logging.ERROR)
    names = [n for n in CONFIGS if not args.only or n in args.only.split(",")]
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.reps} repetitions, "
          f"{args.labelled:,} labelled, batch {overhead.BATCH}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="alframe-heads-") as tmp:
        base = Path(tmp)
        setups = {}
        for i, name in enumerate(names):
            folder = base / f"c{i}"
            folder.mkdir()
            setups[name] = (template(CONFIGS[name], args.labelled, folder),
                            plan_for(CONFIGS[name], args.labelled, 2, folder), folder)
        seconds: dict[str, list[float]] = {n: [] for n in names}
        stages: dict[str, list[dict[str, float]]] = {n: [] for n in names}
        for rep in range(args.reps + 1):  # the first is a warm-up
            order = names if rep % 2 == 0 else names[::-1]
            for name in order:
                tmpl, plan, folder = setups[name]
                s, timings = overhead.alframe_round(tmpl, plan, folder / "work")
                if rep:
                    seconds[name].append(s)
                    stages[name].append(timings)
                    print(f"  rep {rep} {name}: {s:.3f} s", file=sys.stderr)
    joint1, joint5 = (statistics.median(seconds[n]) if n in seconds else None for n in ("joint ×1", "joint ×5"))
    print("\n| configuration | round s | × joint ×1 | × joint ×5 | score s | train s | evaluate s | micro-F1 | macro-AP |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name in names:
        med = overhead.medians(stages[name])
        s = statistics.median(seconds[name])
        r1 = f"{s / joint1:.2f}×" if joint1 else "–"
        r5 = f"{s / joint5:.2f}×" if joint5 else "–"
        print(f"| {name} | {s:.3f} | {r1} | {r5} | {med.get('score', 0):.3f} | {med.get('train', 0):.3f} "
              f"| {med.get('evaluate', 0):.3f} | {med.get('micro_f1', 0):.3f} | {med.get('macro_ap', 0):.3f} |")
    print("\nMedian stage seconds\n")
    for name in names:
        parts = ", ".join(f"{k} {v:.3f}" for k, v in overhead.medians(stages[name]).items())
        print(f"- {name}: {parts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
