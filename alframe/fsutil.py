"""Files written the way a kill cannot corrupt, and folders one process at a time.

- :func:`write_atomic`: write beside the target, fsync, rename over it, fsync the folder: a
  kill leaves the old file or the new one, never half of either.
- :class:`FolderLock`: an exclusive ``flock`` on a lock file inside a folder; a second holder
  is refused with the first one's pid. The lock dies with the process (kill -9 included).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any

from alframe.errors import RunError


def write_atomic(path: Path, data: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    if isinstance(data, bytes):
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    else:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class FolderLock:
    """``with FolderLock(folder, "run.lock", what="run folder", code="R205"):`` …"""

    def __init__(self, folder: Path, name: str, *, what: str, code: str) -> None:
        self.folder, self.name, self.what, self.code = folder, name, what, code
        self._f: Any = None

    def acquire(self) -> FolderLock:
        f = open(self.folder / self.name, "a+")
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.seek(0)
            holder = f.read().strip() or "?"
            f.close()
            raise RunError(
                f"the {self.what} {self.folder} is in use by another alframe run (pid {holder})",
                code=self.code,
                hint="wait for it to finish, or use --out for another folder",
            ) from None
        f.seek(0)
        f.truncate()
        f.write(str(os.getpid()))
        f.flush()
        self._f = f
        return self

    def release(self) -> None:
        if self._f is not None:
            fcntl.flock(self._f, fcntl.LOCK_UN)
            self._f.close()
            self._f = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
