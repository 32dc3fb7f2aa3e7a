"""Fixed work of a small round (issue 13 item 1): storing a round's answers and the exact
average precision, each against the implementation it replaced, as ratios.

- ``record_answers``: 26,200 answers (200 items × 131 labels, a whole-item round on the full
  catalogue) stored into a run.db that already holds earlier rounds' answers, with
  :meth:`RunStore.record_answers` (one query for the cells' current values, ``executemany``)
  against the row-at-a-time version it replaced (a SELECT and an INSERT per answer), kept here.
  Each repetition starts from an identical copy of the store; both commit one transaction with
  ``synchronous=FULL``; the stored rows are checked to be identical.
- average precision: per-label exact AP over a ``[6,000 × 131]`` test split (20 % unknown cells,
  ties in part of the labels) by ``alframe.data.metrics._per_label_ap`` (one sort of the whole
  matrix) against torchmetrics' ``multilabel_average_precision`` (a sort per label, what the
  evaluation called before); the values are checked to be equal to the last bit.

Repetitions alternate the two sides; the figures are medians. One torch thread by default, as
in the issue's measurements.

    python benchmarks/bench_round.py                 # 9 repetitions
    python benchmarks/bench_round.py --reps 15 --prior 4
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torchmetrics.functional.classification import multilabel_average_precision

from alframe.data.metrics import _per_label_ap
from alframe.record.store import Answer, Recorded, Revision, RunStore


def record_row_at_a_time(store: RunStore, answers: list[Answer]) -> Recorded:
    """RunStore.record_answers as it was: a SELECT and an INSERT per answer."""
    out = Recorded()
    now = time.time()
    with store.transaction() as c:
        for a in answers:
            row = c.execute(
                "SELECT value, revision FROM answers WHERE item = ? AND label = ? ORDER BY revision DESC LIMIT 1",
                (a.item, a.label),
            ).fetchone()
            if row is not None and int(row[0]) == a.value:
                out.unchanged += 1
                continue
            revision = 1 if row is None else int(row[1]) + 1
            c.execute(
                "INSERT INTO answers (item, label, value, round, prob, weight, source, time, revision) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (a.item, a.label, int(a.value), a.round, float(a.prob), float(a.weight), a.source, now, revision),
            )
            if row is None:
                out.new += 1
            else:
                out.revised.append(Revision(a.item, a.label, int(row[0]), int(a.value), revision))
    return out


def round_answers(rnd: int, items: int, labels: int, rng: np.random.Generator) -> list[Answer]:
    values = rng.random((items, labels)) < 0.05
    return [
        Answer(f"item-{rnd}-{i:05d}", f"label-{j:03d}", int(values[i, j]), rnd, 1.0, 1.0, "simulated")
        for i in range(items)
        for j in range(labels)
    ]


def answers_fixture(folder: Path, prior: int, items: int, labels: int) -> tuple[Path, list[Answer]]:
    """A run.db holding ``prior`` earlier rounds of answers, and the next round's answers."""
    rng = np.random.default_rng(13)
    base = folder / "base.db"
    with RunStore.open(base) as store:
        for rnd in range(prior):
            store.record_answers(round_answers(rnd, items, labels, rng))
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return base, round_answers(prior, items, labels, rng)


def time_store(base: Path, answers: list[Answer], record: Callable[[RunStore, list[Answer]], Recorded],
               folder: Path, tag: str) -> tuple[float, list[tuple[object, ...]]]:
    db = folder / f"{tag}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    shutil.copyfile(base, db)
    with RunStore.open(db) as store:
        start = time.perf_counter()
        record(store, answers)
        seconds = time.perf_counter() - start
        rows = store.conn.execute(
            "SELECT id, item, label, value, round, prob, weight, source, revision FROM answers ORDER BY id"
        ).fetchall()
    return seconds, rows


def ap_case(n: int, labels: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    probs = torch.rand(n, labels, generator=g)
    probs[:, : labels // 4] = torch.round(probs[:, : labels // 4] * 100) / 100  # ties in a quarter
    truth = (torch.rand(n, labels, generator=g) < probs * 0.3).long()
    truth[torch.rand(n, labels, generator=g) < 0.2] = -1
    return probs, truth, (truth == 1).sum(dim=0)


def ap_per_label(probs: torch.Tensor, truth: torch.Tensor, support: torch.Tensor) -> torch.Tensor:
    """metrics._per_label_ap as it was: torchmetrics, one sort per label."""
    ap = torch.full((probs.shape[1],), float("nan"), dtype=torch.float64)
    cols = torch.nonzero(support > 0).flatten()
    values = multilabel_average_precision(
        probs[:, cols], truth[:, cols], num_labels=len(cols), average=None, ignore_index=-1, validate_args=False
    )
    ap[cols] = values.to(torch.float64)
    return ap


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=9)
    ap.add_argument("--items", type=int, default=200, help="items answered in the round (× labels answers)")
    ap.add_argument("--labels", type=int, default=131)
    ap.add_argument("--prior", type=int, default=2, help="earlier rounds of answers already in run.db")
    ap.add_argument("--test-items", type=int, default=6000)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base, answers = answers_fixture(folder, args.prior, args.items, args.labels)
        fast_s, slow_s = [], []
        for rep in range(args.reps):
            order = [("fast", RunStore.record_answers), ("slow", record_row_at_a_time)]
            if rep % 2:
                order.reverse()
            rows = {}
            for tag, fn in order:
                seconds, rows[tag] = time_store(base, answers, fn, folder, tag)
                (fast_s if tag == "fast" else slow_s).append(seconds)
            assert rows["fast"] == rows["slow"], "the batched store wrote other rows"
    f, s = statistics.median(fast_s), statistics.median(slow_s)
    print(f"record_answers, {len(answers):,} answers after {args.prior} earlier rounds "
          f"({args.prior * len(answers):,} rows), median of {args.reps}:")
    print(f"  row at a time {s * 1000:8.1f} ms   batched {f * 1000:8.1f} ms   ratio {s / f:5.1f}x")

    probs, truth, support = ap_case(args.test_items, args.labels)
    want, got = ap_per_label(probs, truth, support), _per_label_ap(probs, truth, support)
    assert torch.equal(want.nan_to_num(-1.0), got.nan_to_num(-1.0)), "the one-sort AP differs"
    fast_s, slow_s = [], []
    for rep in range(args.reps):
        order = [("fast", _per_label_ap), ("slow", ap_per_label)]
        if rep % 2:
            order.reverse()
        for tag, fn in order:
            start = time.perf_counter()
            fn(probs, truth, support)
            (fast_s if tag == "fast" else slow_s).append(time.perf_counter() - start)
    f, s = statistics.median(fast_s), statistics.median(slow_s)
    print(f"average precision per label, [{args.test_items:,} x {args.labels}], {args.threads} thread(s), "
          f"median of {args.reps}:")
    print(f"  per label     {s * 1000:8.1f} ms   one sort {f * 1000:8.1f} ms   ratio {s / f:5.1f}x")


if __name__ == "__main__":
    main()
