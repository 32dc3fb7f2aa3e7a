"""The ceiling: the same model trained once on the whole labelled pool.

It answers "how good can this model get on this data if every pool label were known?", so that
targets can be written as a fraction of it (``target micro_f1 0.95 of ceiling``) and a report
can say how close each setting came.

The ceiling uses the spec's own plan (the values written outside any ``vary`` line) and the
spec's seed: one reference for the whole grid, so every setting's "95 % of ceiling" is the
same number. It is stored in ``ceiling.json`` in the experiment folder with a key of what it
depends on (data, labels, model, training, weighting, trainer, metrics, seed) and the data's
fingerprint; a re-run reuses it when both match and trains it again otherwise.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from alframe.errors import RunError
from alframe.hookcall import on_behalf_of
from alframe.models.thresholds import add_counts, fresh_counts
from alframe.plan import Plan
from alframe.plugins import Plugins
from alframe.protocols import ModelBundle
from alframe.record.experiment import ceiling_work_dir, read_ceiling, write_ceiling
from alframe.seeds import derive_seed
from alframe.stages import Stages

_PARTS = ("data", "labels", "model", "train", "weighting", "trainer", "evaluate")


def ceiling_key(plan: Plan) -> str:
    """A hash of the plan parts the ceiling depends on (not the query, oracle or name)."""
    d = plan.to_dict()
    blob = json.dumps({k: d[k] for k in _PARTS} | {"seed": plan.seed}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def needs_ceiling(plan: Plan) -> bool:
    """``ceiling yes``, or a stop rule written as a fraction of the ceiling."""
    return plan.ceiling or any(rule.of_ceiling for rule in plan.query.stop)


def load_ceiling(folder: Path, plan: Plan) -> dict[str, Any] | None:
    """The stored ceiling if it was trained for this plan (data not checked: see ``ceiling``)."""
    data = read_ceiling(folder)
    if data is None or data.get("key") != ceiling_key(plan):
        return None
    return data


def ceiling(plan: Plan, plugins: Plugins, folder: Path, progress: Any = None) -> dict[str, Any]:
    """The ceiling's metrics: from ``ceiling.json`` when still valid, else trained now.

    :param progress: an object with ``message(text)`` (the grid view), or None.
    """
    t0 = time.perf_counter()
    stages = Stages(plugins)
    dataset = stages.load_data(plan)
    stored = load_ceiling(folder, plan)
    if stored is not None and stored.get("data_fingerprint") == dataset.fingerprint:
        return dict(stored["metrics"])
    pool = np.asarray(dataset.pool_idx, dtype=np.int64)
    if pool.size == 0:
        raise RunError("cannot train the ceiling: the pool is empty", code="X110")
    if progress is not None:
        progress.message(f"training the ceiling on the pool ({pool.size:,} items) …")

    def build() -> tuple[ModelBundle, str]:
        return stages.build_model(plan, dataset)

    bundle, who = build()
    fresh = _fresh(plan, stages, build, dataset, pool, folder) if plan.weighting.thresholds == "progressive" else None
    fit = _fit(plan, stages, bundle, who, dataset, pool, folder, fresh)
    metrics = stages.test_metrics(plan, dataset, bundle, who)
    n_train = int(fit.get("n_train", pool.size))
    n_held = int(fit.get("n_holdout", 0))
    record = {
        "key": ceiling_key(plan),
        "data_fingerprint": dataset.fingerprint,
        "metrics": metrics,
        # what the model was fitted on: a share of the pool is held out when the plan tunes
        # thresholds or stops early, and the pool's labels then count only the rest
        "labels": int(fit.get("n_train_cells", (dataset.labels[pool] >= 0).sum())),
        "items": n_train,
        "held_out_items": n_held,
        "pool_items": int(pool.size),
        # the one cut of the progressive and expected rules, and whether fresh answers chose it
        "threshold": fit.get("threshold"),
        "threshold_fresh": fit.get("threshold_fresh"),
        "train_seconds": float(fit["fit_seconds"]),
        "seconds": time.perf_counter() - t0,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    write_ceiling(folder, record)
    return metrics


def _fresh(plan: Plan, stages: Stages, build: Callable[[], tuple[ModelBundle, str]], dataset: Any, pool: np.ndarray,
           folder: Path) -> dict[str, Any] | None:
    """With ``thresholds progressive`` the ceiling is cut the way a run is, on answers a model had
    not seen: the pool is split in two random halves, a model (built apart, so the ceiling's
    own fit starts cold) is fitted on each and predicts the other, and those probabilities with
    the pool's labels are the fresh answers — every pool cell once. Two half fits cost about
    one whole fit, so the ceiling costs about two."""
    if pool.size < 2:
        return None
    rng = np.random.default_rng(derive_seed(plan.seed, 0, "seed"))
    half = rng.permutation(pool.size) < pool.size // 2
    counts = []
    for fit_on in (half, ~half):
        probe, who = build()
        stages.fit(probe, _request(plan, dataset, pool[fit_on], folder), who)
        cells = np.asarray(dataset.labels[pool[~fit_on]], dtype=np.int8)
        with on_behalf_of(who, "the model"):
            probs = probe.predict_proba(pool[~fit_on]).mean(dim=2).numpy()
        known = cells >= 0
        counts.append(fresh_counts(probs[known], cells[known], np.ones(int(known.sum()))))
        del probe
    return add_counts(counts)


def _fit(plan: Plan, stages: Stages, bundle: ModelBundle, who: str, dataset: Any, pool: np.ndarray, folder: Path,
         fresh: Any) -> dict[str, Any]:
    """Every pool item with its true labels, weight 1 where known (unknown cells weigh 0);
    the bundle's fit record (checked as a round's is) with ``fit_seconds``."""
    t0 = time.perf_counter()
    out = stages.fit(bundle, _request(plan, dataset, pool, folder, fresh), who)
    out["fit_seconds"] = time.perf_counter() - t0
    return out


def _request(plan: Plan, dataset: Any, items: np.ndarray, folder: Path, fresh: Any = None) -> Any:
    from alframe.models.bundle import FitRequest

    targets = np.asarray(dataset.labels[items], dtype=np.int8)
    return FitRequest(
        train_idx=items,
        targets=targets,
        weights=(targets >= 0).astype(np.float32),
        seed=derive_seed(plan.seed, 0, "train"),
        round=0,
        callbacks=[],
        logger=False,
        root_dir=str(ceiling_work_dir(folder)),
        fresh=fresh,
    )
