"""alframe plugin: label-cardinality inconsistency combined with max-margin uncertainty."""

from __future__ import annotations

__version__ = "0.1.0"
