"""Scoring and querying a large pool (issue 13 items 3 and 6): seconds per item and peak memory,
streamed (the pool scored and reduced a chunk at a time) against the whole pool at once.

    python benchmarks/bench_pool_scale.py                          # 10^5 and 10^6 items, 5 members
    python benchmarks/bench_pool_scale.py --sizes 100000 --members 1 --unit cell
    python benchmarks/bench_pool_scale.py --unit cell --policy iwal   # IWAL: the cells' p kept, not the probabilities
    python benchmarks/bench_pool_scale.py --state 6000 --sizes 1000000,10000000   # the run state's tables

Each size and path runs in its own process. The pool is synthetic — each item's text is 8–40
words drawn from the shipped catalogue's descriptions in their own frequencies — with the
catalogue's 131 label names. The model is the default but for character n-grams (word 1–2-grams
only, so that the features of 10^6 items fit beside the rest on a small machine): ``hashed_bag``
with its wide path, ``mlp(hidden=256)``, joint heads, ``ensemble K``, fitted on 1,000 real
catalogue packages so its probabilities are a trained model's. Then a round's ``score`` and
``query`` stages, as the engine calls them (the built-in scorer's two paths, the output check,
``uncertainty``'s choice of 200 items or, with ``--unit cell``, 26,200 cells):

- ``streamed``: the pool in chunks of ``STREAM_ITEMS`` items, each reduced at once to the
  policy's candidates (``alframe.policies.stream``);
- ``whole``: the pool's probabilities ``[n, L, K]`` at once, then the choice (the path every
  policy that is not a built-in ranking policy takes).

Peak memory is the process's resident set sampled every 2 ms during those stages, minus its
resident set just before them (data, features and model loaded): what scoring and choosing
add. A benchmark measures; it does not check behaviour.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "specs" / "data" / "debian-packages.jsonl.gz"
SPEC = """run "pool-scale" seed 1
data "{data}" {{ id package  text package, description  numeric installed_size_kb, n_depends  test fraction 0.2 seed 7 }}
labels from "tags" {{ min_positives 100 }}
model {{ encoder hashed_bag(char_ngrams=0..0)  ensemble {members} }}
query {{ seed 200 random  batch {batch}  unit {unit}  policy {policy}  budget 100000000 }}
oracle simulated
"""
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE


class PeakRss:
    """The largest resident set seen while the block runs (a sampling thread)."""

    def __enter__(self) -> PeakRss:
        self.start = self.peak = rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, rss())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, rss())


def synthetic(n: int, real: Any, seed: int = 0) -> Any:
    """A data set of ``n`` synthetic items beside the real one's label space: words drawn from
    the real descriptions (with their frequencies), numeric fields drawn from the real rows."""
    import numpy as np

    from alframe.data.dataset import Dataset

    rng = np.random.default_rng(seed)
    words = np.array(" ".join(real.texts).split())
    lens = rng.integers(8, 41, n)
    picks = rng.integers(0, len(words), int(lens.sum()))
    cuts = np.cumsum(lens)[:-1]
    texts = [" ".join(w) for w in np.split(words[picks], cuts)]
    numeric = None if real.numeric is None else real.numeric[rng.integers(0, real.n_items, n)]
    return Dataset(
        path="synthetic", ids=[f"s{i:08d}" for i in range(n)], texts=texts, numeric=numeric,
        numeric_names=list(real.numeric_names), labels=np.full((n, real.n_labels), -1, dtype=np.int8),
        label_names=list(real.label_names), test_idx=np.zeros(0, np.int64), pool_idx=np.arange(n, dtype=np.int64),
        fingerprint="synthetic", warnings=[],
    )


def bags_only(n: int, real: Any, trained: Any, per_item: int = 24, seed: int = 0) -> tuple[Any, Any]:
    """A pool of ``n`` items without texts, for sizes whose texts would not fit: each item's bag is
    ``per_item`` entries drawn from the real features' hashed n-grams (with their frequencies)
    and weights; numeric fields drawn from the real rows. Returns (data set, features)."""
    import numpy as np
    import torch

    from alframe.data.dataset import Dataset
    from alframe.models.features import Features

    rng = np.random.default_rng(seed)
    feats = trained.features
    picks = torch.from_numpy(rng.integers(0, int(feats.bag_values.shape[0]), n * per_item))
    values = feats.bag_values.index_select(0, picks)
    weights = feats.bag_weights.index_select(0, picks) * (1.0 / per_item) ** 0.5
    del picks
    offsets = torch.arange(0, n * per_item + 1, per_item, dtype=torch.int64)
    numeric = None if feats.numeric is None else feats.numeric.index_select(0, torch.from_numpy(rng.integers(0, real.n_items, n)))
    pool = Dataset(
        # ids: only their count is read
        path="synthetic", ids=range(n), texts=[], numeric=None, numeric_names=list(real.numeric_names),
        labels=np.broadcast_to(np.int8(-1), (n, real.n_labels)), label_names=list(real.label_names),
        test_idx=np.zeros(0, np.int64), pool_idx=np.arange(n, dtype=np.int64), fingerprint="synthetic", warnings=[],
    )
    return pool, Features(n_items=n, bag_values=values, bag_offsets=offsets, numeric=numeric, bag_weights=weights)


def one(n: int, members: int, unit: str, path: str, bags: bool = False, policy_name: str = "uncertainty") -> dict[str, Any]:
    import types

    import numpy as np
    import torch

    from alframe import plugins as loader
    from alframe.builtin import stages
    from alframe.compile import compile_text
    from alframe.contracts import checked
    from alframe.data.load import load_dataset
    from alframe.models.bundle import FitRequest, build_bundle
    from alframe.policies.base import QueryContext
    from alframe.state import new_answers, open_items

    torch.set_num_threads(1)
    plugins = loader.load()
    batch = 200 if unit == "item" else 26200
    text = SPEC.format(data=DATA, members=members, unit=unit, batch=batch, policy=policy_name)
    plan = compile_text(text, Path("/tmp/pool-scale.al"), plugins.registry, root="/")
    real = load_dataset(plan.data, plan.labels)
    # the model is fitted on real packages, then scores the synthetic pool (same features)
    trained = build_bundle(plan, plugins.registry, real)
    idx = real.pool_idx[:1000]
    targets = real.labels[idx]
    trained.fit(FitRequest(train_idx=idx, targets=targets, weights=(targets >= 0).astype(np.float32), seed=1, round=0))
    t0 = time.perf_counter()
    if bags:
        pool, features = bags_only(n, real, trained)
        made = time.perf_counter() - t0
        bundle, featurized = trained, 0.0
        bundle.dataset, bundle.features = pool, features  # the fitted model, over the synthetic bags
    else:
        pool = synthetic(n, real)
        made = time.perf_counter() - t0
        t0 = time.perf_counter()
        bundle = build_bundle(plan, plugins.registry, pool)  # the pool's features
        bundle.net.load_state_dict(trained.net.state_dict())
        bundle.thresholds = trained.thresholds
        featurized = time.perf_counter() - t0
    del trained, real
    policy = plugins.registry.build("policy", plan.query.policy.name, dict(plan.query.policy.args))
    answers = new_answers(n, pool.n_labels)

    class State(types.SimpleNamespace):
        """What the score stage reads of a RunState: the same candidates and answers."""

        def candidates(self) -> Any:
            return open_items(self.answers, self.dataset.pool_idx)

    state = State(plan=plan, plugins=plugins, dataset=pool, bundle=bundle, model_by="alframe", answers=answers)
    ctx = QueryContext(batch=batch, unit=unit, rng=np.random.default_rng(1), n_seen=0, round=1)  # nothing answered
    streams = stages._streams(state, policy)  # type: ignore[arg-type]
    if path == "streamed" and not streams:
        raise SystemExit(f"the policy is not streamed with unit {unit}")
    times: dict[str, float] = {}
    with PeakRss() as peak:
        t = time.perf_counter()
        if path == "streamed":
            scores = stages._streamed_scores(state, policy)  # type: ignore[arg-type]
        else:
            scores = stages._pool_scores(state, policy)  # type: ignore[arg-type]
        checked("alframe_score_pool", scores, {"state": state})
        times["score"] = time.perf_counter() - t
        t = time.perf_counter()
        q = policy.select(scores, ctx)
        times["query"] = time.perf_counter() - t
    return {"n": n, "members": members, "unit": unit, "policy": policy_name, "path": path, "asked": len(q), "synthesise_s": made,
            "featurize_s": featurized, **{f"{k}_s": v for k, v in times.items()},
            "peak_mb": (peak.peak - peak.start) / 2**20, "probs_mb": n * pool.n_labels * members * 4 / 2**20}


def state_tables(n: int, n_labels: int, answered: int, dense: bool) -> dict[str, float]:
    """The run state's per-cell tables (answers, query probabilities, weights) after ``answered``
    items' cells were answered, as :class:`~alframe.rows.ItemRows` or as the dense matrices
    they replace: resident MB added, measured."""
    import numpy as np

    from alframe.rows import ItemRows
    from alframe.state import new_answers

    rng = np.random.default_rng(0)
    items = np.sort(rng.choice(n, size=answered, replace=False))
    values = rng.integers(0, 2, size=(answered, n_labels)).astype(np.int8)
    before = rss()
    if dense:
        answers = np.full((n, n_labels), -1, dtype=np.int8)
        prob = np.ones((n, n_labels), dtype=np.float32)
        weights = np.zeros((n, n_labels), dtype=np.float32)
        answers[items], prob[items], weights[items] = values, 0.5, 2.0
    else:
        answers, prob, weights = new_answers(n, n_labels), ItemRows(n, n_labels, 1.0), ItemRows(n, n_labels, 0.0)
        answers.set_rows(items, values)
        prob.set_rows(items, np.full(values.shape, 0.5, np.float32))
        weights.set_rows(items, np.full(values.shape, 2.0, np.float32))
    return {"n": n, "answered": answered, "dense": dense, "mb": (rss() - before) / 2**20}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100000,1000000")
    ap.add_argument("--members", type=int, default=5)
    ap.add_argument("--unit", default="item", choices=("item", "cell"))
    ap.add_argument("--policy", default="uncertainty", help="the query policy, as a spec writes it (e.g. iwal)")
    ap.add_argument("--paths", default="streamed,whole", help="streamed (chunk by chunk), whole (the pool at once)")
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--bags", action="store_true",
                    help="synthetic bags drawn from the catalogue's hashed n-grams, no texts (what 10^7 items need)")
    ap.add_argument("--path", default="streamed", help=argparse.SUPPRESS)
    ap.add_argument("--state", type=int, metavar="ANSWERED",
                    help="instead: the run state's per-cell tables with this many items answered (131 labels), "
                         "rows against dense, at each size")
    ap.add_argument("--dense", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.state and args.one:
        print(json.dumps(state_tables(args.one, 131, args.state, args.dense)))
        return 0
    if args.state:
        print("| pool items | answered items | tables | resident MB added |\n|---:|---:|---|---:|")
        for n in [int(x) for x in args.sizes.split(",")]:
            for dense in (False, True):
                cmd = [sys.executable, __file__, "--one", str(n), "--state", str(args.state)] + ["--dense"] * dense
                out = subprocess.run(cmd, capture_output=True, text=True, check=False)
                if out.returncode:
                    print(f"| {n:,} | {args.state:,} | {'dense' if dense else 'rows'} | failed (exit {out.returncode}) |")
                    continue
                r = json.loads(out.stdout.strip().splitlines()[-1])
                print(f"| {n:,} | {args.state:,} | {'dense' if dense else 'rows'} | {r['mb']:,.0f} |")
        return 0
    if args.one:
        import logging

        logging.getLogger("pytorch_lightning").setLevel(logging.ERROR)
        logging.getLogger("lightning").setLevel(logging.ERROR)
        print(json.dumps(one(args.one, args.members, args.unit, args.path, args.bags, args.policy)))
        return 0
    rows = []
    for n in [int(x) for x in args.sizes.split(",")]:
        for path in args.paths.split(","):
            cmd = [sys.executable, __file__, "--one", str(n), "--members", str(args.members), "--unit", args.unit,
                   "--path", path, "--policy", args.policy] + ["--bags"] * args.bags
            out = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if out.returncode:
                print(f"{n:,} items, {path}: failed (exit {out.returncode})\n{out.stderr[-2000:]}", file=sys.stderr)
                rows.append({"n": n, "path": path, "failed": out.returncode})
                continue
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            r = rows[-1]
            print(f"{n:,} items, {path}: score {r['score_s']:.1f} s, peak +{r['peak_mb']:,.0f} MB", file=sys.stderr)
    pool = "synthetic bags of 24 hashed n-grams" if args.bags else "synthetic texts"
    print(f"\n{args.members} member(s), unit {args.unit}, policy {args.policy}, {pool}, one torch thread\n")
    print("| pool items | path | score s | µs / item | query s | peak MB above the loaded state | "
          "the pool's probabilities would be MB |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for r in rows:
        if "failed" in r:
            print(f"| {r['n']:,} | {r['path']} | failed (exit {r['failed']}) | | | | |")
            continue
        print(f"| {r['n']:,} | {r['path']} | {r['score_s']:.1f} | {1e6 * r['score_s'] / r['n']:.0f} | {r['query_s']:.2f} "
              f"| {r['peak_mb']:,.0f} | {r['probs_mb']:,.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
