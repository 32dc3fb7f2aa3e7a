"""Files written the way a kill cannot corrupt, and folders one process at a time.

- :func:`write_atomic`: write beside the target, fsync, rename over it, fsync the folder: a
  kill leaves the old file or the new one, never half of either.
- :class:`FolderLock`: an exclusive ``flock`` on a lock file inside a folder; a second holder
  is refused with the first one's pid. The lock dies with the process (kill -9 included).
- :func:`name_problem` / :func:`child_folder`: a name (a run's) that becomes one folder inside
  a root, never ``..``, ``.``, a path or anything else that would land elsewhere.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Any

from alframe.errors import RunError

MAX_FOLDER_NAME = 100  # characters


def name_problem(name: str) -> str | None:
    """Why ``name`` cannot be one folder's name inside a root (None when it can).

    A name is 1 to 100 characters, not only dots (``.`` and ``..`` are the folder itself and its
    parent), without ``/``, ``\\``, NUL or other control characters, and not blank.
    """
    if not name or not name.strip():
        return "it is blank"
    if len(name) > MAX_FOLDER_NAME:
        return f"it is longer than {MAX_FOLDER_NAME} characters"
    if set(name) <= {"."}:
        return "it names a folder by dots ('.' is the run root itself, '..' its parent)"
    for c in name:
        if c in "/\\":
            return f"it contains {c!r}, which would make it a path"
        if ord(c) < 32 or ord(c) == 127 or c in "\u2028\u2029\x85":
            return f"it contains the control character {c!r}"
    return None


def child_folder(root: Path, name: str, *, what: str = "run name", code: str = "R206") -> Path:
    """``root / name``, refused unless ``name`` is one folder name that stays inside ``root``.

    The compiler already refuses such names in a spec; this guards every place a folder is
    derived from a name, for plans built in Python or read back from a store.
    """
    problem = name_problem(name)
    path = root / name
    if problem is None:
        base = os.path.abspath(root)
        if os.path.dirname(os.path.abspath(path)) != base:
            problem = "it would lead out of the folder"
    if problem is not None:
        raise RunError(
            f"the {what} {name!r} cannot be a folder inside {root}: {problem}",
            code=code,
            hint='name the run with letters, digits, "-", "_" or "." (run "NAME" in the spec)',
        )
    return path


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
