"""The built-in metric names and what they mean, registered without importing torch.

``alframe check`` and ``alframe explain`` only need the names; the functions (torchmetrics)
are imported when a run first evaluates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alframe.registry import Registry

HELP: dict[str, str] = {
    "micro_f1": "F1 over all known cells of the test split",
    "macro_f1": "mean of per-label F1 over labels with a positive in the test split",
    "macro_ap": "mean of per-label average precision (labels with a positive)",
    "micro_ap": "average precision over all known cells",
    "hamming": "fraction of known cells predicted wrongly",
    "subset_accuracy": "fraction of items with every known label right",
}


def register(registry: Registry) -> None:
    for name, help_ in HELP.items():
        registry.register("metric", name, _lazy(name), help=help_)


def _lazy(name: str) -> Callable[[], Any]:
    def factory() -> Any:
        from alframe.data.metrics import BUILTIN

        return BUILTIN[name][0]

    factory.__name__ = name
    return factory
