"""The one atomic writer: every file alframe writes (run records, checkpoints, reports, plots).

Write beside the target (``.NAME.tmp-PID``), ``flush`` + ``fsync``, ``os.replace`` onto the
target, ``fsync`` of the folder: a kill at any moment leaves the old file or the new one, never
half of either (the temporary file is on the same file system, so the rename is atomic). A
full disk or a read-only place is a :class:`~alframe.errors.RunError` naming the file
(:func:`alframe.fsutil.storage_error`), with no temporary file left behind.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from alframe.fsutil import storage_error

#: what :func:`write_atomic` writes: text (UTF-8), bytes, or a function writing into the file
Content = str | bytes | Callable[[BinaryIO], object]


def write_atomic(path: str | os.PathLike[str], data: Content) -> None:
    """Write ``data`` to ``path`` atomically. ``data`` is text, bytes, or a function that
    writes into the open temporary file (``lambda f: torch.save(payload, f)``)."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    tmp = folder / f".{target.name}.tmp-{os.getpid()}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(tmp, "wb") as f:
            if callable(data):
                data(f)
            else:
                f.write(data if isinstance(data, bytes) else data.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            tmp.unlink(missing_ok=True)  # a full disk or a Ctrl-C leaves no half-written file
        except OSError:
            pass
        named = storage_error(exc, target)
        if named is not None:
            raise named from exc
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; a no-op where folders cannot be opened)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


#: the temporary files of :func:`write_atomic` (``.NAME.tmp-PID``), of the checkpoint writer of
#: earlier versions (``.NAME.XXXX.tmp``) and of the folder's write probe (``.write-test-PID``)
_TEMPORARY = re.compile(r"^\.(.+\.tmp-\d+|.+\.tmp|write-test-\d+)$")


def is_temporary(name: str) -> bool:
    """Whether ``name`` is one of the temporary files atomic writes and the write probe use."""
    return _TEMPORARY.match(name) is not None
