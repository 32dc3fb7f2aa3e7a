#!/usr/bin/env python3
"""Build the shipped real catalogue from the operating system's package index.

The Debian package index is a real catalogue of ~30k tagged items: each package has a one-line
description (close to a product title) and several Debtags categories (``Tag:``), which are
independent yes/no labels. This script turns the apt lists into two files under ``--out``:

- ``debian-packages.jsonl.gz``: one JSON object per package (sorted by name) with its tags as a
  list, for ``labels from "tags"``;
- ``debian-packages-wide.csv.gz``: the same items, one 0/1 column per tag with at least
  ``--min-wide`` positives, for ``labels columns [...]``.

Standard library only, offline, deterministic: the same apt lists give byte-identical files
(rows sorted, gzip written with ``mtime=0`` and no file name in its header). ``.lz4`` lists are
decompressed with ``lz4cat`` or ``apt-helper cat-file``, whichever exists.

    python scripts/build_catalogue.py [--lists /var/lib/apt/lists] [--out specs/data]
"""

from __future__ import annotations

import argparse
import bz2
import csv
import gzip
import io
import json
import lzma
import re
import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

JSONL_NAME = "debian-packages.jsonl.gz"
WIDE_NAME = "debian-packages-wide.csv.gz"
WIDE_FIXED = ("package", "description", "section", "installed_size_kb", "n_depends")

#: Suites that only repeat packages of the main archive with newer versions.
SECONDARY_SUITE = re.compile(r"-(security|updates|backports|proposed-updates)_")


@dataclass(frozen=True)
class Package:
    package: str
    version: str
    description: str
    section: str
    installed_size_kb: float
    n_depends: int
    tags: tuple[str, ...]
    rank: int  # 0 for the main archive, 1 for security/updates/backports lists

    def record(self) -> dict[str, object]:
        return {
            "package": self.package,
            "description": self.description,
            "section": self.section,
            "installed_size_kb": self.installed_size_kb,
            "n_depends": self.n_depends,
            "tags": list(self.tags),
        }


# --- reading the apt lists ------------------------------------------------------------------


def list_files(lists: Path) -> list[Path]:
    """The binary ``Packages`` indexes in the apt lists folder, in name order."""
    found = [
        p
        for p in sorted(lists.iterdir())
        if p.is_file() and re.search(r"_Packages(\.(lz4|gz|xz|bz2))?$", p.name)
    ]
    if not found:
        raise SystemExit(f"no *_Packages files in {lists}")
    return found


def read_text(path: Path) -> str:
    """Decompress an index file; ``.lz4`` has no stdlib codec, so use the system's tools."""
    if path.suffix == ".lz4":
        if shutil.which("lz4cat"):
            cmd = ["lz4cat", str(path)]
        elif Path("/usr/lib/apt/apt-helper").exists():
            cmd = ["/usr/lib/apt/apt-helper", "cat-file", str(path)]
        else:
            raise SystemExit(f"{path}: need lz4cat or apt-helper to read .lz4 lists")
        data = subprocess.run(cmd, check=True, capture_output=True).stdout
    else:
        opener = {".gz": gzip.open, ".xz": lzma.open, ".bz2": bz2.open}.get(path.suffix, open)
        with opener(path, "rb") as fh:  # type: ignore[operator]
            data = fh.read()
    return data.decode("utf-8", errors="replace")


def paragraphs(text: str) -> Iterator[dict[str, str]]:
    """RFC 822 style stanzas: ``Field: value`` with continuation lines starting with a space."""
    for block in text.split("\n\n"):
        fields: dict[str, str] = {}
        key = None
        for line in block.splitlines():
            if line[:1] in (" ", "\t") and key is not None:
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                fields[key] = value.strip()
        if "Package" in fields:
            yield fields


# --- cleaning -------------------------------------------------------------------------------


def clean_tags(raw: str) -> tuple[str, ...]:
    """Category tags only: no ``special::*`` bookkeeping, no ``TODO`` placeholders."""
    tags = set()
    for tag in raw.replace("\n", " ").split(","):
        tag = tag.strip()
        if not tag or "::" not in tag:
            continue
        facet, _, value = tag.partition("::")
        if facet == "special" or value == "TODO" or value.endswith(":TODO"):
            continue
        tags.add(tag)
    return tuple(sorted(tags))


def count_depends(raw: str) -> int:
    """Entries of ``Depends`` (``a | b`` alternatives count once)."""
    return sum(1 for part in raw.split(",") if part.strip())


def to_package(fields: dict[str, str], rank: int) -> Package | None:
    tags = clean_tags(fields.get("Tag", ""))
    if not tags:
        return None
    size = fields.get("Installed-Size", "").strip()
    return Package(
        package=fields["Package"],
        version=fields.get("Version", "0"),
        description=" ".join(fields.get("Description", "").splitlines()[:1]).strip(),
        section=fields.get("Section", ""),
        installed_size_kb=float(size) if size.isdigit() else 0.0,
        n_depends=count_depends(fields.get("Depends", "")),
        tags=tags,
        rank=rank,
    )


# --- Debian version order (dpkg's algorithm), to keep the newest of duplicate entries --------


_NONDIGITS = re.compile(r"[^0-9]*")
_DIGITS = re.compile(r"[0-9]*")


def _order(c: str) -> int:
    if c == "~":
        return -1
    if c.isdigit():
        return 0
    if c.isalpha():
        return ord(c)
    return ord(c) + 256


def _compare_part(a: str, b: str) -> int:
    """Alternate non-digit runs (compared by ``_order``) and digit runs (compared as numbers)."""
    while a or b:
        na, nb = _NONDIGITS.match(a).group(), _NONDIGITS.match(b).group()  # type: ignore[union-attr]
        for i in range(max(len(na), len(nb))):
            oa = _order(na[i]) if i < len(na) else 0
            ob = _order(nb[i]) if i < len(nb) else 0
            if oa != ob:
                return -1 if oa < ob else 1
        a, b = a[len(na) :], b[len(nb) :]
        da, db = _DIGITS.match(a).group(), _DIGITS.match(b).group()  # type: ignore[union-attr]
        if int(da or 0) != int(db or 0):
            return -1 if int(da or 0) < int(db or 0) else 1
        a, b = a[len(da) :], b[len(db) :]
    return 0


def compare_versions(a: str, b: str) -> int:
    """-1, 0 or 1 as ``dpkg --compare-versions`` orders epoch:upstream-revision."""

    def split(v: str) -> tuple[int, str, str]:
        epoch, _, rest = v.rpartition(":") if ":" in v else ("0", "", v)
        upstream, _, revision = rest.rpartition("-") if "-" in rest else (rest, "", "0")
        return int(epoch or 0), upstream, revision

    ea, ua, ra = split(a)
    eb, ub, rb = split(b)
    if ea != eb:
        return -1 if ea < eb else 1
    return _compare_part(ua, ub) or _compare_part(ra, rb)


def prefer(new: Package, old: Package) -> bool:
    """The main archive's entry wins; within one archive, the newest version."""
    if new.rank != old.rank:
        return new.rank < old.rank
    return compare_versions(new.version, old.version) > 0


def collect(lists: Path) -> list[Package]:
    chosen: dict[str, Package] = {}
    for path in list_files(lists):
        rank = 1 if SECONDARY_SUITE.search(path.name) else 0
        for fields in paragraphs(read_text(path)):
            pkg = to_package(fields, rank)
            if pkg is None:
                continue
            old = chosen.get(pkg.package)
            if old is None or prefer(pkg, old):
                chosen[pkg.package] = pkg
    return [chosen[name] for name in sorted(chosen)]


# --- writing --------------------------------------------------------------------------------


def write_gzip(path: Path, text: str) -> None:
    """Byte-identical on rebuild: no timestamp and no file name in the gzip header."""
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
        gz.write(text.encode("utf-8"))


def jsonl_text(packages: list[Package]) -> str:
    lines = (json.dumps(p.record(), ensure_ascii=False, separators=(",", ":")) for p in packages)
    return "".join(line + "\n" for line in lines)


def wide_text(packages: list[Package], min_positives: int) -> tuple[str, list[str]]:
    counts = Counter(t for p in packages for t in p.tags)
    wide = sorted(t for t, n in counts.items() if n >= min_positives)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([*WIDE_FIXED, *wide])
    for p in packages:
        have = set(p.tags)
        size = repr(p.installed_size_kb)
        writer.writerow([p.package, p.description, p.section, size, p.n_depends, *(int(t in have) for t in wide)])
    return buf.getvalue(), wide


def summary(packages: list[Package], wide: list[str]) -> str:
    counts = Counter(t for p in packages for t in p.tags)
    per_item = sorted(len(p.tags) for p in packages)
    wide_pos = sorted(counts[t] for t in wide) or [0]

    def q(xs: list[int], f: float) -> int:
        return xs[min(len(xs) - 1, int(f * (len(xs) - 1) + 0.5))]

    return "\n".join(
        [
            f"items: {len(packages)}",
            f"distinct tags (jsonl): {len(counts)}",
            "tags with >=1/10/50/200 positives: "
            + "/".join(str(sum(1 for n in counts.values() if n >= k)) for k in (1, 10, 50, 200)),
            f"wide csv label columns: {len(wide)}",
            f"positives per wide label: min {wide_pos[0]}, median {q(wide_pos, 0.5)}, max {wide_pos[-1]}",
            f"tags per item: min {per_item[0]}, median {q(per_item, 0.5)}, mean "
            f"{sum(per_item) / len(per_item):.2f}, max {per_item[-1]}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lists", type=Path, default=Path("/var/lib/apt/lists"))
    ap.add_argument("--out", type=Path, default=Path("specs/data"))
    ap.add_argument("--min-wide", type=int, default=200, help="positives a tag needs for a wide column")
    args = ap.parse_args(argv)

    packages = collect(args.lists)
    args.out.mkdir(parents=True, exist_ok=True)
    write_gzip(args.out / JSONL_NAME, jsonl_text(packages))
    text, wide = wide_text(packages, args.min_wide)
    write_gzip(args.out / WIDE_NAME, text)
    print(summary(packages, wide))
    return 0


if __name__ == "__main__":
    sys.exit(main())
