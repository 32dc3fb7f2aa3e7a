"""Evaluation metrics on the test split, with unknown cells left out, and their registration.

Test labels may be partly unknown (-1), so every figure counts **known cells only**: a cell
whose truth is unknown is neither right nor wrong. A label with no positive in the test split
has no defined F1 or average precision; it is reported as ``None`` ("undefined") and left out
of the macro averages instead of counting as 0, which would punish a model for the split.

A cell is predicted positive when its probability is **greater than** the label's threshold,
the rule torchmetrics uses (:func:`predict_positive`).

The counting is torchmetrics' ``multilabel_stat_scores`` with ``ignore_index=-1`` and the
average precision its ``multilabel_average_precision`` / ``binary_average_precision`` (exact,
unbinned), so the figures match the library people compare against (the per-label AP is
computed here with one sort of the whole matrix, to torchmetrics' values bit for bit:
:func:`_per_label_ap`). Like a torchmetrics
``Metric``, :class:`Evaluation` accumulates batches (``update``) and answers once
(``compute``); the counts are summed, the probabilities kept for the exact AP.

Every metric, built-in or a plugin's, is a function ``fn(inputs: EvalInputs) -> float | None``
registered under its name (the registry's factory returns the function).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torchmetrics.functional.classification import binary_average_precision, multilabel_stat_scores

from alframe.data.metric_catalog import HELP
from alframe.data.metric_catalog import register as register_names
from alframe.errors import PluginError, RunError

if TYPE_CHECKING:
    from alframe.registry import Registry

IGNORE = -1  # an unknown truth cell

MetricFn = Callable[["EvalInputs"], "float | None"]


def predict_positive(probs: torch.Tensor, thresholds: torch.Tensor) -> torch.Tensor:
    """bool [n, L]: ``probs [n, L] > thresholds [L]`` (torchmetrics' rule)."""
    return probs > thresholds.unsqueeze(0)


@dataclass(frozen=True)
class LabelStats:
    """Counts over known cells, one entry per label (int64 [L] each)."""

    tp: torch.Tensor
    fp: torch.Tensor
    tn: torch.Tensor
    fn: torch.Tensor
    items_right: int  # items whose every known cell is right
    items_known: int  # items with at least one known cell

    @property
    def support(self) -> torch.Tensor:  # positives among known cells
        return self.tp + self.fn

    @property
    def predicted(self) -> torch.Tensor:  # predicted positives among known cells
        return self.tp + self.fp

    @property
    def known(self) -> torch.Tensor:
        return self.tp + self.fp + self.tn + self.fn


@dataclass(frozen=True)
class EvalInputs:
    """What a metric function sees: the test split's probabilities, truth and counts."""

    probs: torch.Tensor  # float32 [n, L] the members' mean probability
    truth: torch.Tensor  # int64 [n, L] 1 / 0 / -1 (unknown)
    preds: torch.Tensor  # bool [n, L] predicted positive
    stats: LabelStats
    label_names: list[str]
    ap: torch.Tensor  # float64 [L] per-label AP; NaN where undefined (no positive)


# --- the built-in metrics -------------------------------------------------------------------


def _ratio(num: float, den: float) -> float | None:
    return None if den == 0 else float(num) / float(den)


def per_label_f1(stats: LabelStats) -> list[float | None]:
    """F1 per label; ``None`` for a label with no positive in the split."""
    out: list[float | None] = []
    for tp, fp, fn in zip(stats.tp.tolist(), stats.fp.tolist(), stats.fn.tolist()):
        out.append(None if tp + fn == 0 else 2 * tp / (2 * tp + fp + fn))
    return out


def micro_f1(x: EvalInputs) -> float | None:
    tp, fp, fn = int(x.stats.tp.sum()), int(x.stats.fp.sum()), int(x.stats.fn.sum())
    return _ratio(2 * tp, 2 * tp + fp + fn) if tp + fn > 0 else None


def macro_f1(x: EvalInputs) -> float | None:
    values = [v for v in per_label_f1(x.stats) if v is not None]
    return sum(values) / len(values) if values else None


def macro_ap(x: EvalInputs) -> float | None:
    defined = x.ap[~torch.isnan(x.ap)]
    return float(defined.mean()) if len(defined) else None


def micro_ap(x: EvalInputs) -> float | None:
    known = x.truth != IGNORE
    if not bool((x.truth == 1).any()):
        return None
    return float(binary_average_precision(x.probs[known], x.truth[known], validate_args=False))


def hamming(x: EvalInputs) -> float | None:
    return _ratio(int(x.stats.fp.sum() + x.stats.fn.sum()), int(x.stats.known.sum()))


def subset_accuracy(x: EvalInputs) -> float | None:
    return _ratio(x.stats.items_right, x.stats.items_known)


_FUNCTIONS: dict[str, MetricFn] = {
    "micro_f1": micro_f1,
    "macro_f1": macro_f1,
    "macro_ap": macro_ap,
    "micro_ap": micro_ap,
    "hamming": hamming,
    "subset_accuracy": subset_accuracy,
}
BUILTIN: dict[str, tuple[MetricFn, str]] = {name: (fn, HELP[name]) for name, fn in _FUNCTIONS.items()}


def register(registry: Registry) -> None:
    """Register the built-in metrics (names and help from :mod:`metric_catalog`)."""
    register_names(registry)


# --- accumulating and computing -------------------------------------------------------------


class Evaluation:
    """Accumulate test batches, then compute the requested metrics once.

    ``update`` may be called batch by batch (any split of the items): counts are summed and the
    probabilities kept, so the answer equals one call over everything.
    """

    def __init__(
        self,
        thresholds: np.ndarray | Sequence[float],
        label_names: Sequence[str],
        metrics: Sequence[str],
        registry: Registry | None = None,
    ) -> None:
        self.thresholds = torch.as_tensor(np.asarray(thresholds, dtype=np.float32))  # [L]
        self.label_names = list(label_names)
        if self.thresholds.shape != (len(self.label_names),):
            raise ValueError(f"thresholds has shape {tuple(self.thresholds.shape)}; expected ({len(self.label_names)},)")
        self.metrics = tuple(metrics)
        self.fns = {name: _metric_fn(name, registry) for name in self.metrics}
        #: the plugin behind each metric a plugin registered (it answers for its faults)
        self.owners = {name: _owner(name, registry) for name in self.metrics}
        n_labels = len(self.label_names)
        self._counts = torch.zeros(4, n_labels, dtype=torch.int64)  # [tp, fp, tn, fn] x [L]
        self._items_right = 0
        self._items_known = 0
        self._probs: list[torch.Tensor] = []
        self._truth: list[torch.Tensor] = []

    def update(self, probs: torch.Tensor, truth: np.ndarray | torch.Tensor) -> None:
        """Add a batch: ``probs`` float [b, L] (members' mean), ``truth`` int [b, L] with -1 unknown."""
        p, t = _checked(probs, truth, len(self.label_names))
        preds = predict_positive(p, self.thresholds)  # bool [b, L]
        if p.shape[0] and p.shape[1]:
            stats = multilabel_stat_scores(
                preds.long(), t, num_labels=p.shape[1], average=None, ignore_index=IGNORE, validate_args=False
            ).reshape(-1, 5)  # [L, 5]: tp, fp, tn, fn, support (one label comes back as [5])
            self._counts += stats[:, :4].T.to(torch.int64)
        known = t != IGNORE  # [b, L]
        wrong = (preds != (t == 1)) & known
        has_known = known.any(dim=1)  # [b]
        self._items_known += int(has_known.sum())
        self._items_right += int((has_known & ~wrong.any(dim=1)).sum())
        self._probs.append(p)
        self._truth.append(t)

    def inputs(self) -> EvalInputs:
        n_labels = len(self.label_names)
        probs = torch.cat(self._probs) if self._probs else torch.zeros(0, n_labels)
        truth = torch.cat(self._truth) if self._truth else torch.zeros(0, n_labels, dtype=torch.int64)
        tp, fp, tn, fn = self._counts
        stats = LabelStats(tp, fp, tn, fn, self._items_right, self._items_known)
        return EvalInputs(
            probs=probs,
            truth=truth,
            preds=predict_positive(probs, self.thresholds),
            stats=stats,
            label_names=self.label_names,
            ap=_per_label_ap(probs, truth, stats.support),
        )

    def compute(self) -> dict[str, Any]:
        """The requested metrics, ``per_label`` figures and how many labels the macro means cover."""
        x = self.inputs()
        out: dict[str, Any] = {name: _run(name, fn, x, self.owners[name]) for name, fn in self.fns.items()}
        f1 = per_label_f1(x.stats)
        ap = [None if math.isnan(v) else v for v in x.ap.tolist()]
        support, predicted = x.stats.support.tolist(), x.stats.predicted.tolist()
        out["per_label"] = {
            name: {"f1": f1[j], "ap": ap[j], "support": int(support[j]), "predicted": int(predicted[j])}
            for j, name in enumerate(self.label_names)
        }
        defined = sum(1 for s in support if s > 0)
        out["macro_labels"] = defined
        out["undefined_labels"] = len(self.label_names) - defined
        out["n_items"] = int(x.probs.shape[0])
        return out


def evaluate(
    probs: torch.Tensor,
    truth: np.ndarray | torch.Tensor,
    thresholds: np.ndarray | Sequence[float],
    label_names: Sequence[str],
    metrics: Sequence[str],
    registry: Registry | None = None,
) -> dict[str, Any]:
    """Metrics of one test split in one call (see :class:`Evaluation`).

    :param probs: float [n, L], the ensemble members' mean probability per cell.
    :param truth: int8 [n, L], 1 / 0 / -1 (unknown cells are left out of every figure).
    :param thresholds: [L] decision thresholds (positive when ``prob > threshold``).
    :param metrics: metric names; names not built in are looked up in ``registry``.
    :returns: ``{name: float | None, ..., "per_label": {label: {"f1", "ap", "support",
        "predicted"}}, "macro_labels": int, "undefined_labels": int, "n_items": int}``.
    """
    ev = Evaluation(thresholds, label_names, metrics, registry)
    ev.update(probs, truth)
    return ev.compute()


# --- helpers --------------------------------------------------------------------------------


def _metric_fn(name: str, registry: Registry | None) -> MetricFn:
    if registry is not None and registry.get("metric", name) is not None:
        return registry.build("metric", name, {})
    if name in BUILTIN:
        return BUILTIN[name][0]
    raise ValueError(f"unknown metric {name!r} (built in: {', '.join(BUILTIN)}); pass the registry for plugin metrics")


def _owner(name: str, registry: Registry | None) -> str | None:
    comp = registry.get("metric", name) if registry is not None else None
    return comp.plugin if comp is not None and comp.plugin != "alframe" else None


def _run(name: str, fn: MetricFn, x: EvalInputs, owner: str | None = None) -> float | None:
    """Call a metric; a plugin's fault or nonsense (not a number, infinite) is an error naming
    the metric and the plugin that registered it (``owner``). NaN is "undefined" (None)."""
    try:
        value = fn(x)
    except (PluginError, RunError, KeyboardInterrupt):
        raise
    except Exception as exc:
        if owner is None:
            raise
        raise PluginError(f"metric {name!r}: {type(exc).__name__}: {exc}", plugin=owner, hook="alframe_evaluate") from exc
    if value is None:
        return None
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise PluginError(
            f"metric {name!r} returned {value!r}, not a number or None", plugin=owner, hook="alframe_evaluate"
        )
    if math.isinf(value):
        raise PluginError(f"metric {name!r} returned {value}, not a finite number", plugin=owner, hook="alframe_evaluate")
    return None if math.isnan(value) else float(value)


def _checked(probs: torch.Tensor, truth: np.ndarray | torch.Tensor, n_labels: int) -> tuple[torch.Tensor, torch.Tensor]:
    p = torch.as_tensor(probs).detach().to("cpu", torch.float32)  # [b, L]
    t = torch.as_tensor(np.asarray(truth) if not isinstance(truth, torch.Tensor) else truth).to("cpu", torch.int64)
    if p.ndim != 2 or p.shape != t.shape or p.shape[1] != n_labels:
        raise ValueError(f"probs {tuple(p.shape)} and truth {tuple(t.shape)} must both be [n, {n_labels}]")
    if not bool(torch.isfinite(p).all()):
        bad = int((~torch.isfinite(p)).sum())
        raise RunError(f"the model gave {bad} non-finite probabilities on the test split", code="R314")
    bad_truth = ~((t == 1) | (t == 0) | (t == IGNORE))
    if bool(bad_truth.any()):
        raise ValueError(f"truth holds values other than 1, 0, -1: {sorted(set(t[bad_truth].tolist()))[:5]}")
    return p.clamp_(0.0, 1.0), t


#: the bits of 1.0 as an int32: the bits of a float in [0, 1] order like the float
_ONE_BITS = int(np.float32(1.0).view(np.int32))
#: the sort key of an unknown cell: after every known one, and not positive (its lowest bit is 0)
_UNKNOWN_KEY = np.int32(2**31 - 2)


def _per_label_ap(probs: torch.Tensor, truth: torch.Tensor, support: torch.Tensor) -> torch.Tensor:
    """float64 [L] exact average precision per label over known cells; NaN without positives.

    The same values as torchmetrics' ``multilabel_average_precision(..., average=None,
    ignore_index=-1)`` to the last bit (a test compares them), with one sort of the whole
    matrix instead of one per label: each cell gets an int32 key whose ascending order is the
    probabilities' descending order, its lowest bit saying "positive", unknown cells last; after
    the sort along the item axis, the last cell of each run of equal probabilities is a
    threshold (ties are one threshold, as in torchmetrics and scikit-learn), where the running
    count of positives gives precision ``tp / rank`` and recall ``tp / positives``. The terms
    ``(recall - previous recall) * precision`` are torchmetrics' own, in its dtype (the default
    float dtype), and each label's are summed by ``torch.sum`` in the order torchmetrics sums
    them (highest threshold first), so the float rounding is the same too."""
    ap = torch.full((probs.shape[1],), float("nan"), dtype=torch.float64)
    cols = torch.nonzero(support > 0).flatten()
    if len(cols) == 0:
        return ap
    ftype = np.float64 if torch.get_default_dtype() == torch.float64 else np.float32
    p = (probs[:, cols].T.contiguous().to(torch.float32) + 0.0).numpy()  # [l, n]; + 0.0 makes -0.0 a 0.0
    t = truth[:, cols].T.numpy()
    keys = (np.int32(_ONE_BITS) - p.view(np.int32)) << 1
    keys |= t == 1
    keys[t == IGNORE] = _UNKNOWN_KEY
    keys.sort(axis=1)  # the one sort: each label's cells by descending probability
    value = keys >> 1
    ends = np.empty(keys.shape, dtype=bool)  # the last cell of a run of equal probabilities
    np.not_equal(value[:, 1:], value[:, :-1], out=ends[:, :-1])
    ends[:, -1] = True
    ends &= keys != _UNKNOWN_KEY
    tps = np.cumsum(keys & 1, axis=1, dtype=np.int64)  # positives at or above each rank
    label, rank = np.nonzero(ends)  # label by label, highest threshold first
    tp = tps[label, rank].astype(ftype)
    precision = tp / (rank + 1).astype(ftype)
    recall = tp / tps[label, -1].astype(ftype)
    counts = np.bincount(label, minlength=len(cols))
    previous = np.empty_like(recall)
    previous[1:] = recall[:-1]
    previous[np.cumsum(counts) - counts] = 0
    terms = torch.from_numpy((recall - previous) * precision).flip(0)  # lowest threshold first
    sums = [part.sum() for part in torch.split(terms, counts[::-1].tolist())]
    ap[cols] = torch.stack(sums).flip(0).to(torch.float64)
    return ap
