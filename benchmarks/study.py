"""The policy study: which query policy reaches a target with the fewest labels, at full size?

    pip install -e '.[bench]'          # scikit-learn and small-text (the peer)
    python benchmarks/study.py --data catalogue --policies "random;uncertainty" --units item,cell \\
                               --seeds 1,2,3 --max-items 6000 --peer --out /tmp/alframe-study
    python benchmarks/study.py --table /tmp/alframe-study       # the tables, from what ran

Every alframe run is a real run of the engine (simulated oracle, a real run store under
``--out``) on a whole shipped data set with the minimal spec's model (no model, train or
weighting block: alframe's defaults), a seed set of ``--batch`` random items, then ``--batch``
items a round (``unit item``) or as many single cells as those items have (``unit cell``), up to
``--max-items`` items' worth of answered cells. Each round's test metrics are written as one JSON
line to ``<out>/rows.jsonl``; runs already there are skipped, so the study resumes when stopped.

The peer (``--peer``) is small-text 1.4 (Schröder et al., EACL 2023 demo) driven through its own
API as its users drive it: ``PoolBasedActiveLearner`` with a one-vs-rest scikit-learn
``LogisticRegression(C=10, liblinear)`` on TF-IDF word 1..2- and char_wb 2..5-grams,
``LeastConfidence`` (the best peer strategy measured on this catalogue) and ``RandomSampling``,
a random seed set of the same size (drawn from the same seed number), the same batch and the
same test split; F1 at the classifier's own 0.5 cut.

``--ceilings`` trains alframe's model and the logistic regression once on the whole pool:
every curve is judged against its *own* full-data model, as a user would (labels to reach 90 %
and 95 % of it). ``--table`` prints, per data set: labels-to-target (answered cells, and cost
with ``item 1.0 cell 0.1`` — reading an item costs as much as ten answers), paired ratios
against alframe's random item queries and against the peer's least-confidence; the macro-F1 and
macro-AP of each setting against random's at the same budgets; seconds per round.

A benchmark measures; it does not check behaviour.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one thread each: alframe and the peer

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
METRICS = ("micro_f1", "macro_f1", "macro_ap")
#: the cost model of the tables: reading an item costs ten answers (issue 9's example)
ITEM_COST, CELL_COST = 1.0, 0.1
TARGETS = (0.90, 0.95)

DATASETS: dict[str, dict[str, Any]] = {
    "catalogue": {
        "path": ROOT / "specs" / "data" / "debian-packages.jsonl.gz",
        "data": "id package  text package, description  numeric installed_size_kb, n_depends  test fraction 0.2 seed 7",
        "labels": 'labels from "tags" { min_positives 100 }',
        "text": ("package", "description"),
    },
    "foldoc": {
        "path": ROOT / "specs" / "data" / "foldoc.jsonl.gz",
        "data": "id term  text term, definition  test fraction 0.2 seed 7",
        "labels": 'labels from "tags" { min_positives 50 }',
        "text": ("term", "definition"),
    },
}

SPEC = """run "{name}" seed {seed}
data "{path}" {{ {data} }}
{labels}
query {{ seed {seed_size} {seed_policy}  batch {batch}  unit {unit}  policy {policy}  budget {budget} }}
oracle simulated
evaluate {{ metrics [micro_f1, macro_f1, macro_ap] }}
trainer {{ loggers [] }}
{model}"""


def slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text).strip("-").replace("--", "-")


def load(name: str) -> Any:
    """The data set as alframe reads it (pool, test split, label space)."""
    from alframe import plugins as plugin_loader
    from alframe.compile import compile_text
    from alframe.data.load import load_dataset

    d = DATASETS[name]
    text = f'run "probe" seed 1\ndata "{d["path"]}" {{ {d["data"]} }}\n{d["labels"]}\nceiling yes\n'
    plan = compile_text(text, Path("/tmp/probe.al"), plugin_loader.load(autoload=False).registry, root="/")
    return load_dataset(plan.data, plan.labels)


def cost(answers: Any) -> float:
    """The person's work under ``item 1.0 cell 0.1``: the run's label matrix (rows or dense)."""
    known = (answers.stored()[1] if hasattr(answers, "stored") else np.asarray(answers)) >= 0
    return ITEM_COST * float(known.any(axis=1).sum()) + CELL_COST * float(known.sum())


# -- alframe --------------------------------------------------------------------------------


def run_label(args: argparse.Namespace, policy: str) -> str:
    """A run's name in the rows and tables: the policy, then what differs from the defaults."""
    extra = [f"seed {args.seed_policy}"] * (args.seed_policy != "random") + [f"ensemble {args.ensemble}"] * (args.ensemble > 1)
    extra += [f"weighting {{ {args.weighting} }}"] * bool(args.weighting)
    return ", ".join([policy, *extra])


