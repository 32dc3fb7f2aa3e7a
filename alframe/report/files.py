"""Small file helpers shared by reports and experiments: JSON files, read-only stores."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from alframe.errors import RunError
from alframe.fsutil import write_atomic
from alframe.store import RunStore

#: the experiment folder's ceiling record (written by experiments, read by reports)
CEILING_FILE = "ceiling.json"


def read_json(path: Path) -> dict[str, Any] | None:
    """A JSON object written by :func:`write_json`, or ``None`` when missing or unreadable
    (such files are caches or summaries: a bad one is ignored, never fatal)."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def write_json(path: Path, obj: Any) -> None:
    write_atomic(path, json.dumps(obj, indent=2, sort_keys=False, default=_default, allow_nan=False) + "\n")


def _default(value: Any) -> Any:
    try:
        import numpy as np

        if isinstance(value, np.generic):
            return value.item()
        if isinstance(value, np.ndarray):
            return value.tolist()
    except ImportError:  # pragma: no cover
        pass
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def open_store_readonly(path: Path) -> RunStore:
    """The run store of ``path`` (a ``run.db``) opened read-only.

    A report must never change a run, nor wait for or block the run writing it, so the
    database is opened read-only, leaving no file behind (:func:`alframe.store.connect_readonly`;
    WAL lets it read while a run writes), and no schema or meta is touched.
    """
    if not path.is_file():
        raise RunError(f"no run database at {path}", code="X201")
    try:
        return RunStore.open_readonly(path)
    except sqlite3.DatabaseError as exc:
        raise RunError(f"cannot read the run database {path}: {exc}", code="X202",
                       hint="the file is not an alframe run database") from None
