"""Learning curves on the whole shipped catalogue, against a logistic regression in the same run.

    pip install -e '.[bench]'
    python benchmarks/learning_curves.py [--repeats 3] [--max-items 6000] [--units item,cell]
                                         [--models defaults,quickstart] [--ceilings] [--out DIR]
                                         [--seeds 2,3] [--policy random|iwal]

Every alframe run is a real run of the engine (random sampling, simulated oracle, a real run
store under ``--out``) on all 30k packages of ``specs/data/debian-packages.jsonl.gz``, the tags
with at least 100 positives (131), a 20 % test split: a seed set of 200 packages, then 200
packages a round (``unit item``) or the same number of cells, 200 × 131 (``unit cell``).

The baseline is one-vs-rest logistic regression (scikit-learn, liblinear, C=10) on TF-IDF word
1..2-grams and char_wb 2..5-grams (sublinear tf, vocabulary and idf from the pool), trained at
each checkpoint on exactly the cells the run has answered by then (per label, the items whose
cell for that label is known), one thread, timed in the same process. Figures are printed per
checkpoint as alframe's value, the baseline's, and their ratio; the mean over repeats.

``--policy iwal`` queries by IWAL over the committee's disagreement instead of at random (with
``--models committee``): importance weights must not wreck the learner.

Models: ``defaults`` is a minimal spec (no model/train/weighting block: what alframe chooses);
``fresh`` is the defaults with ``warm_start no``; ``committee`` the defaults as a committee of
three bootstrap members (the committee's mean probability is what is scored);
``quickstart`` is the model, training and weighting of ``specs/quickstart.al`` as shipped;
``steps`` trains the wide path by gradient steps beside the deep path (``wide_c=0``, 10
epochs, a floor of 200 steps, the cut fixed at 0.5: the defaults before the wide path was
solved); ``before`` is the quickstart's model as it was before TF-IDF bags, the wide path and the
per-round schedule (the configuration whose curve fell). ``--ceilings``
also trains each model and the baseline once on the whole pool. Round time is the engine's own
(train + score + query + the rest of the round); baseline time is its fit on the same cells.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_NUM_THREADS", "1")  # one thread each: alframe and the baseline

import numpy as np  # noqa: E402
import torch  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "specs" / "data" / "debian-packages.jsonl.gz"
METRICS = ("micro_f1", "macro_ap")

HEAD = """run "{name}" seed {seed}
data "{data}" {{
  id package  text package, description  numeric installed_size_kb, n_depends
  test fraction 0.2 seed 7
}}
labels from "tags" {{ min_positives 100 }}
"""
MODELS = {
    "defaults": "",
    # the defaults with every parameter re-initialised each round (no warm start)
    "fresh": "train { warm_start no }\n",
    # the defaults as a committee of three bootstrap members (what disagreement and IWAL need)
    "committee": "model { ensemble 3  diversity bootstrap }\n",
    # the wide path trained by gradient steps with the deep path (wide_c=0), the recipe that
    # suits it (more epochs, a step floor) and the fixed cut: the defaults before the solve
    "steps": """model { encoder hashed_bag(wide_c=0) }
train { epochs 10  min_steps 200 }
weighting { thresholds fixed 0.5 }
""",
    # the quickstart's model, training and weighting before the learner was reworked
    "before": """model { encoder hashed_bag(dim=64, buckets=2^18, ngrams=1..2, char_ngrams=0..0, weights=mean, wide=0, lr_scale=300)  trunk mlp(hidden=256)  heads joint }
