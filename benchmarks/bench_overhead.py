"""What alframe's round costs over a hand-written PyTorch loop doing the same math (issue 13 item 1).

    python benchmarks/bench_overhead.py                    # 1,000 and 6,000 labelled, 5 repetitions
    python benchmarks/bench_overhead.py --labelled 1000 --reps 9

Both sides start from the same state: the whole shipped catalogue (24,234 pool packages, 131
labels), ``--labelled`` random packages answered and a model trained on them (round 0 of a real
run, its checkpoint), and do one round of ``unit item  policy uncertainty  batch 200``:

- **alframe**: the engine resumes the run folder (a fresh copy each repetition) and runs round 1
  — score the pool, choose, store the questions, the simulated oracle's answers into run.db,
  weights, Lightning fit (wide solve and deep steps), the progressive cut, the stop figures,
  evaluation, checkpoint, the round's commit and metrics.csv. Timed from the end of the resume
  (the observer's ``run_started``) to the round's ``round_finished``: loading the data and the
  model are start-up, not a round.
- **hand loop**: the same network, features, wide solve, loss, optimisers, learning-rate
  schedule, decision cut and average precision, called from a plain loop: inference in chunks,
  top-k of the mean uncertainty, the answers copied from the truth matrix, ``for step: loss;
  backward; step`` with no Trainer, micro-F1 and macro-AP on the test split, ``torch.save`` of
  the weights. No store, no hooks, no checks.

The two alternate, repetition by repetition; figures are medians, with alframe's stage timings
(its own record of the round) beside them, and the ratio without the checkpoint stage: what a
round costs when ``trainer { checkpoint_every N }`` skips it. One torch thread by default, as the issue measured.
A benchmark measures; it does not check behaviour.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "specs" / "data" / "debian-packages.jsonl.gz"
BATCH = 200
SPEC = """run "overhead-{labelled}" seed 1
data "{data}" {{ id package  text package, description  numeric installed_size_kb, n_depends  test fraction 0.2 seed 7 }}
labels from "tags" {{ min_positives 100 }}
query {{ seed {labelled} random  batch {batch}  unit item  policy uncertainty  rounds {rounds}  budget 10000000 }}
oracle simulated
evaluate {{ metrics [micro_f1, macro_f1, macro_ap] }}
trainer {{ loggers [] }}
"""


def plan_for(labelled: int, rounds: int, folder: Path) -> Any:
    from alframe.compile import compile_text

    text = SPEC.format(labelled=labelled, data=DATA, batch=BATCH, rounds=rounds)
    spec = folder / f"overhead-{labelled}.al"
    spec.write_text(text, encoding="utf-8")
    return compile_text(text, spec, plugins().registry, root="/")


_PLUGINS: Any = None


def plugins() -> Any:
    global _PLUGINS
    if _PLUGINS is None:
        from alframe import plugins as loader

        _PLUGINS = loader.load()
    return _PLUGINS


def template(labelled: int, folder: Path) -> tuple[Path, Any]:
    """A run folder whose round 0 answered ``labelled`` random packages and trained on them."""
    from alframe.engine import Engine
    from alframe.record import RunFolder

    plan = plan_for(labelled, 1, folder)
    out = folder / "template"
    with RunFolder.open(plan, plugins(), out, fresh=True) as rd:
        Engine(plan, plugins(), rd).run()
    return out, plan


# -- alframe's round -------------------------------------------------------------------------


def alframe_round(tmpl: Path, plan: Any, work: Path) -> tuple[float, dict[str, float]]:
    """Seconds of round 1 of a copy of the template run, and the round's stage timings."""
    from alframe.engine import Engine, Observer
    from alframe.record import RunFolder

    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(tmpl, work)
    marks: dict[str, Any] = {}

    class Clock(Observer):
        def run_started(self, state: Any, resumed_from: int | None) -> None:
            marks["start"] = time.perf_counter()

        def round_finished(self, state: Any, record: Any) -> None:
            if record.round == 1:
                marks["end"] = time.perf_counter()
                marks["timings"] = {**record.timings, **{m: float(record.metrics[m]) for m in ("micro_f1", "macro_ap")}}

    with RunFolder.open(plan, plugins(), work, force=True) as rd:
        Engine(plan, plugins(), rd, observer=Clock()).run()
    return marks["end"] - marks["start"], marks["timings"]


