"""Test helpers of tests/experiments and tests/report are shared (plans, hand-made runs)."""

from __future__ import annotations

import sys
from pathlib import Path

for _name in ("experiments", "report"):
    _path = str(Path(__file__).resolve().parents[1] / _name)
    if _path not in sys.path:
        sys.path.insert(0, _path)
