"""Checkpoint files: a plain dict of tensors and primitives, written atomically, read safely.

Writing: through the run record's one atomic writer (:func:`alframe.record.write_atomic`): a
temporary file in the target's folder, ``flush`` + ``fsync``, ``os.replace`` onto the target,
``fsync`` of the folder. A kill at any moment leaves either the old file or the new one, never
half of one (the temporary file is on the same filesystem, so the rename is atomic).

Reading: only a file in torch's zip format is opened at all (a truncated file has lost its zip
directory; a raw pickle has none), then ``torch.load(weights_only=True)``, which unpickles only
tensors and primitive containers and refuses anything that would import or call code. Every failure (missing,
truncated, not a checkpoint, a pickle in disguise) becomes a :class:`~alframe.errors.RunError`
with an R3xx code; no other exception escapes.
"""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import torch

from alframe.errors import RunError
from alframe.record.atomic import write_atomic

FORMAT = "alframe.model"
VERSION = 1


def write_checkpoint(payload: dict[str, Any], path: str | os.PathLike[str]) -> None:
    """Save ``payload`` to ``path`` so that a crash leaves the previous file intact
    (:func:`alframe.record.write_atomic` around ``torch.save``)."""
    write_atomic(path, lambda fh: torch.save(payload, fh))


def read_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The payload of an alframe model checkpoint, or a RunError saying why not."""
    p = Path(path)
    if not p.is_file():
        raise RunError(f"checkpoint {p} does not exist", code="R300")
    if not zipfile.is_zipfile(p):  # ours are always torch's zip format; never unpickle others
        raise RunError(
            f"checkpoint {p} is truncated or not a checkpoint (no zip directory)",
            code="R301",
            hint="the run retrains this round from its stored labels",
        )
    try:
        obj = torch.load(p, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        raise RunError(
            f"checkpoint {p} holds objects other than tensors and plain values; refused",
            code="R302",
            hint=f"only files written by alframe load; the loader said: {_first_line(exc)}",
        ) from None
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile, ValueError, KeyError, AttributeError) as exc:
        raise RunError(
            f"checkpoint {p} is truncated or not a checkpoint ({type(exc).__name__})",
            code="R301",
            hint="the run retrains this round from its stored labels",
        ) from None
    if not isinstance(obj, dict) or obj.get("format") != FORMAT:
        raise RunError(f"{p} is not an alframe model checkpoint", code="R303")
    if obj.get("version") != VERSION:
        raise RunError(
            f"checkpoint {p} has format version {obj.get('version')!r}; this alframe reads {VERSION}",
            code="R304",
        )
    return obj


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
