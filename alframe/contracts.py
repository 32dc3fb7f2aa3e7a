"""What each hook must return: one declaration per hook, checked before anything is used.

:data:`CONTRACTS` maps every hook of :mod:`alframe.hookspecs` to its :class:`Contract`: the
promise in words (shown in the hook reference of ``docs/plugins.md``) and the check that keeps
it. :mod:`alframe.hookcall` applies the check to the result of every hook call, so a plugin's
nonsense (a list for metrics, NaN weights, a number for a stop reason, a duplicate cell) is
stopped where it enters: the error names the plugin that answered and the hook, and nothing
of the round is committed.

A check returns the result as the engine uses it (an answers array as int8, metrics with
numpy scalars made plain numbers) or raises :class:`Broken` saying what is wrong.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from alframe.rows import ItemRows


class Broken(Exception):
    """A result that breaks its hook's contract; the message says how ("returned …")."""


@dataclass(frozen=True)
class Contract:
    returns: str
    check: Callable[[Any, Mapping[str, Any]], Any]


def checked(hook: str, result: Any, kwargs: Mapping[str, Any]) -> Any:
    """``result`` as the engine uses it; :class:`Broken` when it breaks ``hook``'s contract.
    ``None`` ("not mine") is left to the caller."""
    if result is None:
        return None
    return CONTRACTS[hook].check(result, kwargs)


# -- the checks -------------------------------------------------------------------------------


def _what(value: Any) -> str:
    text = repr(value)
    return f"{type(value).__name__} {text[:60] + '…' if len(text) > 60 else text}"


def _callbacks(result: Any, kwargs: Mapping[str, Any]) -> list[Any]:
    import pytorch_lightning as pl

    if not isinstance(result, (list, tuple)) or not all(isinstance(c, pl.Callback) for c in result):
        raise Broken(f"returned {_what(result)}, expected a list of pytorch_lightning.Callback")
    return list(result)


def _ignored(result: Any, kwargs: Mapping[str, Any]) -> None:
    return None


def _dataset(result: Any, kwargs: Mapping[str, Any]) -> Any:
    from alframe.data.dataset import Dataset

    if not isinstance(result, Dataset):
        raise Broken(f"returned {_what(result)}, expected an alframe.data.dataset.Dataset")
    return result


#: what the engine calls on a model bundle (alframe/models/bundle.py)
BUNDLE_METHODS = ("fit", "predict_proba", "save_checkpoint", "load_checkpoint")


def _bundle(result: Any, kwargs: Mapping[str, Any]) -> Any:
    missing = [m for m in BUNDLE_METHODS if not callable(getattr(result, m, None))]
    if missing:
        raise Broken(f"returned {_what(result)} without {', '.join(m + '()' for m in missing)}")
    if not hasattr(result, "thresholds"):
        raise Broken(f"returned {_what(result)} without thresholds")
    return result


def _queries(q: Any, kwargs: Mapping[str, Any]) -> Any:
    from alframe.policies.base import Queries

    state = kwargs["state"]
    ds = state.dataset
    if not isinstance(q, Queries):
        raise Broken(f"returned {_what(q)}, expected Queries")
    items, labels = np.asarray(q.items), np.asarray(q.labels)
    prob, score = np.asarray(q.prob), np.asarray(q.score)
    if not (items.shape == labels.shape == prob.shape == score.shape) or items.ndim != 1:
        raise Broken(
            f"returned arrays of different shapes: items {items.shape}, labels {labels.shape}, "
            f"prob {prob.shape}, score {score.shape}"
        )
    if items.size == 0:
        return q
    if not (_integers(items) and _integers(labels)):
        raise Broken(f"returned item or label indices that are not integers ({items.dtype}, {labels.dtype})")
    if not (_reals(prob) and _reals(score)):
        raise Broken(f"returned probabilities or scores that are not numbers ({prob.dtype}, {score.dtype})")
    items, labels = items.astype(np.int64), labels.astype(np.int64)
    prob, score = prob.astype(np.float64), score.astype(np.float64)
    if not np.isfinite(prob).all() or (prob <= 0).any() or (prob > 1).any():
        raise Broken("returned query probabilities outside (0, 1]")
    if np.isnan(score).any():
        raise Broken("returned a NaN score")
    pool = np.zeros(ds.n_items, dtype=bool)
    pool[ds.pool_idx] = True
    if (items < 0).any() or (items >= ds.n_items).any() or not pool[items].all():
        raise Broken("returned an item that is not in the pool")
    if (labels < -1).any() or (labels >= ds.n_labels).any():
        raise Broken("returned a label index out of range")
    if state.plan.query.unit == "item" and (labels >= 0).any():
        raise Broken("returned a cell (a label index) where the query unit is item (label -1)")
    if state.plan.query.unit == "cell" and (labels < 0).any():
        raise Broken("returned a whole item (label -1) where the query unit is cell")
    keys = items * (ds.n_labels + 1) + (labels + 1)
    if np.unique(keys).size != keys.size:
        raise Broken("returned the same cell twice")
    cells = labels >= 0
    if (state.answers[items[cells], labels[cells]] >= 0).any():
        raise Broken("returned a cell that is already answered")
    whole = ~cells
    if whole.any() and (state.answers[items[whole]] >= 0).all(axis=1).any():
        raise Broken("returned an item whose every cell is already answered")
    return Queries(items, labels, prob, score)


