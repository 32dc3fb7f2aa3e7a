#!/usr/bin/env python3
"""Build the second shipped real data set from FOLDOC, the Free On-line Dictionary of Computing.

FOLDOC is a real, hand-curated text collection of ~12k computing terms, and most of its
entries open with subject tags in angle brackets (``<programming>``, ``<language, data>``),
which an editor chose from a shared vocabulary: independent yes/no labels over real text, with
the long tail that real catalogues have. Debian packages it as ``dict-foldoc`` (the dictd
format), so it installs offline from the package index like the shipped catalogue's apt lists::

    apt-get install -y dict-foldoc

This script turns ``foldoc.dict.dz`` and ``foldoc.index`` into ``foldoc.jsonl.gz`` under
``--out``: one JSON object per tagged entry, sorted by term, for ``labels from "tags"``.

- ``term``: the entry's headword as FOLDOC writes it (unique);
- ``aliases``: the other headwords of the same entry (abbreviations, spellings), a list;
- ``definition``: the body without its tag prefixes, ``{cross references}`` reduced to their
  text, last-updated dates such as ``(1994-11-08)`` dropped, each paragraph on one line
  (indented, pre-formatted paragraphs keep their lines), paragraphs separated by a blank line;
- ``tags``: the subject tags of the entry, sorted. An entry with numbered senses
  (``1. <language> … 2. <theory> …``) has the union of its senses' tags.

Entries without a tag are dropped (a third of them: jargon and cross-reference stubs), and so
are the dictionary's own ``<introduction>`` pages and the Debian package's supplement
(``Dictionary.debian``, appended at the end of the file under a different licence), so that
everything kept is FOLDOC's own text under the GNU FDL.

Standard library only, offline, deterministic: the same package gives a byte-identical file
(rows sorted, gzip written with ``mtime=0`` and no file name in its header).

    python scripts/build_foldoc.py [--dict /usr/share/dictd/foldoc.dict.dz] [--out specs/data]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

JSONL_NAME = "foldoc.jsonl.gz"
DEFAULT_DICT = Path("/usr/share/dictd/foldoc.dict.dz")

#: dictd's base64 alphabet for offsets and lengths in the ``.index`` file (no padding).
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
#: Where the Debian package's own supplement starts (everything from it on is not FOLDOC's).
SUPPLEMENT_HEAD = "Dictionary.debian"
#: Meta pages about the dictionary itself, not computing terms.
DROPPED_TAGS = frozenset({"introduction"})

#: A paragraph that opens with subject tags, optionally after a sense number: ``2. <a, b> ``.
#: A tag is words, spaces and hyphens only, so HTML in examples (``<a href="…">``) is no tag.
_TAG_NAME = r"[A-Za-z][A-Za-z0-9 '+/-]*"
_TAGGED = re.compile(rf"^(?P<num>\d+\.\s+)?<(?P<tags>{_TAG_NAME}(?:,\s*{_TAG_NAME})*)>\s*")
_XREF = re.compile(r"\{([^{}]*)\}")
_DATE = re.compile(r"\s*\(\d{4}-\d{2}-\d{2}\)")


@dataclass(frozen=True)
class Entry:
    term: str
    aliases: tuple[str, ...]
    definition: str
    tags: tuple[str, ...]

    def record(self) -> dict[str, object]:
        return {
            "term": self.term,
            "aliases": list(self.aliases),
            "definition": self.definition,
            "tags": list(self.tags),
        }


# --- reading the dictd files ----------------------------------------------------------------


def b64_number(text: str) -> int:
    """dictd's offsets and lengths: base64 digits, most significant first."""
    n = 0
    for ch in text:
        n = n * 64 + _B64.index(ch)
    return n


def blocks(dict_path: Path, index_path: Path) -> Iterator[str]:
    """Each distinct entry of the dictionary in file order (the index names one entry once per
    headword; entries are contiguous, so the distinct spans cover the file)."""
    with gzip.open(dict_path, "rb") as fh:  # dictzip is a gzip stream with a random-access table
        data = fh.read()
    spans = set()
    with open(index_path, encoding="utf-8") as fh:
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) == 3:
                spans.add((b64_number(parts[1]), b64_number(parts[2])))
    for start, length in sorted(spans):
        yield data[start : start + length].decode("utf-8")


# --- cleaning -------------------------------------------------------------------------------


def clean_text(text: str) -> str:
    """Cross references reduced to their text, last-updated dates dropped (a pre-formatted
    paragraph keeps the indentation of its first line)."""
    prev = None
    while prev != text:  # a reference may hold another: {a {b} c}
        prev, text = text, _XREF.sub(r"\1", text)
    return _DATE.sub("", text).rstrip()


