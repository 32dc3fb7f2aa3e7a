"""The experiment folder's own records: ``experiment.json`` (the grid), ``ceiling.json``, its lock.

::

    runs/<name>/
      experiment.json      what the grid is: axes, repeats, every variant with its seed and status
      ceiling.json         the ceiling's metrics (when asked for), with the key it was trained for
      ceiling/             the ceiling's training folder
      experiment.lock      one runner at a time
      <setting>/repeat-<r>/   an ordinary run folder (:mod:`alframe.record.folder`)

Each run's own store is the truth about it; ``experiment.json`` only mirrors the statuses for
people and tools. JSON records are summaries or caches: :func:`read_json` takes a missing or
unreadable one for none, never as fatal.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from alframe.errors import RunError
from alframe.fsutil import FolderLock
from alframe.record.atomic import write_atomic

EXPERIMENT_FILE = "experiment.json"
CEILING_FILE = "ceiling.json"
CEILING_DIR = "ceiling"
LOCK_FILE = "experiment.lock"
_REPEAT = re.compile(r"^repeat-(\d+)$")


def variant_name(setting: str, repeat: int) -> str:
    """``<setting>/repeat-<r>``: a variant's name, and its run folder below the experiment's."""
    return f"{setting}/repeat-{repeat}"


def repeat_of(name: str) -> int | None:
    """The repeat a run folder's name (``repeat-<r>``) says, or None for another name."""
    m = _REPEAT.match(name)
    return int(m.group(1)) if m else None


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
    """``obj`` as indented JSON, written atomically (numpy scalars and arrays, paths allowed)."""
    write_atomic(path, json.dumps(obj, indent=2, sort_keys=False, default=_default, allow_nan=False) + "\n")


def _default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# -- experiment.json --------------------------------------------------------------------------


def experiment_path(folder: Path) -> Path:
    return folder / EXPERIMENT_FILE


def is_experiment(folder: Path) -> bool:
    return experiment_path(folder).is_file()


def write_experiment(folder: Path, record: dict[str, Any]) -> Path:
    path = experiment_path(folder)
    write_json(path, record)
    return path


def read_experiment_json(folder: Path, *, code: str) -> Any:
    """The parsed ``experiment.json`` of ``folder`` (any JSON value); unreadable is ``code``."""
    path = experiment_path(folder)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RunError(f"cannot read {path}: {exc}", code=code) from None


def read_experiment(folder: Path) -> dict[str, Any] | None:
    """The grid record of ``folder``, or None when it has none (an unreadable one is ``X105``)."""
    if not is_experiment(folder):
        return None
    data = read_experiment_json(folder, code="X105")
    return data if isinstance(data, dict) else None


def experiment_lock(folder: Path) -> FolderLock:
    """An exclusive lock on the experiment folder: a second runner is refused, named."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RunError(f"cannot create the experiment folder {folder}: {exc.strerror}", code="X108") from None
    return FolderLock(folder, LOCK_FILE, what="experiment folder", code="X109")


# -- ceiling.json -----------------------------------------------------------------------------


def ceiling_path(folder: Path) -> Path:
    return folder / CEILING_FILE


def ceiling_work_dir(folder: Path) -> Path:
    """Where the ceiling's training writes (Lightning's root folder)."""
    return folder / CEILING_DIR


def read_ceiling(folder: Path) -> dict[str, Any] | None:
    """The whole ceiling record (key, data fingerprint, metrics, counts), or None."""
    return read_json(ceiling_path(folder))


def write_ceiling(folder: Path, record: dict[str, Any]) -> None:
    write_json(ceiling_path(folder), record)


def ceiling_metrics(folder: Path) -> dict[str, Any] | None:
    """The ceiling's metrics, or None when there is no (readable) ceiling record."""
    data = read_ceiling(folder)
    metrics = data.get("metrics") if data is not None else None
    return metrics if isinstance(metrics, dict) else None
