"""Time each query policy on a large synthetic pool, as a ratio against ``random``.

What is timed is ``policy.select(scores, ctx)``: the per-cell measure over the ``[n, L, K]``
probabilities, the per-item aggregation and the bounded top-k (or IWAL's probabilities and
coins). Producing the probabilities (the model's forward pass) is not included. Ratios against
``random``, measured in the same process on the same pool, make the figures comparable across
machines; absolute seconds are printed beside them.

    python benchmarks/bench_policies.py                        # 200k items × 100 labels × 5 members
    python benchmarks/bench_policies.py --items 20000 --unit cell
    python benchmarks/bench_policies.py --bias                 # the clipping-bias table of the docs
    python benchmarks/bench_policies.py --diversity            # diversity steps: 24k items × 131 labels
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import numpy as np
import torch

from alframe.plugins import load
from alframe.policies.base import PoolScores, QueryContext

POLICIES: list[tuple[str, dict[str, Any]]] = [
    ("random", {}),
    ("uncertainty", {}),
    ("uncertainty", {"measure": "entropy", "rare_bonus": 1.0}),
    ("disagreement", {}),
    ("disagreement", {"measure": "kl"}),
    ("bald", {}),
    ("iwal", {"base": "disagreement"}),
    ("iwal", {"base": "bald", "rule": "threshold", "sampling": "systematic"}),
]


def synthetic_pool(n: int, n_labels: int, members: int, seed: int = 0) -> PoolScores:
    """Random member probabilities around a per-cell centre; 10% of the cells already known."""
    g = torch.Generator().manual_seed(seed)
    probs = torch.randn(n, n_labels, 1, generator=g).mul_(2.0)  # [n, L, 1] centre logits
    probs = probs + torch.randn(n, n_labels, members, generator=g)  # [n, L, K]
    probs.sigmoid_()
    rng = np.random.default_rng(seed)
    return PoolScores(
        items=np.arange(n, dtype=np.int64),
        probs=probs,
        known=rng.random((n, n_labels)) < 0.1,
        label_positives=rng.integers(1, 100, size=n_labels).astype(np.int64),
        label_answered=np.full(n_labels, 200, dtype=np.int64),
        thresholds=np.full(n_labels, 0.5, dtype=np.float32),
    )


#: the diversity steps against their base policy (``--diversity``), and the seed policy
DIVERSITY: list[tuple[str, dict[str, Any]]] = [
    ("uncertainty", {}),
    ("uncertainty", {"diversity": "badge"}),
    ("uncertainty", {"diversity": "coreset"}),
    ("uncertainty", {"diversity": "cluster"}),
    ("bald", {}),
    ("bald", {"diversity": "badge"}),
    ("bald", {"diversity": "coreset"}),
    ("bald", {"diversity": "cluster"}),
    ("diverse", {}),
]


def with_embeddings(pool: PoolScores, dim: int, seed: int = 0) -> PoolScores:
    """The pool with ReLU-like features ``[n, dim]`` (what a trunk gives the heads)."""
    g = torch.Generator().manual_seed(seed + 1)
    pool.embeddings = torch.randn(len(pool.items), dim, generator=g).clamp_min_(0.0)
    return pool


def diversity_table(args: argparse.Namespace, registry: Any) -> None:
    """Seconds per ``select`` of each diversity step beside its base policy (the features'
    forward pass not included: it costs about one ``predict_proba`` pass)."""
    pool = with_embeddings(synthetic_pool(args.items, args.labels, args.members), args.dim)
    units = ("item", "cell") if args.unit == "both" else (args.unit,)
    print(f"pool: {args.items} items × {args.labels} labels × {args.members} members, features {args.dim}, "
          f"batch {args.batch}, torch threads {torch.get_num_threads()}")
    print(f"{'policy':<44} {'unit':<5} {'seconds':>8} {'× base':>7}")
    for unit in units:
        built = [registry.build("policy", name, kwargs) for name, kwargs in DIVERSITY]
        times = time_all(built, pool, unit, args.batch, args.repeat)
        base = times[0]
        for (name, kwargs), secs in zip(DIVERSITY, times):
            if name == "bald" and not kwargs:
                base = secs
            label = name + (f"({', '.join(f'{k}={v}' for k, v in kwargs.items())})" if kwargs else "")
            ratio = f"{secs / base:>7.1f}" if name != "diverse" else f"{'—':>7}"  # no base policy
            print(f"{label:<44} {unit:<5} {secs:>8.3f} {ratio}")


def time_once(policy: Any, pool: PoolScores, unit: str, batch: int, seed: int) -> float:
    """Wall-clock seconds of one ``select`` call."""
    ctx = QueryContext(batch=batch, unit=unit, rng=np.random.default_rng(seed), n_seen=10_000, round=1)
    start = time.perf_counter()
    policy.select(pool, ctx)
    return time.perf_counter() - start


def time_all(policies: list[Any], pool: PoolScores, unit: str, batch: int, repeat: int) -> list[float]:
    """Best time of each policy; repeats go round-robin so a busy spell hits all alike."""
    best = [float("inf")] * len(policies)
    for r in range(repeat):
        for i, policy in enumerate(policies):
            best[i] = min(best[i], time_once(policy, pool, unit, batch, r))
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--items", type=int, default=200_000)
    ap.add_argument("--labels", type=int, default=100)
    ap.add_argument("--members", type=int, default=5)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--unit", choices=("item", "cell", "both"), default="both")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=0, help="torch intra-op threads (0: torch's default)")
    ap.add_argument("--bias", action="store_true", help="print the importance-weight bias table and exit")
    ap.add_argument("--diversity", action="store_true",
                    help="time the diversity steps against their base policy (default pool 24,000 × 131)")
    ap.add_argument("--dim", type=int, default=256, help="feature width for --diversity (the trunk's)")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.bias:
        from alframe.policies.weights import bias_table, format_table

        print(format_table(bias_table()))
        return
    registry = load(autoload=False).registry
    if args.diversity:
        if args.items == ap.get_default("items") and args.labels == ap.get_default("labels"):
            args.items, args.labels = 24_000, 131  # the shipped catalogue's pool
        if args.batch == ap.get_default("batch"):
            args.batch = 200
        diversity_table(args, registry)
        return
    pool = synthetic_pool(args.items, args.labels, args.members)
    units = ("item", "cell") if args.unit == "both" else (args.unit,)
    print(f"pool: {args.items} items × {args.labels} labels × {args.members} members, "
          f"batch {args.batch}, torch threads {torch.get_num_threads()}")
    cells = args.items * args.labels
    print(f"{'policy':<58} {'unit':<5} {'seconds':>8} {'ns/cell':>8} {'× random':>9}")
    for unit in units:
        built = [registry.build("policy", name, kwargs) for name, kwargs in POLICIES]
        times = time_all(built, pool, unit, args.batch, args.repeat)
        for (name, kwargs), secs in zip(POLICIES, times):
            label = name + (f"({', '.join(f'{k}={v}' for k, v in kwargs.items())})" if kwargs else "")
            print(f"{label:<58} {unit:<5} {secs:>8.3f} {secs / cells * 1e9:>8.1f} {secs / times[0]:>9.1f}")

if __name__ == "__main__":
    main()