def run_alframe(args: argparse.Namespace, data: str, policy: str, unit: str, seed: int, ds: Any, out: Any) -> None:
    import torch

    from alframe import plugins as plugin_loader
    from alframe.compile import compile_text
    from alframe.engine import Engine, Observer
    from alframe.record import RunFolder

    torch.set_num_threads(1)
    n_labels = ds.n_labels
    batch = args.batch if unit == "item" else args.batch * n_labels
    label = run_label(args, policy)
    name = slug(f"{data}-{label}-{unit}-{seed}")
    text = SPEC.format(name=name, seed=seed, path=DATASETS[data]["path"], data=DATASETS[data]["data"],
                       labels=DATASETS[data]["labels"], seed_size=batch, seed_policy=args.seed_policy, batch=batch, unit=unit,
                       policy=policy, budget=args.max_items * n_labels,
                       model=(f"model {{ ensemble {args.ensemble} }}\n" if args.ensemble > 1 else "")
                       + (f"weighting {{ {args.weighting} }}\n" if args.weighting else ""))
    spec = Path(args.out) / "runs" / f"{name}.al"
    spec.parent.mkdir(parents=True, exist_ok=True)
    spec.write_text(text, encoding="utf-8")
    plugins = plugin_loader.load()
    plan = compile_text(text, spec, plugins.registry, root="/")

    class Rows(Observer):
        def round_finished(self, state: Any, record: Any) -> None:
            if not record.metrics:
                return
            row = {"data": data, "who": "alframe", "policy": label, "unit": unit, "seed": seed,
                   "round": record.round, "cells": record.labels_used, "items": state.items_touched,
                   "cost": cost(state.answers), "round_seconds": sum(record.timings.values()),
                   "query_seconds": record.timings.get("score", 0.0) + record.timings.get("query", 0.0),
                   **{m: float(record.metrics[m]) for m in METRICS if m in record.metrics}}
            arm = record.metrics.get("policy_arm") if isinstance(record.metrics, dict) else None
            if arm is not None:
                row["arm"] = arm
            out.write(json.dumps(row) + "\n")
            out.flush()

    with RunFolder.open(plan, plugins, Path(args.out) / "runs" / name, fresh=True) as rd:
        Engine(plan, plugins, rd, observer=Rows()).run()


# -- the peer -------------------------------------------------------------------------------


class Features:
    """TF-IDF word 1..2- and char_wb 2..5-grams (vocabulary and idf from the pool), built once."""

    def __init__(self, ds: Any, fields: tuple[str, ...]) -> None:
        from scipy import sparse
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = np.asarray(ds.texts, dtype=object)
        pool = np.asarray(ds.pool_idx)
        words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(texts[pool])
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2).fit(texts[pool])
        self.x = sparse.hstack([words.transform(texts), chars.transform(texts)]).tocsr()


def evaluate(probs: np.ndarray, truth: np.ndarray, names: list[str], cut: float = 0.5) -> dict[str, float]:
    import torch

    from alframe.data.metrics import evaluate as alframe_evaluate

    thr = np.full(truth.shape[1], cut, dtype=np.float32)
    got = alframe_evaluate(torch.as_tensor(probs, dtype=torch.float32), truth, thr, names, list(METRICS))
    return {m: float(got[m]) for m in METRICS}


