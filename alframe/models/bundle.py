"""The model bundle: what the engine holds of the model between rounds.

CONTRACT (the engine relies on exactly this; the implementation grows behind it):

    bundle = build_bundle(plan, registry, dataset)     # features for every item + the module
    info   = bundle.fit(FitRequest(...))               # one round of training, a fresh Trainer
    probs  = bundle.predict_proba(idx, mc_samples=0)   # torch.float32 [len(idx), L, K]
    bundle.thresholds                                  # np.float32 [L] decision thresholds
    bundle.save_checkpoint(path); bundle.load_checkpoint(path)   # atomic; weights_only=True
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


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
