"""The second shipped data set, FOLDOC: the build script on dictd entries written here in
FOLDOC's own format, the shipped file through alframe's loader, its spec, and a byte-identical
rebuild from the Debian package when it is installed."""

from __future__ import annotations

import functools
import gzip
import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from alframe.compile import compile_file
from alframe.data.load import load_dataset
from alframe.plugins import load

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "specs" / "data" / "foldoc.jsonl.gz"
SPEC = ROOT / "specs" / "foldoc.al"
PACKAGE_DICT = Path("/usr/share/dictd/foldoc.dict.dz")
B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

# entries as FOLDOC writes them (headwords, a blank line, a body indented by three spaces)
ENTRIES = [
    ("abstract machine\n", "\n   1. <language> A processor design which is not intended to be\n"
     "   implemented as {hardware}.\n\n   2. <theory> A procedure for executing a set of\n"
     "   instructions in some formal language.\n\n   (1995-03-13)\n\n"),
    ("abstract data type\nADT\n", "\n   <programming> (ADT) A kind of {data abstraction} where a\n"
     "   type's internal form is hidden.\n\n    *# | + 0 -\n    ---|------\n\n   (2003-07-03)\n\n"),
    ("anchor\n", "\n   <hypertext, web> An area within the content of a {hypertext\n"
     "   node}, e.g. <a name=\"baz\">.\n\n   <a href=\"x\"> is not a tag here.\n\n   (1999-01-01)\n\n"),
    ("sandbender\n", "\n   [IBM] A person involved with silicon lithography.\n\n"),  # no tag: dropped
    ("Missing definition\nmissing\n", "\n   <introduction> First, this is a computing dictionary.\n\n"),
    ("Dictionary.debian  \n", "\n  The following definitions are Copyright 2000 - 2003.\n\n"),
    ("developer\n", "\n       <Debian> A member of the Debian project.\n\n"),  # supplement: dropped
]


def b64(n: int) -> str:
    out = ""
    while True:
        out = B64[n % 64] + out
        n //= 64
        if not n:
            return out


@functools.cache
def build_module() -> ModuleType:
    """The script, imported from its file (it is not part of the package)."""
    spec = importlib.util.spec_from_file_location("build_foldoc", ROOT / "scripts" / "build_foldoc.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


def write_dict(folder: Path) -> Path:
    """``foldoc.dict.dz`` and ``foldoc.index`` as dictd's tools write them: one index line per
    headword (lower-cased), pointing at its entry by base64 offset and length."""
    data, lines = b"", []
    for head, body in ENTRIES:
        block = (head + body).encode()
        lines += [f"{name.strip().lower()}\t{b64(len(data))}\t{b64(len(block))}" for name in head.splitlines()]
        data += block
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "foldoc.dict.dz").write_bytes(gzip.compress(data, mtime=0))
    (folder / "foldoc.index").write_text("\n".join(sorted(lines)) + "\n")
    return folder / "foldoc.dict.dz"


def read_jsonl(path: Path) -> list[dict[str, object]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def test_build_reads_tags_cleans_text_and_drops_what_is_not_foldoc(tmp_path: Path) -> None:
    dict_path = write_dict(tmp_path / "dictd")
    out = tmp_path / "out"
    assert build_module().main(["--dict", str(dict_path), "--out", str(out)]) == 0
    rows = read_jsonl(out / "foldoc.jsonl.gz")
    assert [r["term"] for r in rows] == ["abstract data type", "abstract machine", "anchor"]  # sorted
    by = {r["term"]: r for r in rows}
    assert by["abstract machine"] == {
        "term": "abstract machine",
        "aliases": [],
        "definition": "1. A processor design which is not intended to be implemented as hardware.\n\n"
                      "2. A procedure for executing a set of instructions in some formal language.",
        "tags": ["language", "theory"],  # one tag per sense, united
    }
    adt = by["abstract data type"]
    assert adt["aliases"] == ["ADT"] and adt["tags"] == ["programming"]
    # the pre-formatted table keeps its lines (less the body's indentation); the date is gone
    assert adt["definition"] == ("(ADT) A kind of data abstraction where a type's internal form is hidden.\n\n"
                                 " *# | + 0 -\n ---|------")
    # two tags in one bracket; HTML in the text (first paragraph or later) is never a tag
    assert by["anchor"]["tags"] == ["hypertext", "web"]
    assert by["anchor"]["definition"].endswith('<a href="x"> is not a tag here.')


def test_build_is_byte_identical(tmp_path: Path) -> None:
    dict_path = write_dict(tmp_path / "dictd")
    for name in ("a", "b"):
        assert build_module().main(["--dict", str(dict_path), "--out", str(tmp_path / name)]) == 0
    first = (tmp_path / "a" / "foldoc.jsonl.gz").read_bytes()
    assert first == (tmp_path / "b" / "foldoc.jsonl.gz").read_bytes()
    assert first[4:8] == b"\0\0\0\0"  # gzip mtime 0


def test_the_shipped_file_loads_with_its_spec() -> None:
    registry = load(autoload=False).registry
    plan = compile_file(SPEC, registry)  # what `alframe check specs/foldoc.al` does
    assert plan.cost.item == 1.0 and plan.cost.cell == 0.1
    ds = load_dataset(plan.data, plan.labels)
    assert ds.n_items == 8442 and ds.n_labels == 45
    assert len(ds.pool_idx) == 6754
    rows = read_jsonl(SHIPPED)
    terms = [r["term"] for r in rows]
    assert terms == sorted(terms) and len(set(terms)) == len(terms)
    assert all(r["tags"] and r["definition"] for r in rows)
    assert SHIPPED.stat().st_size < 3_000_000


@pytest.mark.skipif(not PACKAGE_DICT.exists(), reason="dict-foldoc is not installed (apt-get install dict-foldoc)")
def test_the_shipped_file_rebuilds_byte_for_byte(tmp_path: Path) -> None:
    assert build_module().main(["--dict", str(PACKAGE_DICT), "--out", str(tmp_path)]) == 0
    assert (tmp_path / "foldoc.jsonl.gz").read_bytes() == SHIPPED.read_bytes()
