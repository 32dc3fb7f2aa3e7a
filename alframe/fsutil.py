"""Folders one process at a time, safe folder names, and the errors of a refused write.

(Files are written atomically by :func:`alframe.record.atomic.write_atomic`.)

- :class:`FolderLock`: an exclusive ``flock`` on the folder itself, held on an open descriptor;
  a second holder is refused with the first one's pid. The lock dies with the process (kill -9
  included), and no lock file's presence or absence changes who may run.
- :func:`name_problem` / :func:`child_folder`: a name (a run's) that becomes one folder inside
  a root, never ``..``, ``.``, a path or anything else that would land elsewhere.
- :func:`storage_error`: a write refused by the disk (full: ``R204``; read-only or not
  permitted: ``R203``) as the named error the user reads, wherever the write happened.
"""

from __future__ import annotations

import errno
import fcntl
import os
import stat
from pathlib import Path

from alframe.errors import RunError

MAX_FOLDER_NAME = 100  # characters

#: errno values meaning "the disk is full" (a quota counts as full)
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
#: errno values meaning "this place cannot be written"
NOT_WRITABLE = frozenset({errno.EACCES, errno.EPERM, errno.EROFS})

RESUME_HINT = "run the same command again (a run resumes where it stopped)"


def storage_error(exc: BaseException, what: str | Path | None = None) -> RunError | None:
    """The named error for a write the disk refused, or None when ``exc`` is something else.

    ``what`` names what was being written (a path or words). A full disk is ``R204``; a
    read-only file, folder or file system is ``R203``. Everything committed to ``run.db`` before
    is kept (SQLite rolls the failed transaction back), so the hint says how to resume.
    """
    if not isinstance(exc, OSError) or exc.errno is None:
        return None
    where = f" ({what})" if what is not None else ""
    if exc.errno in DISK_FULL:
        return RunError(
            f"the disk is full: a write failed{where}; nothing committed to run.db is lost",
            code="R204",
            hint="free some disk space, then " + RESUME_HINT,
        )
    if exc.errno in NOT_WRITABLE:
        return RunError(
            f"cannot write{where}: {exc.strerror or 'not permitted'}",
            code="R203",
            hint="make it writable (chmod u+w), or choose another folder with --out",
        )
    return None


def file_kind(mode: int) -> str:
    """What a file that is not a regular one is, in words ("a named pipe")."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "an unusual kind of file"


def read_regular(path: str | os.PathLike[str], max_bytes: int = -1) -> bytes:
    """The bytes of a regular file (at most ``max_bytes``). A named pipe, device, socket or
    folder raises :class:`NotRegularFile` at once: the file is opened non-blocking and looked
    at before any read, so a pipe with no writer cannot hang the caller."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFile(file_kind(mode))
        fh = open(fd, "rb", closefd=False)
        with fh:
            return fh.read(max_bytes)
    finally:
        os.close(fd)


class NotRegularFile(OSError):
    """Not a regular file; ``kind`` says what it is ("a named pipe")."""

    def __init__(self, kind: str) -> None:
        super().__init__(f"it is {kind}, not a regular file")
        self.kind = kind


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


class FolderLock:
    """``with FolderLock(folder, "run.lock", what="run folder", code="R205"):`` …

    The lock is an exclusive ``flock`` on the folder itself, held on an open descriptor: the
    kernel drops it when the holder exits, however it exits, and no file's existence matters.
    The file ``name`` inside the folder only tells the holder's pid for the refusal message;
    deleting it, or finding a stale one left by a killed run, neither blocks nor admits anyone.
    """

    def __init__(self, folder: Path, name: str, *, what: str, code: str) -> None:
        self.folder, self.name, self.what, self.code = folder, name, what, code
        self._fd: int | None = None

    def acquire(self) -> FolderLock:
        try:
            fd = os.open(self.folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError as exc:
            raise RunError(f"cannot open the {self.what} {self.folder}: {exc.strerror}", code=self.code) from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EAGAIN, errno.EWOULDBLOCK, errno.EACCES):
                raise RunError(
                    f"cannot lock the {self.what} {self.folder}: {exc.strerror}",
                    code=self.code,
                    hint="use a local folder (a file system with flock) with --out",
                ) from None
            raise RunError(
                f"the {self.what} {self.folder} is in use by another alframe run ({self._holder()})",
                code=self.code,
                hint="wait for it to finish, or use --out for another folder",
            ) from None
        self._fd = fd
        try:
            with open(self.folder / self.name, "w", encoding="utf-8") as f:
                f.write(f"{os.getpid()}\n")
        except OSError:
            pass  # the pid is only for messages; an unwritable folder is found by its own check
        return self

    def _holder(self) -> str:
        """``pid N`` of the holder: from the pid file, else from the kernel's lock table."""
        try:
            text = (self.folder / self.name).read_text(encoding="utf-8").strip()
            if text.isdigit():
                return f"pid {text}"
        except OSError:
            pass
        pid = flock_holder(self.folder)
        return f"pid {pid}" if pid is not None else "pid unknown"

    def release(self) -> None:
        if self._fd is not None:
            # the pid file goes while the lock is still held, so it never names the next holder
            try:
                if (self.folder / self.name).read_text(encoding="utf-8").strip() == str(os.getpid()):
                    (self.folder / self.name).unlink()
            except OSError:
                pass
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def flock_holder(folder: Path) -> int | None:
    """The pid holding a ``flock`` on ``folder``, from ``/proc/locks`` (Linux), if found."""
    try:
        st = os.stat(folder)
        table = Path("/proc/locks").read_text()
    except OSError:
        return None
    want = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    for line in table.splitlines():
        parts = line.split()
        # "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"
        if len(parts) >= 6 and parts[1] == "FLOCK" and parts[5] == want and parts[4].isdigit():
            return int(parts[4])
    return None
