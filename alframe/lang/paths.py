"""Keeping the paths a spec names inside their root.

A spec is often shared or downloaded, so the files it reads are confined: relative paths are
taken from the spec's folder, and the resolved path (symbolic links followed) must lie inside
the root, which is the spec's folder unless a wider one is given (``root=`` /
``--data-root``). ``..``, absolute paths and symbolic links that lead elsewhere are refused,
each with its own code. Whether the file exists is the data loader's business, not the
compiler's: a spec can be checked before its data is downloaded.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alframe.errors import SpecError

ROOT_HINT = "keep data inside the spec's folder, or allow a wider one with --data-root (root= in Python)"


def confine(value: str, node: Any, spec_dir: Path, root: Path) -> Path:
    """The absolute, symlink-resolved path of ``value``, refused if it leaves ``root``."""
    pos = getattr(node, "pos", None)
    if not value or "\x00" in value:
        raise SpecError("a path must be a non-empty file name", code="E310", pos=pos)
    given = Path(value)
    candidate = given if given.is_absolute() else spec_dir / given
    real = Path(os.path.realpath(candidate))
    root_real = Path(os.path.realpath(root))
    if _inside(real, root_real):
        return real
    where = f"the data root {root_real}" if root_real != Path(os.path.realpath(spec_dir)) else "the spec's folder"
    if given.is_absolute():
        raise SpecError(
            f"the absolute path '{value}' lies outside {where}", code="E502", pos=pos, hint=ROOT_HINT
        )
    if not _inside(Path(os.path.normpath(candidate)), root_real):
        raise SpecError(f"the path '{value}' leads out of {where}", code="E501", pos=pos, hint=ROOT_HINT)
    raise SpecError(
        f"the path '{value}' goes through a symbolic link that leads out of {where} (to {real})",
        code="E503",
        pos=pos,
        hint=ROOT_HINT,
    )


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents
