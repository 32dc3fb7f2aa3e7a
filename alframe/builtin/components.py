"""Registers the built-in components, exactly as a third-party plugin would."""

from __future__ import annotations

from alframe.hookspecs import hookimpl
from alframe.registry import Registry


@hookimpl
def alframe_register(registry: Registry) -> None:
    from alframe.data import metric_catalog
    from alframe.models import components as models
    from alframe.oracles import components as oracles
    from alframe.policies import components as policies

    models.register(registry)
    policies.register(registry)
    oracles.register(registry)
    metric_catalog.register(registry)
