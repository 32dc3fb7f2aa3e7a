"""A round's training on several CPU processes (``trainer { devices N  strategy ddp }``) against
one process, on the same run (issue 13 items 4 and 6).

    python benchmarks/bench_ddp.py                     # 2 processes, 3 rounds, 2,000 labelled
    python benchmarks/bench_ddp.py --processes 2 --rounds 5 --limit 0

Each side is a real run of the same spec — the shipped catalogue (``--limit`` packages, 0: all),
the default model as a committee of 3, ``unit item  policy uncertainty``, a seed of
``--seed-items`` random packages and rounds of 200 — once with ``devices 1`` and once with
``devices N  strategy ddp`` (run as ``ddp_fork``: the processes start from the run's own; only
the main process scores the pool and writes the store). Printed per round: each side's train
stage seconds, their ratio, and the test micro-F1 and macro-AP of both. A benchmark measures; it
does not check behaviour (``tests/engine/test_ddp.py`` does).

On a machine with few cores, N processes are no faster than one (each already uses what the
machine has); the point of the figures is that the metrics match and what the processes cost.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "specs" / "data" / "debian-packages.jsonl.gz"
SPEC = """run "ddp" seed 1
data "debian-packages.jsonl.gz" {{ id package  text package, description  numeric installed_size_kb, n_depends  test fraction 0.2 seed 7 {limit} }}
labels from "tags" {{ min_positives 100 }}
model {{ ensemble 3 }}
query {{ seed {seed_items} random  batch 200  unit item  policy uncertainty  rounds {rounds}  budget 100000000 }}
oracle simulated
evaluate {{ metrics [micro_f1, macro_ap] }}
trainer {{ accelerator cpu  devices {devices}  strategy {strategy}  loggers [] }}
"""


def run(folder: Path, args: argparse.Namespace, devices: int) -> list[Any]:
    from alframe import plugins as loader
    from alframe.compile import compile_file
    from alframe.engine import Engine
    from alframe.record import RunFolder

    folder.mkdir(parents=True)
    shutil.copyfile(DATA, folder / DATA.name)
    spec = folder / "ddp.al"
    limit = f" limit {args.limit}" if args.limit else ""
    spec.write_text(SPEC.format(limit=limit, seed_items=args.seed_items, rounds=args.rounds, devices=devices,
                                strategy="ddp" if devices > 1 else "auto"), encoding="utf-8")
    plugins = loader.load(autoload=False)
    plan = compile_file(spec, plugins.registry)
    with RunFolder.open(plan, plugins, folder / "out", fresh=True) as rd:
        summary = Engine(plan, plugins, rd).run()
    return list(summary.history)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--processes", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed-items", type=int, default=2000)
    ap.add_argument("--limit", type=int, default=10000, help="first N packages of the catalogue (0: all)")
    args = ap.parse_args()
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning").setLevel(logging.ERROR)
    with tempfile.TemporaryDirectory(prefix="alframe-ddp-") as tmp:
        one = run(Path(tmp) / "one", args, 1)
        many = run(Path(tmp) / "many", args, args.processes)
    print(f"\n{args.processes} CPU processes against 1 (os.cpu_count() {os.cpu_count()}), "
          f"seed {args.seed_items} packages, rounds of 200\n", file=sys.stderr)
    print(f"| round | train s, 1 | train s, {args.processes} | ratio | micro-F1, 1 / {args.processes} "
          f"| macro-AP, 1 / {args.processes} |")
    print("|---:|---:|---:|---:|---|---|")
    for a, b in zip(one, many):
        ta, tb = a.timings.get("train", 0.0), b.timings.get("train", 0.0)
        print(f"| {a.round} | {ta:.2f} | {tb:.2f} | {tb / ta:.2f}× | {a.metrics['micro_f1']:.4f} / "
              f"{b.metrics['micro_f1']:.4f} | {a.metrics['macro_ap']:.4f} / {b.metrics['macro_ap']:.4f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