def _integers(a: np.ndarray) -> bool:
    return bool(np.issubdtype(a.dtype, np.integer))


def _reals(a: np.ndarray) -> bool:
    return bool(np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating))


def _pool_scores(scores: Any, kwargs: Mapping[str, Any]) -> Any:
    import torch

    n_labels = kwargs["state"].dataset.n_labels
    probs, items = getattr(scores, "probs", None), getattr(scores, "items", None)
    if not isinstance(probs, torch.Tensor) or items is None:
        raise Broken(f"returned {_what(scores)}, expected PoolScores with a probs tensor")
    streamed = getattr(scores, "streamed", None) is not None  # reduced chunk by chunk: no probabilities kept
    problem = probs_problem(probs, len(items), n_labels, members=0 if streamed else None)
    if problem is not None:
        raise Broken(problem)
    if not _in_unit_range(probs):
        raise Broken("returned NaN, infinite or out-of-range probabilities")
    return scores


def probs_problem(probs: Any, rows: int, n_labels: int, members: int | None = None) -> str | None:
    """What is wrong with a probabilities tensor's shape or type, or None: ``[rows, n_labels,
    K]`` floating point, with ``K ≥ 1`` (or exactly ``members`` when given: 0 for a streamed
    pool, which keeps none). Shared by the output check and the streamed scorer's per-chunk one."""
    import torch

    if not isinstance(probs, torch.Tensor):
        return f"returned {_what(probs)}, expected a probabilities tensor"
    k_ok = probs.ndim == 3 and (probs.shape[2] >= 1 if members is None else probs.shape[2] == members)
    if probs.ndim != 3 or tuple(probs.shape[:2]) != (rows, n_labels) or not k_ok:
        return (f"returned scores of shape {tuple(probs.shape)}; expected [n_candidates, {n_labels}, members]"
                + (" with no members when streamed" if members == 0 else ""))
    if not probs.is_floating_point():
        return f"returned probabilities of type {probs.dtype}, expected floating point"
    return None


