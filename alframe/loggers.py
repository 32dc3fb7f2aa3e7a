"""Lightning loggers by name, to follow training inside each round.

``trainer { loggers [csv, tensorboard] }``: each round's ``Trainer.fit`` logs into
``logs/<logger>/round-NNNN/`` of the run folder. ``csv`` needs nothing more; the others need
their own package (tensorboard, wandb, mlflow, comet_ml, neptune). A logger whose package is
not installed is left out, and the run says so once at its start (and records it).
"""

from __future__ import annotations

import importlib.util
from typing import Any

#: spec name → (the module it needs, Lightning's logger class)
LOGGERS: dict[str, tuple[str | None, str]] = {
    "csv": (None, "CSVLogger"),
    "tensorboard": ("tensorboard", "TensorBoardLogger"),
    "wandb": ("wandb", "WandbLogger"),
    "mlflow": ("mlflow", "MLFlowLogger"),
    "comet": ("comet_ml", "CometLogger"),
    "neptune": ("neptune", "NeptuneLogger"),
}


def missing(names: tuple[str, ...] | list[str]) -> list[str]:
    """The named loggers that cannot be used here (their package is not installed)."""
    out = []
    for name in names:
        module, cls = LOGGERS.get(name, (name, ""))
        if module is not None and importlib.util.find_spec(module) is None:
            out.append(f"{name} (needs the '{module}' package)")
        elif not _lightning_has(cls):
            out.append(f"{name} (this Lightning has no {cls})")
    return out


def make(names: tuple[str, ...] | list[str], save_dir: str, version: str) -> list[Any] | bool:
    """The usable loggers of ``names`` for one round (``False``: none, as Lightning wants)."""
    import pytorch_lightning.loggers as pl_loggers

    skip = {m.split(" ")[0] for m in missing(names)}
    out: list[Any] = []
    for name in names:
        if name in skip or name not in LOGGERS:
            continue
        cls = getattr(pl_loggers, LOGGERS[name][1])
        if name in ("csv", "tensorboard"):
            out.append(cls(save_dir, name=name, version=version))
        else:  # services keep their own run ids; the round goes in the run name
            out.append(cls(save_dir=save_dir, name=version) if name != "mlflow" else cls(run_name=version, save_dir=save_dir))
    return out or False


def _lightning_has(cls: str) -> bool:
    import pytorch_lightning.loggers as pl_loggers

    return hasattr(pl_loggers, cls)
