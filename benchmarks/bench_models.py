"""Where the model's speed comes from, as ratios against a baseline timed in the same run.

    python benchmarks/bench_models.py [--threads N] [--quick]

(a) sparse EmbeddingBag + SparseAdam vs a dense table + Adam, per training step;
(b) a batched K-member committee vs K separate models trained in a Python loop, per step;
(c) independent heads as one batched operation vs a Python loop over labels, per step;
(d) joint vs independent vs grouped heads, seconds per epoch of a real Lightning fit.

Inputs are the shipped Debian catalogue (``specs/data/debian-packages.jsonl.gz``): real texts
hashed into a 2^18 x 64 table, real tags as labels. Each figure is the median of several timed
repetitions after a warm-up. Runs in about a minute on two CPU cores.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import time
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from torch import nn

from alframe.data.dataset import Dataset
from alframe.models import components
from alframe.models.bundle import FitRequest, build_bundle
from alframe.models.encoders import HashedBagModule
from alframe.models.features import Features
from alframe.models.hashing import hash_bags
from alframe.models.heads import IndependentHeads, JointModule
from alframe.models.losses import LabelCounts, NoCorrection, masked_loss
from alframe.plan import (
    Call,
    DataPlan,
    EvalPlan,
    LabelPlan,
    ModelPlan,
    Plan,
    QueryPlan,
    TrainerPlan,
    TrainPlan,
    WeightPlan,
)
from alframe.registry import Registry

DATA = Path(__file__).resolve().parents[1] / "specs" / "data" / "debian-packages.jsonl.gz"
BUCKETS, DIM, BATCH, K = 1 << 18, 64, 64, 5


def load_catalogue(n_items: int, min_share: float = 0.013) -> Dataset:
    """The first n packages with their tags held by at least min_share of them as labels."""
    rows = []
    with gzip.open(DATA, "rt", encoding="utf-8") as fh:
        for line in fh:
            rows.append(json.loads(line))
            if len(rows) == n_items:
                break
    counts = Counter(t for r in rows for t in r["tags"])
    names = sorted(t for t, c in counts.items() if c >= min_share * len(rows))
    index = {t: j for j, t in enumerate(names)}
    labels = np.zeros((len(rows), len(names)), dtype=np.int8)
    for i, r in enumerate(rows):
        for t in r["tags"]:
            if t in index:
                labels[i, index[t]] = 1
    numeric = np.array([[np.log1p(r["installed_size_kb"]), r["n_depends"]] for r in rows], dtype=np.float32)
    perm = np.random.default_rng(0).permutation(len(rows))
    n_test = len(rows) // 5
    return Dataset(
        path=str(DATA), ids=[r["package"] for r in rows],
        texts=[f"{r['package']} | {r['description']}" for r in rows],
        numeric=numeric, numeric_names=["size", "depends"], labels=labels, label_names=names,
        test_idx=np.sort(perm[:n_test]), pool_idx=np.sort(perm[n_test:]), fingerprint="bench", warnings=[],
    )


def median_seconds(fns: dict[str, Callable[[], object]], repeat: int, warmup: int = 2) -> dict[str, float]:
    """Median seconds of each function, timed round-robin so a change in the machine's load
    falls on every contender alike."""
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def batches(ds: Dataset, n: int) -> list[dict[str, torch.Tensor]]:
    values, offsets = hash_bags(ds.texts, BUCKETS, (1, 2))
    feats = Features(ds.n_items, torch.from_numpy(values), torch.from_numpy(offsets), None)
    rng = np.random.default_rng(0)
    out = []
    for _ in range(n):
        idx = torch.from_numpy(rng.choice(ds.n_items, BATCH, replace=False))
        batch = feats.batch(idx)
        batch["targets"] = torch.from_numpy(ds.labels[idx.numpy()])
        batch["weights"] = torch.ones(BATCH, ds.n_labels)
        out.append(batch)
    return out


class TinyModel(nn.Module):
    """Encoder → joint heads for ``members`` members (1 for a plain model)."""

    def __init__(self, n_labels: int, members: int, sparse: bool, per_member: bool = False) -> None:
        super().__init__()
        self.enc = HashedBagModule(DIM, BUCKETS, 0, members, per_member, 1.0)
        if not sparse:
            self.enc.bag.sparse = False
        self.heads = JointModule(DIM, n_labels, members)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        return self.heads(self.enc(batch))  # [B, K, L]


def optimisers(model: nn.Module, sparse: bool) -> list[torch.optim.Optimizer]:
    table = [model.enc.bag.weight]
    rest = [p for n, p in model.named_parameters() if not n.startswith("enc.bag")]
    first = torch.optim.SparseAdam(table, lr=1e-2) if sparse else torch.optim.Adam(table, lr=1e-2)
    return [first, torch.optim.Adam(rest, lr=1e-3)]


def step(models: list[nn.Module], opts: list[list[torch.optim.Optimizer]], batch: dict[str, torch.Tensor]) -> None:
    for model, model_opts in zip(models, opts):
        logits = model(batch)
        cell = NoCorrection().cell_loss(logits, batch["targets"], LabelCounts(torch.zeros(1), torch.zeros(1)))
        loss = masked_loss(cell, batch["targets"], batch["weights"])
        for o in model_opts:
            o.zero_grad()
        loss.backward()
        for o in model_opts:
            o.step()


def cycle(fn: Callable[[dict[str, torch.Tensor]], None], data: list[dict[str, torch.Tensor]]) -> Callable[[], None]:
    it = iter(range(10**9))
    return lambda: fn(data[next(it) % len(data)])


def bench_sparse(ds: Dataset, data: list[dict[str, torch.Tensor]], repeat: int) -> None:
    fns = {}
    for sparse in (True, False):
        model = TinyModel(ds.n_labels, 1, sparse)
        opts = [optimisers(model, sparse)]
        fns[str(sparse)] = cycle(lambda b, m=model, o=opts: step([m], o, b), data)
    times = median_seconds(fns, repeat)
    dense, sparse_t = times["False"], times["True"]
    print(f"(a) one training step, {BUCKETS}x{DIM} table, batch {BATCH}")
    print(f"    dense table + Adam        {dense * 1e3:8.2f} ms   1.00x (baseline)")
    print(f"    sparse bag + SparseAdam   {sparse_t * 1e3:8.2f} ms   {dense / sparse_t:5.1f}x faster")


def bench_committee(ds: Dataset, data: list[dict[str, torch.Tensor]], repeat: int) -> None:
    loop = [TinyModel(ds.n_labels, 1, True) for _ in range(K)]
    loop_opts = [optimisers(m, True) for m in loop]
    fns = {"loop": cycle(lambda b: step(loop, loop_opts, b), data)}
    for label, per_member in (("batched, shared table", False), ("batched, per-member tables", True)):
        model = TinyModel(ds.n_labels, K, True, per_member)
        opts = [optimisers(model, True)]
        fns[label] = cycle(lambda b, m=model, o=opts: step([m], o, b), data)
    times = median_seconds(fns, repeat)
    t_loop = times.pop("loop")
    print(f"(b) one training step of a committee of {K}")
    print(f"    {K} separate models in a loop   {t_loop * 1e3:8.2f} ms   1.00x (baseline)")
    for label, t in times.items():
        print(f"    {label:<30}{t * 1e3:8.2f} ms   {t_loop / t:5.1f}x faster")


class LoopHeads(nn.Module):
    """The naive independent heads: one small MLP per label, called in a Python loop."""

    def __init__(self, d_in: int, hidden: int, n_labels: int) -> None:
        super().__init__()
        self.heads = nn.ModuleList(nn.Sequential(nn.Linear(d_in, hidden), nn.ReLU(), nn.Linear(hidden, 1))
                                   for _ in range(n_labels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([h(x) for h in self.heads], 1).unsqueeze(1)  # [B, 1, L]


def bench_heads_op(ds: Dataset, repeat: int) -> None:
    d_in, hidden, n = DIM + 2, 32, ds.n_labels
    x = torch.randn(BATCH, d_in)
    batched = IndependentHeads(hidden=hidden, dropout=0.0).build(d_in, ds.label_names, 1)
    looped = LoopHeads(d_in, hidden, n)

    def run(module: nn.Module) -> Callable[[], None]:
        def fn() -> None:
            module.zero_grad()
            module(x).square().mean().backward()
        return fn

    times = median_seconds({"loop": run(looped), "batched": run(batched)}, repeat)
    t_loop, t_batched = times["loop"], times["batched"]
    print(f"(c) independent heads, {n} labels x hidden {hidden}, forward + backward, batch {BATCH}")
    print(f"    Python loop over labels   {t_loop * 1e3:8.2f} ms   1.00x (baseline)")
    print(f"    one batched operation     {t_batched * 1e3:8.2f} ms   {t_loop / t_batched:5.1f}x faster")


def plan_for(heads: Call, epochs: int) -> Plan:
    return Plan(
        name="bench", seed=0, data=DataPlan(str(DATA), "jsonl", "package"), labels=LabelPlan("list", "tags"),
        model=ModelPlan(Call("hashed_bag"), Call("mlp"), heads, K, "bootstrap"),
        train=TrainPlan(epochs=epochs, batch_size=BATCH), weighting=WeightPlan(),
        query=QueryPlan(100, Call("random"), 100, "item", Call("random"), 1000), oracle=Call("simulated"),
        evaluate=EvalPlan(), trainer=TrainerPlan(),
    )


class EpochTimer(pl.Callback):
    """Seconds of each training epoch, without the Trainer's set-up and tear-down."""

    def __init__(self) -> None:
        self.seconds: list[float] = []
        self._start = 0.0

    def on_train_epoch_start(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self._start = time.perf_counter()

    def on_train_epoch_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
        self.seconds.append(time.perf_counter() - self._start)


def bench_epochs(ds: Dataset, n_labelled: int, epochs: int, passes: int) -> None:
    reg = Registry()
    components.register(reg)
    items = np.random.default_rng(0).choice(ds.pool_idx, n_labelled, replace=False)
    print(f"(d) one epoch of a Lightning fit: {n_labelled} labelled items, {ds.n_labels} labels, "
          f"committee of {K} (median over {passes} alternating fits of {epochs} epochs; set-up not counted)")
    heads = (Call("joint"), Call("independent"), Call("grouped"))
    bundles = {h.name: build_bundle(plan_for(h, epochs), reg, ds) for h in heads}
    epoch_times: dict[str, list[float]] = {name: [] for name in bundles}
    setup: dict[str, list[float]] = {name: [] for name in bundles}
    for _ in range(passes):
        for name, bundle in bundles.items():
            timer = EpochTimer()
            req = FitRequest(items, ds.labels[items], np.ones(ds.labels[items].shape, np.float32), seed=0,
                             round=0, callbacks=[timer])
            info = bundle.fit(req)
            epoch_times[name] += timer.seconds[1:]  # the first epoch of a fit warms up
            setup[name].append(info["train_seconds"] - sum(timer.seconds))
    base = statistics.median(epoch_times["joint"])
    for name, times in epoch_times.items():
        t = statistics.median(times)
        print(f"    heads {name:<12} {t:8.3f} s   {t / base:5.2f}x joint's time   "
              f"(Trainer set-up and tear-down {statistics.median(setup[name]):.2f} s per fit)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: leave as is)")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    warnings.filterwarnings("ignore")
    repeat = 5 if args.quick else 15
    start = time.perf_counter()
    ds = load_catalogue(8000)
    t0 = time.perf_counter()
    hash_bags(ds.texts, BUCKETS, (1, 2))
    print(f"alframe model benchmarks: torch {torch.__version__}, {torch.get_num_threads()} thread(s); "
          f"{ds.n_items} items, {ds.n_labels} labels; hashing {ds.n_items} texts took "
          f"{time.perf_counter() - t0:.2f} s")
    data = batches(ds, 16)
    bench_sparse(ds, data, repeat)
    bench_committee(ds, data, repeat)
    bench_heads_op(ds, repeat)
    bench_epochs(ds, 3000, 3, 2 if args.quick else 3)
    print(f"done in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