def _in_unit_range(probs: Any, chunk_cells: int = 1 << 20) -> bool:
    """Whether every value is in [0, 1] (NaN and ±inf are not): one ``aminmax`` per chunk of
    rows, no copy of the pool's probabilities (``isfinite`` and two comparisons made three
    pool-sized masks: 1.9 KB per item at 131 labels and 5 members)."""
    import torch

    rows = max(1, chunk_cells // max(1, int(probs[0].numel()) if len(probs) else 1))
    with torch.inference_mode():
        for start in range(0, int(probs.shape[0]), rows):
            chunk = probs[start : start + rows]
            if chunk.numel() == 0:
                continue
            low, high = torch.aminmax(chunk)
            if not (0.0 <= float(low) and float(high) <= 1.0):  # NaN fails both
                return False
    return True


def _answers(values: Any, kwargs: Mapping[str, Any]) -> np.ndarray:
    items = np.asarray(kwargs["items"])
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise Broken(f"returned {_what(values)} ({exc})") from None
    if arr.shape != items.shape or not _reals(arr) or not np.isin(arr, (-1, 0, 1)).all():
        shown = sorted({str(v) for v in np.unique(arr).tolist()})[:5] if arr.size and arr.dtype != object else []
        raise Broken(f"returned answers of shape {arr.shape} with values {shown}; expected {items.shape} of 0/1/-1")
    return arr.astype(np.int8)


def _weights(w: Any, kwargs: Mapping[str, Any]) -> ItemRows:
    """Rows ``[m, L]`` for ``state.labelled_items()`` (ascending), or every item's ``[n, L]``
    (the form before rows; only the labelled items' rows are kept)."""
    state = kwargs["state"]
    items = state.labelled_items()
    n, n_labels = state.answers.shape
    try:
        arr = np.asarray(w, dtype=np.float32)
    except (TypeError, ValueError):
        raise Broken(f"returned {_what(w)}, expected a float array {(len(items), n_labels)}") from None
    if arr.shape not in ((len(items), n_labels), (n, n_labels)):
        raise Broken(f"returned weights of shape {arr.shape}; expected {(len(items), n_labels)} (the labelled "
                     f"items' rows) or {(n, n_labels)}")
    rows = arr[items] if arr.shape[0] == n and n != len(items) else arr
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise Broken("returned a negative, NaN or infinite weight; weights are finite and ≥ 0")
    out = ItemRows(n, n_labels, 0.0)
    out.set_rows(items, rows)
    return out


def _number(value: Any, where: str) -> float | int | None:
    """A plain finite number (numpy and 0-d tensor scalars made plain), or None."""
    if value is None:
        return None
    if hasattr(value, "item") and getattr(value, "ndim", None) == 0:
        value = value.item()
    if isinstance(value, bool):
        return int(value)
    if not isinstance(value, (int, float)):
        raise Broken(f"returned {where} = {_what(value)}, not a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise Broken(f"returned {where} = {value}; a figure must be finite (None for undefined)")
    return value


def _figures(result: Any, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(result, Mapping):
        raise Broken(f"returned {_what(result)}, expected a dict of training figures")
    out: dict[str, Any] = {}
    for key, value in result.items():
        if not isinstance(key, str):
            raise Broken(f"returned a figure named {key!r}; names are strings")
        if isinstance(value, (list, tuple)):  # a curve: counts along a grid, kept for later rounds
            out[key] = [_number(v, f"{key}[{i}]") for i, v in enumerate(value)]
        else:
            out[key] = _number(value, key)
    return out


def _metrics(result: Any, kwargs: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(result, Mapping):
        raise Broken(f"returned {_what(result)}, expected a dict of metrics")
    out = _tree(result, "")
    plan = kwargs["plan"] if "plan" in kwargs else kwargs["state"].plan  # the ceiling has no run state
    for name in plan.evaluate.metrics:
        if name not in out:
            raise Broken(f"returned no value for the metric {name!r} the spec asks for (None when undefined)")
        if isinstance(out[name], dict):
            raise Broken(f"returned a dict for the metric {name!r}; a metric is a number or None")
    return out


def _tree(d: Mapping[Any, Any], at: str) -> dict[str, Any]:
    """Metrics: names to finite numbers or None, or to dicts of the same (per-label figures)."""
    out: dict[str, Any] = {}
    for key, value in d.items():
        if not isinstance(key, str):
            raise Broken(f"returned a metric named {key!r}; names are strings")
        where = f"{at}{key}"
        out[key] = _tree(value, where + ".") if isinstance(value, Mapping) else _number(value, where)
    return out


def _reason(result: Any, kwargs: Mapping[str, Any]) -> str:
    if not isinstance(result, str) or not result.strip():
        raise Broken(f"returned {_what(result)}; a stop reason is a sentence (a non-empty str), None to go on")
    return result


CONTRACTS: dict[str, Contract] = {
    "alframe_register": Contract("nothing (a result is ignored)", _ignored),
    "alframe_load_data": Contract("a `Dataset`", _dataset),
    "alframe_build_model": Contract(
        "an object with `fit`, `predict_proba`, `save_checkpoint`, `load_checkpoint` and `thresholds`", _bundle
    ),
    "alframe_select_seed": Contract(
        "`Queries` of items or cells of the pool (integer indices; label -1, a whole item, with "
        "unit `item`, a label index with unit `cell`), none answered, none twice, probabilities "
        "in (0, 1], no NaN score",
        _queries,
    ),
    "alframe_score_pool": Contract(
        "`PoolScores` whose `probs` is a float tensor `[len(items), n_labels, members ≥ 1]` of finite "
        "values in [0, 1] (or `[len(items), n_labels, 0]` with `streamed` set: the pool reduced chunk by chunk "
        "for a built-in ranking policy or iwal, each chunk checked as it was read)",
        _pool_scores,
    ),
    "alframe_query": Contract(
        "`Queries` as for `alframe_select_seed`",
        _queries,
    ),
    "alframe_annotate": Contract("an array of 0, 1 or -1, one per asked cell", _answers),
    "alframe_weight": Contract(
        "a float array `[m, n_labels]` for `state.labelled_items()` (or `[n_items, n_labels]`), finite and ≥ 0",
        _weights),
    "alframe_train": Contract("a dict from names to finite numbers (or None) or lists of them", _figures),
    "alframe_evaluate": Contract(
        "a dict from names to finite numbers or None (undefined), or to dicts of the same "
        "(`per_label`); every metric the spec names is there",
        _metrics,
    ),
    "alframe_should_stop": Contract("a non-empty str (the reason), or None to go on", _reason),
    "alframe_round_end": Contract("nothing (a result is ignored)", _ignored),
    "alframe_run_started": Contract("nothing (a result is ignored)", _ignored),
    "alframe_stage_started": Contract("nothing (a result is ignored)", _ignored),
    "alframe_stage_finished": Contract("nothing (a result is ignored)", _ignored),
    "alframe_message": Contract("nothing (a result is ignored)", _ignored),
    "alframe_train_callbacks": Contract("a list of Lightning callbacks", _callbacks),
    "alframe_register_commands": Contract("nothing (a result is ignored); commands added with `cli.add_command`",
                                          _ignored),
}