def run_peer(args: argparse.Namespace, data: str, strategy: str, seed: int, ds: Any, feats: Features, out: Any) -> None:
    """small-text's pool-based loop with item queries, as its documentation shows it."""
    import warnings

    from scipy import sparse
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
    from small_text import (
        LeastConfidence,
        PoolBasedActiveLearner,
        RandomSampling,
        SklearnClassifierFactory,
        SklearnDataset,
    )

    warnings.filterwarnings("ignore", category=UserWarning)  # "Label not present in all training examples"
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    pool = np.asarray(ds.pool_idx)
    test = np.asarray(ds.test_idx)
    n_labels = ds.n_labels
    y_pool = sparse.csr_matrix(ds.labels[pool].clip(0, 1).astype(np.int64))
    train = SklearnDataset(feats.x[pool], y_pool)
    test_set = SklearnDataset(feats.x[test], sparse.csr_matrix(ds.labels[test].clip(0, 1).astype(np.int64)))
    factory = SklearnClassifierFactory(LogisticRegression(C=10.0, solver="liblinear"), n_labels,
                                       kwargs={"multi_label": True})
    query = {"least_confidence": LeastConfidence(), "random": RandomSampling()}[strategy]
    learner = PoolBasedActiveLearner(factory, query, train)
    rng = np.random.default_rng(seed)
    first = np.sort(rng.choice(len(pool), args.batch, replace=False))
    t0 = time.perf_counter()
    learner.initialize_data(first, y_pool[first])
    labelled = set(first.tolist())
    rnd = 0
    while True:
        seconds = time.perf_counter() - t0
        got = learner.classifier.predict_proba(test_set)
        probs = np.asarray(got.todense() if sparse.issparse(got) else got)
        n_items = len(labelled)
        row = {"data": data, "who": "small-text", "policy": strategy, "unit": "item", "seed": seed, "round": rnd,
               "cells": n_items * n_labels, "items": n_items, "cost": ITEM_COST * n_items + CELL_COST * n_items * n_labels,
               "round_seconds": seconds, **evaluate(probs, ds.labels[test], ds.label_names)}
        out.write(json.dumps(row) + "\n")
        out.flush()
        if n_items + args.batch > args.max_items:
            return
        t0 = time.perf_counter()
        q = learner.query(num_samples=args.batch)
        learner.update(y_pool[q])
        labelled.update(int(i) for i in q)
        rnd += 1


# -- ceilings ------------------------------------------------------------------------------


def ceilings(args: argparse.Namespace, data: str, ds: Any, feats: Features | None, out: Any) -> None:
    from alframe import plugins as plugin_loader
    from alframe.compile import compile_text
    from alframe.experiments.ceiling import ceiling

    d = DATASETS[data]
    plugins = plugin_loader.load()
    text = f'run "ceiling-{data}" seed 1\ndata "{d["path"]}" {{ {d["data"]} }}\n{d["labels"]}\nceiling yes\n' \
           "evaluate { metrics [micro_f1, macro_f1, macro_ap] }\ntrainer { loggers [] }\n"
    folder = Path(args.out) / "runs" / f"ceiling-{data}"
    folder.mkdir(parents=True, exist_ok=True)
    if "alframe" in args.ceilings:
        t0 = time.perf_counter()
        m = ceiling(compile_text(text, folder / "spec.al", plugins.registry, root="/"), plugins, folder)
        out.write(json.dumps({"data": data, "ceiling": "alframe", **{k: float(m[k]) for k in METRICS},
                              "seconds": time.perf_counter() - t0}) + "\n")
    if feats is not None and "small-text" in args.ceilings:
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier

        pool, test = np.asarray(ds.pool_idx), np.asarray(ds.test_idx)
        t0 = time.perf_counter()
        model = OneVsRestClassifier(LogisticRegression(C=10.0, solver="liblinear"))
        model.fit(feats.x[pool], ds.labels[pool].clip(0, 1).astype(np.int64))  # int8 targets: wrong fits
        probs = model.predict_proba(feats.x[test])
        out.write(json.dumps({"data": data, "ceiling": "small-text", **evaluate(probs, ds.labels[test], ds.label_names),
                              "seconds": time.perf_counter() - t0}) + "\n")
    out.flush()


# -- the tables ----------------------------------------------------------------------------