train { epochs 5  batch 64  lr 0.003  schedule constant }
weighting { imbalance pos_weight(mode=sqrt)  thresholds tuned }
""",
}


def shipped_blocks(path: Path = ROOT / "specs" / "quickstart.al") -> str:
    """The model, train and weighting blocks of a shipped spec, as written there."""
    import re

    text = re.sub(r"#[^\n]*", "", path.read_text(encoding="utf-8"))
    return "".join(m.group(0) + "\n" for m in re.finditer(r"^(model|train|weighting)\s*\{[^}]*\}", text, re.M))


MODELS["quickstart"] = shipped_blocks()
QUERY = """query {{ seed {batch} random  batch {batch}  unit {unit}  policy {policy}  budget {budget} }}
oracle simulated
evaluate {{ metrics [micro_f1, macro_ap] }}
trainer {{ loggers [] }}
"""


#: ``--policy`` choices: the learner is judged with random sampling; ``iwal`` (over the
#: committee's disagreement) checks that importance weights do not wreck it
POLICIES = {"random": "random", "iwal": "iwal(base=disagreement)"}


def run_name(model: str, unit: str, seed: int, policy: str = "random") -> str:
    return f"{model}-{unit}-{seed}" if policy == "random" else f"{model}-{policy}-{unit}-{seed}"


def spec_text(model: str, unit: str, seed: int, max_items: int, n_labels: int, policy: str = "random") -> str:
    batch = 200 if unit == "item" else 200 * n_labels
    head = HEAD.format(name=run_name(model, unit, seed, policy), seed=seed, data=DATA)
    return head + MODELS[model] + QUERY.format(batch=batch, unit=unit, budget=max_items * n_labels,
                                               policy=POLICIES[policy])


# -- the baseline ---------------------------------------------------------------------------


class Baseline:
    """OvR logistic regression on TF-IDF word and char n-grams, features built once."""

    def __init__(self, texts: list[str], pool: np.ndarray) -> None:
        from scipy import sparse
        from sklearn.feature_extraction.text import TfidfVectorizer

        arr = np.asarray(texts, dtype=object)
        words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True).fit(arr[pool])
        chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2).fit(arr[pool])
        self.x = sparse.hstack([words.transform(arr), chars.transform(arr)]).tocsr()

    def fit_predict(self, answers: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, float]:
        """Per label, fit on the items whose cell is known; probabilities of the test items."""
        from sklearn.linear_model import LogisticRegression

        t0 = time.perf_counter()
        probs = np.zeros((len(test), answers.shape[1]), dtype=np.float32)
        xt = self.x[test]
        for j in range(answers.shape[1]):
            rows = np.flatnonzero(answers[:, j] >= 0)
            y = answers[rows, j]
            if len(rows) == 0 or y.min() == y.max():
                probs[:, j] = float(y[0]) if len(rows) else 0.0
                continue
            model = LogisticRegression(C=10.0, solver="liblinear").fit(self.x[rows], y)
            probs[:, j] = model.predict_proba(xt)[:, 1]
        return probs, time.perf_counter() - t0


def scores(probs: np.ndarray, truth: np.ndarray, names: list[str], thresholds: Any = 0.5) -> dict[str, float]:
    from alframe.data.metrics import evaluate

    thr = np.full(truth.shape[1], thresholds, dtype=np.float32) if np.isscalar(thresholds) else thresholds
    out = evaluate(torch.as_tensor(probs), truth, thr, names, list(METRICS))
    return {m: float(out[m]) for m in METRICS}


# -- one run --------------------------------------------------------------------------------


def run_one(model: str, unit: str, seed: int, args: argparse.Namespace, base: Baseline | None, ds: Any) -> list[dict[str, Any]]:
    from alframe import plugins as plugin_loader
    from alframe.compile import compile_text
    from alframe.engine import Engine, Observer
    from alframe.record import RunFolder

    plugins = plugin_loader.load(autoload=False)
    spec = Path(args.out) / f"{run_name(model, unit, seed, args.policy)}.al"
    spec.parent.mkdir(parents=True, exist_ok=True)
    text = spec_text(model, unit, seed, args.max_items, ds.n_labels, args.policy)
    spec.write_text(text, encoding="utf-8")
    plan = compile_text(text, spec, plugins.registry, root="/")
    checkpoints = sorted({200, *range(args.every, args.max_items + 1, args.every)})
    rows: list[dict[str, Any]] = []
    test = np.asarray(ds.test_idx)
    truth = ds.labels[test]
    n_labels = ds.n_labels

    class Checkpoints(Observer):
        def round_finished(self, state: Any, record: Any) -> None:
            items_eq = record.labels_used / n_labels  # labels in items' worth
            due = [c for c in checkpoints if c <= items_eq + 1e-9 and c not in {r["items"] for r in rows}]
            if not due or not record.metrics:
                return
            row = {"model": model if args.policy == "random" else f"{model} {args.policy}", "unit": unit, "seed": seed, "items": due[-1], "round": record.round,
                   "labels": record.labels_used, "round_seconds": sum(record.timings.values()),
                   "train_seconds": record.timings.get("train", 0.0),
                   **{m: float(record.metrics[m]) for m in METRICS}}
            if base is not None:
                probs, fit_s = base.fit_predict(state.answers.to_dense(), test)
                row.update({f"lr_{m}": v for m, v in scores(probs, truth, ds.label_names).items()}, lr_seconds=fit_s)
            rows.append(row)
            print(json.dumps(row), flush=True)

    with RunFolder.open(plan, plugins, Path(args.out) / spec.stem, fresh=True) as rd:
        Engine(plan, plugins, rd, observer=Checkpoints()).run()
    return rows


def ceilings(args: argparse.Namespace, base: Baseline | None, ds: Any) -> list[dict[str, Any]]:
    from alframe import plugins as plugin_loader
    from alframe.compile import compile_text
    from alframe.experiments.ceiling import ceiling

    out = []
    test = np.asarray(ds.test_idx)
    for model in args.models:
        plugins = plugin_loader.load(autoload=False)
        text = HEAD.format(name=f"ceiling-{model}", seed=1, data=DATA) + MODELS[model] + "ceiling yes\nevaluate { metrics [micro_f1, macro_ap] }\n"
        plan = compile_text(text, Path(args.out) / f"ceiling-{model}.al", plugins.registry, root="/")
        folder = Path(args.out) / f"ceiling-{model}"
        folder.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        m = ceiling(plan, plugins, folder)
        record = json.loads((folder / "ceiling.json").read_text())
        row = {"ceiling": model, **{k: float(m[k]) for k in METRICS}, "seconds": time.perf_counter() - t0,
               "items": record["items"]}
        out.append(row)
        print(json.dumps(row), flush=True)
    if base is not None:
        answers = np.full(ds.labels.shape, -1, dtype=np.int8)
        pool = np.asarray(ds.pool_idx)
        answers[pool] = ds.labels[pool]
        probs, fit_s = base.fit_predict(answers, test)
        row = {"ceiling": "logistic regression", **scores(probs, ds.labels[test], ds.label_names), "seconds": fit_s,
               "items": len(pool)}
        out.append(row)
        print(json.dumps(row), flush=True)
    return out


def summarise(rows: list[dict[str, Any]], ceil: list[dict[str, Any]]) -> str:
    lines = ["| model | unit | items | micro-F1 (LR) | ratio | macro-AP (LR) | ratio | round s (LR fit s) | ratio |",
             "|---|---|---:|---|---:|---|---:|---|---:|"]
    keys = sorted({(r["model"], r["unit"], r["items"]) for r in rows}, key=lambda k: (k[0], k[1], k[2]))
    for model, unit, items in keys:
        rs = [r for r in rows if (r["model"], r["unit"], r["items"]) == (model, unit, items)]

        def mean(key: str, rs: list[dict[str, Any]] = rs) -> float:
            return float(np.mean([r[key] for r in rs if key in r])) if any(key in r for r in rs) else float("nan")

        cells = []
        for m in METRICS:
            a, b = mean(m), mean(f"lr_{m}")
            cells += [f"{a:.3f} ({b:.3f})", f"{a / b:.2f}×" if b > 0 else "—"]
        t, tb = mean("round_seconds"), mean("lr_seconds")
        cells += [f"{t:.1f} ({tb:.1f})", f"{t / tb:.2f}×" if tb > 0 else "—"]
        lines.append(f"| {model} | {unit} | {items:,} | " + " | ".join(cells) + f" |  n={len(rs)}")
    for c in ceil:
        lines.append(f"ceiling {c['ceiling']}: micro-F1 {c['micro_f1']:.3f}  macro-AP {c['macro_ap']:.3f}  "
                     f"({c['items']:,} items, {c['seconds']:.0f} s)")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seeds", default="", help="run these seeds (e.g. 2,3) instead of 1..repeats")
    ap.add_argument("--policy", choices=sorted(POLICIES), default="random")
    ap.add_argument("--max-items", type=int, default=6000)
    ap.add_argument("--every", type=int, default=1000, help="checkpoint every N items' worth of labels")
    ap.add_argument("--units", default="item,cell")
    ap.add_argument("--models", default="defaults,quickstart,before")
    ap.add_argument("--ceilings", action="store_true")
    ap.add_argument("--no-baseline", action="store_true")
    ap.add_argument("--out", default="/tmp/alframe-learning-curves")
    args = ap.parse_args()
    args.models = [m for m in args.models.split(",") if m]
    torch.set_num_threads(1)

    from alframe import plugins as plugin_loader
    from alframe.compile import compile_text
    from alframe.data.load import load_dataset

    plugins = plugin_loader.load(autoload=False)
    probe = compile_text(HEAD.format(name="probe", seed=1, data=DATA) + "ceiling yes\n", Path(args.out) / "probe.al",
                         plugins.registry, root="/")
    ds = load_dataset(probe.data, probe.labels)
    print(f"catalogue: {ds.n_items:,} items, {ds.n_labels} labels, pool {len(ds.pool_idx):,}, test {len(ds.test_idx):,}",
          file=sys.stderr)
    base = None if args.no_baseline else Baseline(ds.texts, np.asarray(ds.pool_idx))
    rows: list[dict[str, Any]] = []
    seeds = [int(x) for x in args.seeds.split(",") if x] or list(range(1, args.repeats + 1))
    for seed in seeds:
        for model in args.models:
            for unit in args.units.split(","):
                rows += run_one(model, unit, seed, args, base, ds)
    ceil = ceilings(args, base, ds) if args.ceilings else []
    print(summarise(rows, ceil))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
