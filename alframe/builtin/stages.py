"""Built-in stage implementations (registered as an ordinary plugin, trylast)."""

from __future__ import annotations