# -- the hand loop ---------------------------------------------------------------------------


class HandLoop:
    """One round of the same math without the framework around it."""

    def __init__(self, plan: Any, tmpl: Path) -> None:
        from alframe.models.bundle import build_bundle

        self.plan = plan
        self.ds = plugins().pm.hook.alframe_load_data(plan=plan)
        self.bundle = build_bundle(plan, plugins().registry, self.ds)
        self.ckpt = tmpl / "checkpoints" / "round-0000.ckpt"
        self.truth = np.asarray(self.ds.labels)  # the simulated oracle's answers
        self.labelled0 = self._labelled(tmpl)

    def _labelled(self, tmpl: Path) -> np.ndarray:
        import sqlite3

        with sqlite3.connect(tmpl / "run.db") as c:
            ids = [r[0] for r in c.execute("SELECT DISTINCT item FROM answers")]
        return np.sort(np.array([self.ds.index_of(i) for i in ids], dtype=np.int64))

    def reset(self) -> None:
        self.bundle.load_checkpoint(self.ckpt)

    def probs(self, idx: np.ndarray) -> torch.Tensor:
        """[n, L]: the mean member probability, inference in chunks of 4,096."""
        net, feats = self.bundle.net, self.bundle.features
        net.eval()
        out = torch.empty(len(idx), self.ds.n_labels)
        all_idx = torch.from_numpy(idx)
        with torch.inference_mode():
            for s in range(0, len(idx), 4096):
                out[s : s + 4096] = torch.sigmoid(net(feats.batch(all_idx[s : s + 4096])).float()).mean(1)
        return out

    def round(self, work: Path, seed: int) -> tuple[float, dict[str, float]]:
        from alframe import seeds
        from alframe.data.metrics import _per_label_ap
        from alframe.models.committee import _frozen, deep_batches, round_epochs
        from alframe.models.losses import LabelCounts
        from alframe.models.module import lr_factor
        from alframe.models.thresholds import fresh_counts

        bundle, net, module, plan = self.bundle, self.bundle.net, self.bundle.module, self.plan
        start = time.perf_counter()
        # score the pool, choose the 200 most uncertain items (mean closeness to the cut)
        pool = np.setdiff1d(np.asarray(self.ds.pool_idx, dtype=np.int64), self.labelled0)
        p = self.probs(pool)
        cut = torch.from_numpy(np.asarray(bundle.thresholds, dtype=np.float32))
        score = -(p - cut).abs().mean(1)
        chosen = np.sort(pool[torch.topk(score, BATCH).indices.numpy()])
        marks = {"score+query": time.perf_counter()}
        # annotate; the fresh counts of the progressive cut (the old model on the new items)
        fresh = fresh_counts(p[np.searchsorted(pool, chosen)].numpy().ravel(), self.truth[chosen].ravel(),
                             np.ones(chosen.size * self.ds.n_labels))
        items = np.union1d(self.labelled0, chosen)
        targets = torch.from_numpy(self.truth[items].astype(np.int8))
        weights = torch.ones(targets.shape, dtype=torch.float32)
        # train: the wide solve, then the deep path's steps, as the bundle's fit does
        if plan.train.warm_start and bundle._wide_solved():
            bundle._reset_deep(seeds.sub_seed(seed, seeds.INIT))
        data = bundle._round_data(seed, items, targets.numpy(), weights.numpy())
        solved = bundle._solve_wide(data, bool(plan.train.warm_start))
        with _frozen(net.wide if solved else None):
            module.set_label_counts(LabelCounts.from_cells(data.train.targets.numpy(), data.train.weights.numpy()))
            n_batches = -(-len(data.train) // max(data.batch_size, 1))
            if bundle._wide_solved():
                n_batches = deep_batches(n_batches, data.train.targets)
            epochs = round_epochs(plan.train.epochs, len(data.train), plan.train.batch_size, plan.train.min_steps)
            total, step = n_batches * epochs, 0
            opts = module.configure_optimizers()
            net.train()
            torch.manual_seed(seed)
            for _ in range(epochs):
                for b, batch in enumerate(data.train_loader()):
                    if b >= n_batches:
                        break
                    for opt in opts:
                        for group in opt.param_groups:
                            group["lr"] = group["base_lr"] * lr_factor(step, total, module.optim.schedule)
                    loss = module.batch_loss(batch)
                    for opt in opts:
                        opt.zero_grad()
                    loss.backward()
                    for opt in opts:
                        opt.step()
                    step += 1
        bundle._set_thresholds(data, seed, fresh, None)
        marks["annotate+train"] = time.perf_counter()
        # evaluate on the test split
        test = np.asarray(self.ds.test_idx, dtype=np.int64)
        pt = self.probs(test).numpy()
        truth = self.truth[test]
        pred = pt > np.asarray(bundle.thresholds)[None, :]
        tp = float((pred & (truth == 1)).sum())
        micro = 2 * tp / max(pred.sum() + (truth == 1).sum(), 1)
        support = torch.from_numpy((truth == 1).sum(0))
        ap = _per_label_ap(torch.from_numpy(pt), torch.from_numpy(truth.astype(np.int64)), support)
        marks["evaluate"] = time.perf_counter()
        torch.save(net.state_dict(), work / "hand.pt")
        marks["save"] = time.perf_counter()
        times = np.diff([start, *marks.values()])
        return marks["save"] - start, {**dict(zip(marks, times.tolist())), "micro_f1": micro,
                                       "macro_ap": float(np.nanmean(ap.numpy()))}


def measure(labelled: int, reps: int, folder: Path) -> dict[str, Any]:
    tmpl, _ = template(labelled, folder)
    plan = plan_for(labelled, 2, folder)
    hand = HandLoop(plan, tmpl)
    ours, bare, theirs, stages, hand_stages = [], [], [], [], []
    for rep in range(reps + 1):  # the first of each is a warm-up
        order = (0, 1) if rep % 2 == 0 else (1, 0)
        for side in order:
            if side == 0:
                seconds, timings = alframe_round(tmpl, plan, folder / "work")
                if rep:
                    ours.append(seconds)
                    bare.append(seconds - timings.get("checkpoint", 0.0))
                    stages.append(timings)
            else:
                hand.reset()
                seconds, timings = hand.round(folder, seed=rep)
                if rep:
                    theirs.append(seconds)
                    hand_stages.append(timings)
    return {
        "labelled": labelled,
        "alframe": statistics.median(ours),
        "bare": statistics.median(bare),
        "hand": statistics.median(theirs),
        "stages": medians(stages),
        "hand_stages": medians(hand_stages),
    }


def medians(rows: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(t.get(k, 0.0) for t in rows) for k in dict.fromkeys(k for t in rows for k in t)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--labelled", default="1000,6000", help="labelled packages before the round (comma)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    import logging

    logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
    logging.getLogger("lightning").setLevel(logging.ERROR)
    print(f"torch {torch.__version__}, {args.threads} thread(s), {args.reps} repetitions, batch {BATCH}", file=sys.stderr)
    rows = []
    for n in [int(x) for x in args.labelled.split(",")]:
        with tempfile.TemporaryDirectory(prefix="alframe-overhead-") as tmp:
            rows.append(measure(n, args.reps, Path(tmp)))
        r = rows[-1]
        print(f"{n:>6,} labelled: alframe {r['alframe']:.3f} s, hand loop {r['hand']:.3f} s, "
              f"ratio {r['alframe'] / r['hand']:.2f}x", file=sys.stderr)
    print("\n| labelled | alframe round s | hand loop s | ratio | without the checkpoint (`checkpoint_every` > 1) |")
    print("|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['labelled']:,} | {r['alframe']:.3f} | {r['hand']:.3f} | {r['alframe'] / r['hand']:.2f}× "
              f"| {r['bare'] / r['hand']:.2f}× |")
    print("\nMedian stage seconds (micro-F1 and macro-AP after the round: the same math gives close figures)\n")
    for r in rows:
        for who in ("stages", "hand_stages"):
            parts = ", ".join(f"{k} {v:.3f}" for k, v in r[who].items())
            print(f"- {r['labelled']:,} labelled, {'alframe' if who == 'stages' else 'hand loop'}: {parts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