def paragraphs(body: str) -> list[list[str]]:
    """The body's paragraphs (runs of non-blank lines), each a list of its lines."""
    out: list[list[str]] = []
    current: list[str] = []
    for line in body.splitlines():
        if line.strip():
            current.append(line.rstrip())
        elif current:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def to_entry(block: str) -> Entry | None:
    """One dictd block (headwords, a blank line, the indented body) as an entry, or None when
    it carries no subject tag."""
    head, _, body = block.partition("\n\n")
    names = [h.strip() for h in head.splitlines() if h.strip()]
    paras = paragraphs(body)
    if not names or not paras:
        return None
    # the body's indentation: the most common one (a few lines of FOLDOC start at column 0)
    base = Counter(indent_of(line) for lines in paras for line in lines).most_common(1)[0][0]
    tags: set[str] = set()
    texts: list[str] = []
    for i, lines in enumerate(paras):
        first = lines[0].strip()
        match = _TAGGED.match(first)
        # tags open the body or a numbered sense; a tag-like word elsewhere is text
        if match and (i == 0 or match.group("num")):
            tags.update(t.strip() for t in match.group("tags").split(","))
            first = (match.group("num") or "") + first[match.end() :]
        if all(indent_of(line) <= base for line in lines):
            text = " ".join([first, *(line.strip() for line in lines[1:])])
        else:  # pre-formatted (a table, code): keep its lines, less the body's indentation
            head = first if match and (i == 0 or match.group("num")) else lines[0][base:]
            text = "\n".join([head, *(line[base:] for line in lines[1:])])
        text = clean_text(text)
        if text:
            texts.append(text)
    tags = {t for t in tags if t}
    if not tags or tags & DROPPED_TAGS:
        return None
    return Entry(names[0], tuple(names[1:]), "\n\n".join(texts).lstrip(), tuple(sorted(tags)))


def collect(dict_path: Path, index_path: Path) -> list[Entry]:
    chosen: dict[str, Entry] = {}
    for block in blocks(dict_path, index_path):
        if block.split("\n", 1)[0].strip() == SUPPLEMENT_HEAD:
            break  # the Debian supplement and dictd's metadata follow; none of it is FOLDOC's
        entry = to_entry(block)
        if entry is None:
            continue
        old = chosen.get(entry.term)
        if old is not None:  # one headword written twice: one item with both bodies and tags
            entry = Entry(
                entry.term,
                tuple(sorted(set(old.aliases) | set(entry.aliases))),
                old.definition + "\n\n" + entry.definition,
                tuple(sorted(set(old.tags) | set(entry.tags))),
            )
        chosen[entry.term] = entry
    return [chosen[term] for term in sorted(chosen)]


# --- writing --------------------------------------------------------------------------------


def write_gzip(path: Path, text: str) -> None:
    """Byte-identical on rebuild: no timestamp and no file name in the gzip header."""
    with open(path, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
        gz.write(text.encode("utf-8"))


def jsonl_text(entries: list[Entry]) -> str:
    lines = (json.dumps(e.record(), ensure_ascii=False, separators=(",", ":")) for e in entries)
    return "".join(line + "\n" for line in lines)


def summary(entries: list[Entry]) -> str:
    counts = Counter(t for e in entries for t in e.tags)
    per_item = sorted(len(e.tags) for e in entries)
    chars = sorted(len(e.definition) for e in entries)

    def q(xs: list[int], f: float) -> int:
        return xs[min(len(xs) - 1, int(f * (len(xs) - 1) + 0.5))]

    top = ", ".join(f"{t} {n}" for t, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:5])
    return "\n".join(
        [
            f"items: {len(entries)}",
            f"distinct tags: {len(counts)}",
            "tags with >=1/10/50/200 positives: "
            + "/".join(str(sum(1 for n in counts.values() if n >= k)) for k in (1, 10, 50, 200)),
            f"most frequent: {top}",
            f"tags per item: min {per_item[0]}, median {q(per_item, 0.5)}, mean "
            f"{sum(per_item) / len(per_item):.2f}, max {per_item[-1]}",
            f"definition characters: median {q(chars, 0.5)}, max {chars[-1]}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dict", type=Path, default=DEFAULT_DICT, help="foldoc.dict.dz (the index beside it)")
    ap.add_argument("--index", type=Path, default=None, help="foldoc.index (default: beside --dict)")
    ap.add_argument("--out", type=Path, default=Path("specs/data"))
    args = ap.parse_args(argv)

    if not args.dict.exists():
        raise SystemExit(f"{args.dict}: not found (apt-get install dict-foldoc)")
    index = args.index or args.dict.with_name(args.dict.name.split(".", 1)[0] + ".index")
    entries = collect(args.dict, index)
    args.out.mkdir(parents=True, exist_ok=True)
    write_gzip(args.out / JSONL_NAME, jsonl_text(entries))
    print(summary(entries))
    return 0


if __name__ == "__main__":
    sys.exit(main())
