"""The plugin module named by the entry point: registers the ``cardinality`` policy.

Only declarations live here, so that ``alframe check`` and ``alframe plugins`` stay fast; the
policy's code (numpy, torch) is imported when a run builds it.
"""

from __future__ import annotations

from typing import Any

from alframe.hookspecs import hookimpl
from alframe.registry import Param, Registry


def _build(**kwargs: Any) -> Any:
    from alframe_cardinality.policy import CardinalityPolicy

    return CardinalityPolicy(**kwargs)


@hookimpl
def alframe_register(registry: Registry) -> None:
    registry.register(
        "policy",
        "cardinality",
        _build,
        params=[
            Param("beta", "float", 0.5, 0.0, 1.0, help="weight of uncertainty against cardinality inconsistency"),
            Param("count", "name", "hard", choices=("hard", "soft"),
                  help="predicted cardinality: labels above threshold, or the sum of probabilities"),
        ],
        help="Label-cardinality inconsistency × max-margin uncertainty: items predicted with an "
        "unusual number of labels, near their decision boundary.",
        reference="Li & Guo, Active Learning with Multi-Label SVM Classification, IJCAI 2013",
    )
