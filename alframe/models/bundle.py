"""The model bundle: what the engine holds of the model between rounds.

CONTRACT (the engine relies on exactly this; the implementation grows behind it):

    bundle = build_bundle(plan, registry, dataset)     # features for every item + the module
    info   = bundle.fit(FitRequest(...))               # one round of training, a fresh Trainer
    probs  = bundle.predict_proba(idx, mc_samples=0)   # torch.float32 [len(idx), L, K]
    feats  = bundle.embed(idx)                         # torch.float32 [len(idx), d] (diversity only)
    bundle.thresholds                                  # np.float32 [L] decision thresholds
    bundle.save_checkpoint(path); bundle.load_checkpoint(path)   # atomic; weights_only=True
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch

from alframe.data.dataset import Dataset
from alframe.errors import PluginError, RunError
from alframe.plan import Call, Plan
from alframe.registry import Registry


@dataclass
class FitRequest:
    train_idx: np.ndarray  # int64 [m] dataset indices of items with at least one answered cell
    targets: np.ndarray  # int8 [m, L] 1 / 0 / -1 (unknown: contributes nothing to the loss)
    weights: np.ndarray  # float32 [m, L] per-cell loss weights (importance 1/p …), 0 where unknown
    seed: int  # the round seed: fresh init, member resampling, shuffling, held-out split
    round: int
    callbacks: list[Any] = field(default_factory=list)  # Lightning callbacks (progress feed)
    logger: Any = False  # a Lightning logger, or False
    root_dir: str | None = None  # Trainer.default_root_dir
    #: fresh answers for ``thresholds progressive``: answers counted against the probabilities a
    #: model had for their cells *before* it saw them (the previous rounds' models on those
    #: rounds' new items), as :func:`alframe.models.thresholds.fresh_counts` adds them up; None
    #: in round 0 and wherever there are none
    fresh: dict[str, Any] | None = None
    #: items the model is never trained on (a cell run's reserve): where given, the expected-F1
    #: cut is computed over them rather than over a sample of the pool
    unseen: np.ndarray | None = None


def build_bundle(plan: Plan, registry: Registry, dataset: Dataset) -> ModelBundle:
    """Featurise every item once and build the committee the plan describes."""
    from alframe.models.committee import CommitteeBundle

    parts = {
        "encoder": _component(registry, "encoder", plan.model.encoder, ("featurize", "build")),
        "trunk": _component(registry, "trunk", plan.model.trunk, ("build",)),
        "heads": _component(registry, "heads", plan.model.heads, ("build",)),
        "imbalance": _component(registry, "imbalance", plan.weighting.imbalance, ("cell_loss",)),
    }
    return CommitteeBundle(plan, dataset, **parts)


def _component(registry: Registry, kind: str, call: Call, needs: tuple[str, ...]) -> Any:
    """Build a registered component; a broken plugin factory names its plugin."""
    comp = registry.get(kind, call.name)
    if comp is None:
        raise PluginError(
            f"{kind} {call.name!r} is not registered (known: {', '.join(registry.names(kind))})",
            hook="alframe_register",
        )
    try:
        obj = registry.build(kind, call.name, call.kwargs)
    except (TypeError, ValueError) as exc:
        raise PluginError(f"{kind} {call}: {exc}", plugin=comp.plugin, hook="alframe_register") from None
    missing = [m for m in needs if not callable(getattr(obj, m, None))]
    if missing:
        raise PluginError(
            f"{kind} {call.name!r} built a {type(obj).__name__} without {', '.join(missing)}()",
            plugin=comp.plugin,
            hook="alframe_register",
        )
    return obj


class ModelBundle:
    """What the engine calls (see the module doc). The built-in implementation is
    :class:`alframe.models.committee.CommitteeBundle`; a plugin's ``alframe_build_model`` may
    return its own subclass.

    ``thresholds`` is float32 [L]; ``notes`` holds sentences worth showing the user (a trunk the
    heads do not use, texts that are mostly empty).
    """

    thresholds: np.ndarray
    notes: list[str]

    def fit(self, req: FitRequest) -> dict[str, float]:  # pragma: no cover - interface
        raise NotImplementedError

    def predict_proba(self, idx: np.ndarray, mc_samples: int = 0) -> torch.Tensor:  # pragma: no cover
        raise NotImplementedError

    def embed(self, idx: np.ndarray) -> torch.Tensor:
        """The model's features of items ``idx``: CPU float32 ``[len(idx), d]``, ``d`` the same
        for every call. Only the diversity-aware policies ask for them (``diversity=badge|coreset|cluster``,
        ``diverse``); a bundle that cannot give them says so."""
        raise no_embed_error(self)

    def save_checkpoint(self, path: str | os.PathLike[str]) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def load_checkpoint(self, path: str | os.PathLike[str]) -> None:  # pragma: no cover - interface
        raise NotImplementedError


def no_embed_error(bundle: object) -> PluginError:
    return PluginError(
        f"the model bundle {type(bundle).__name__} has no embed(idx) -> [n, d] features, which the "
        "policy needs (diversity=badge, coreset or cluster, diverse): implement embed, or use diversity=none "
        "and a seed policy without embeddings (seed N random)",
        hook="alframe_build_model",
    )


def embed_items(bundle: object, idx: np.ndarray) -> torch.Tensor:
    """``bundle.embed(idx)`` checked: float32 ``[len(idx), d]`` with finite values, on the CPU.

    A plugin's bundle that does not subclass :class:`ModelBundle` and has no ``embed`` gets the
    same clear error as one that inherits the refusing default.
    """
    embed = getattr(bundle, "embed", None)
    if not callable(embed):
        raise no_embed_error(bundle)
    idx = np.asarray(idx, dtype=np.int64).reshape(-1)
    out = embed(idx)
    if not isinstance(out, torch.Tensor) or out.ndim != 2 or out.shape[0] != len(idx):
        raise PluginError(
            f"embed({len(idx)} items) returned {getattr(out, 'shape', type(out))}, expected a tensor "
            f"[{len(idx)}, d]",
            hook="alframe_build_model",
        )
    out = out.detach().to("cpu", torch.float32)
    if not bool(torch.isfinite(out).all()):
        raise PluginError("embed returned NaN or infinite features", hook="alframe_build_model")
    return out


def check_request(req: FitRequest, n_items: int, n_labels: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The request's arrays, typed and checked; inconsistent shapes or values are a RunError."""
    items = np.asarray(req.train_idx, dtype=np.int64).reshape(-1)
    targets = np.asarray(req.targets)
    weights = np.asarray(req.weights, dtype=np.float32)
    m = len(items)
    for name, arr in (("targets", targets), ("weights", weights)):
        if arr.shape != (m, n_labels):
            raise RunError(
                f"fit request: {name} has shape {arr.shape}, expected ({m}, {n_labels})", code="R311"
            )
    if m and (items.min() < 0 or items.max() >= n_items):
        raise RunError(f"fit request: item index outside 0..{n_items - 1}", code="R311")
    if not np.isin(targets, (-1, 0, 1)).all():
        bad = targets[~np.isin(targets, (-1, 0, 1))][0]
        raise RunError(f"fit request: target value {bad!r} is not 1, 0 or -1", code="R311")
    known = targets >= 0
    if not np.isfinite(weights[known]).all() or (weights[known] < 0).any():
        raise RunError("fit request: a cell weight is negative, NaN or infinite", code="R311")
    return items, targets.astype(np.int8), weights