def read_rows(out: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows, ceil = [], []
    for path in sorted(out.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            (ceil if "ceiling" in r else rows).append(r)
    return rows, ceil


def key(r: dict[str, Any]) -> tuple[str, str, str, str]:
    return (r["data"], r["who"], r["policy"], r["unit"])


def setting(k: tuple[str, str, str, str]) -> str:
    _, who, policy, unit = k
    return f"{policy} · {unit}" if who == "alframe" else f"small-text {policy} · {unit}"


def to_target(curve: list[dict[str, Any]], target: float, by: str) -> float | None:
    """``by`` (cells or cost) at the first round whose micro-F1 reaches ``target``."""
    for r in sorted(curve, key=lambda r: r["round"]):
        if r["micro_f1"] >= target:
            return float(r[by])
    return None


def at_budget(curve: list[dict[str, Any]], cells: float) -> dict[str, Any] | None:
    """The last round with at most ``cells`` answered cells; None when the run stopped (or has
    not yet got) that far."""
    if not curve or max(r["cells"] for r in curve) < cells - 1e-9:
        return None
    below = [r for r in curve if r["cells"] <= cells + 1e-9]
    return max(below, key=lambda r: r["cells"]) if below else None


def fmt(x: float | None, digits: int = 0) -> str:
    return "not reached" if x is None else f"{x:,.{digits}f}"


def ratio_cell(vals: list[float]) -> str:
    return "—" if not vals else f"{np.mean(vals):.2f}×" + (f" ± {np.std(vals):.2f}" if len(vals) > 1 else "")


def tables(out: Path) -> str:
    rows, ceil = read_rows(out)
    runs: dict[tuple[str, str, str, str], dict[int, list[dict[str, Any]]]] = {}
    for r in rows:
        runs.setdefault(key(r), {}).setdefault(r["seed"], []).append(r)
    lines: list[str] = []
    for data in sorted({k[0] for k in runs}):
        ce = {c["ceiling"]: c for c in ceil if c["data"] == data}
        lines.append(f"\n## {data}\n")
        for who, c in ce.items():
            lines.append(f"- ceiling {who}: micro-F1 {c['micro_f1']:.3f}, macro-F1 {c['macro_f1']:.3f}, "
                         f"macro-AP {c['macro_ap']:.3f} ({c['seconds']:.0f} s)")
        ref = (data, "alframe", "random", "item")
        peer = (data, "small-text", "least_confidence", "item")
        for frac in TARGETS:
            lines += ["", f"### Labels to {frac:.0%} of the setting's own full-data micro-F1", "",
                      "| setting | cells (mean) | × random | × peer | cost (mean) | × random | × peer | reached |",
                      "|---|---:|---:|---:|---:|---:|---:|---:|"]
            for k in sorted(k for k in runs if k[0] == data):
                c = ce.get("alframe" if k[1] == "alframe" else "small-text")
                if c is None:
                    continue
                target = frac * c["micro_f1"]
                cells = {s: to_target(v, target, "cells") for s, v in runs[k].items()}
                costs = {s: to_target(v, target, "cost") for s, v in runs[k].items()}
                row = [setting(k)]
                for by, mine in (("cells", cells), ("cost", costs)):
                    got = [v for v in mine.values() if v is not None]
                    row.append(fmt(float(np.mean(got))) if got else "not reached")
                    for other in (ref, peer):
                        oc = ce.get("alframe" if other[1] == "alframe" else "small-text")
                        if other not in runs or oc is None:
                            row.append("—")
                            continue
                        theirs = {s: to_target(v, frac * oc["micro_f1"], by) for s, v in runs[other].items()}
                        pairs = [theirs[s] / mine[s] for s in mine if mine[s] and theirs.get(s)]
                        if not pairs:  # the reference never got there: at least what it spent, over ours
                            spent = {s: max(r[by] for r in v) for s, v in runs[other].items() if theirs[s] is None}
                            bounds = [spent[s] / mine[s] for s in mine if mine[s] and s in spent]
                            row.append(f"> {min(bounds):.2f}×" if bounds else "—")
                            continue
                        row.append(ratio_cell(pairs))
                row.append(f"{sum(v is not None for v in cells.values())}/{len(cells)}")
                lines.append("| " + " | ".join(row) + " |")
        budgets = sorted({r["cells"] for r in runs.get(ref, {}).get(min(runs.get(ref, {1: []})), [])})
        marks = [b for b in budgets if b in {budgets[min(len(budgets) - 1, i)] for i in (0, 4, 9, 14, 19, 24, 29)}]
        if marks:
            lines += ["", "### Macro-F1 and macro-AP against random item queries at the same answered cells "
                      "(mean over seeds; ratio to random's)", "",
                      "| setting | " + " | ".join(f"{b / runs_labels(data, runs):,.0f} items' worth" for b in marks) + " |",
                      "|---|" + "---:|" * len(marks)]
            for k in sorted(k for k in runs if k[0] == data):
                cells_txt = []
                for b in marks:
                    mine = [at_budget(v, b) for v in runs[k].values()]
                    base = [at_budget(v, b) for v in runs[ref].values()]
                    mine_ok = [m for m in mine if m]
                    base_ok = [m for m in base if m]
                    if not mine_ok or not base_ok:
                        cells_txt.append("—")
                        continue
                    f, a = np.mean([m["macro_f1"] for m in mine_ok]), np.mean([m["macro_ap"] for m in mine_ok])
                    bf, ba = np.mean([m["macro_f1"] for m in base_ok]), np.mean([m["macro_ap"] for m in base_ok])
                    cells_txt.append(f"{f:.3f} / {a:.3f} ({f / bf:.2f}× / {a / ba:.2f}×)")
                lines.append(f"| {setting(k)} | " + " | ".join(cells_txt) + " |")
        lines += ["", "### Seconds per round (mean over rounds and seeds; query = score + choose)", "",
                  "| setting | round s | query s | runs | final micro-F1 | final macro-F1 | final macro-AP |",
                  "|---|---:|---:|---:|---:|---:|---:|"]
        for k in sorted(k for k in runs if k[0] == data):
            allr = [r for v in runs[k].values() for r in v if r["round"] > 0]
            last = [max(v, key=lambda r: r["round"]) for v in runs[k].values()]
            q = [r.get("query_seconds") for r in allr if r.get("query_seconds") is not None]
            lines.append(f"| {setting(k)} | {np.mean([r['round_seconds'] for r in allr]) if allr else float('nan'):.1f} | "
                         f"{np.mean(q) if q else float('nan'):.2f} | {len(runs[k])} | "
                         + " | ".join(f"{np.mean([r[m] for r in last]):.3f}" for m in METRICS) + " |")
    return "\n".join(lines)


def runs_labels(data: str, runs: dict[tuple[str, str, str, str], dict[int, list[dict[str, Any]]]]) -> int:
    """Cells per item of a data set (from a random item run: cells / items)."""
    r = next(iter(runs[(data, "alframe", "random", "item")].values()))[0]
    return max(1, round(r["cells"] / max(1, r["items"])))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", default="catalogue", choices=sorted(DATASETS))
    ap.add_argument("--policies", default="random;uncertainty", help="alframe policies, ';'-separated spec calls")
    ap.add_argument("--units", default="item")
    ap.add_argument("--seeds", default="1")
    ap.add_argument("--batch", type=int, default=200, help="items a round (and seed items)")
    ap.add_argument("--seed-policy", default="random", help="the seed set's policy (random, diverse)")
    ap.add_argument("--ensemble", type=int, default=1, help="committee members (model { ensemble N }) for every alframe run")
    ap.add_argument("--weighting", default="", help="the inside of a weighting block for every alframe run (e.g. 'importance no')")
    ap.add_argument("--max-items", type=int, default=6000, help="items' worth of answered cells per run")
    ap.add_argument("--peer", action="store_true", help="also run small-text least-confidence and random")
    ap.add_argument("--peer-only", action="store_true")
    ap.add_argument("--ceilings", default="", help="train on the whole pool: alframe, small-text or both (comma)")
    ap.add_argument("--out", default="/tmp/alframe-study")
    ap.add_argument("--table", metavar="OUT", help="print the tables from the rows under OUT and stop")
    args = ap.parse_args()
    if args.table:
        print(tables(Path(args.table)))
        return 0
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "machine.json").write_text(json.dumps({"machine": platform.platform(), "python": sys.version,
                                                      "argv": sys.argv}, indent=1), encoding="utf-8")
    ds = load(args.data)
    print(f"{args.data}: {ds.n_items:,} items, {ds.n_labels} labels, pool {len(ds.pool_idx):,}, "
          f"test {len(ds.test_idx):,}", file=sys.stderr)
    done = {(r["who"], r["policy"], r["unit"], r["seed"]) for r in read_rows(out_dir)[0] if r["data"] == args.data}
    feats = Features(ds, DATASETS[args.data]["text"]) if (args.peer or args.peer_only or args.ceilings) else None
    out_path = out_dir / f"rows-{os.getpid()}.jsonl"
    with out_path.open("a", encoding="utf-8") as out:
        if args.ceilings:
            ceilings(args, args.data, ds, feats, out)
        for seed in [int(s) for s in args.seeds.split(",") if s]:
            if not args.peer_only:
                for unit in args.units.split(","):
                    for policy in [p.strip() for p in args.policies.split(";") if p.strip()]:
                        if ("alframe", run_label(args, policy), unit, seed) not in done:
                            run_alframe(args, args.data, policy, unit, seed, ds, out)
            if (args.peer or args.peer_only) and feats is not None:
                for strategy in ("least_confidence", "random"):
                    if ("small-text", strategy, "item", seed) not in done:
                        run_peer(args, args.data, strategy, seed, ds, feats, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
