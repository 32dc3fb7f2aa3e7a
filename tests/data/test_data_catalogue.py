"""The shipped catalogue: the build script on real index stanzas, and the shipped files' round trip."""

from __future__ import annotations

import csv
import functools
import gzip
import importlib.util
import io
import json
import shutil
import sys
import time
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from catalogue_fixtures import FIXTURES, columns_plan, data_plan, tags_plan

from alframe.data.load import load_dataset

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_JSONL = ROOT / "specs" / "data" / "debian-packages.jsonl.gz"
SHIPPED_WIDE = ROOT / "specs" / "data" / "debian-packages-wide.csv.gz"
APT_LISTS = FIXTURES / "apt-lists"
MAIN_LIST = "deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages"
SECURITY_LIST = "deb.debian.org_debian-security_dists_bookworm-security_main_binary-amd64_Packages.gz"


@functools.cache
def build_module() -> ModuleType:
    """The script, imported from its file (it is not part of the package)."""
    spec = importlib.util.spec_from_file_location("build_catalogue", ROOT / "scripts" / "build_catalogue.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file runs
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def lists(tmp_path: Path) -> Path:
    """Real main-archive stanzas, plus a security list repeating vim-tiny in a newer version."""
    folder = tmp_path / "lists"
    folder.mkdir()
    shutil.copy(APT_LISTS / MAIN_LIST, folder / MAIN_LIST)
    main = (APT_LISTS / MAIN_LIST).read_text()
    vim = next(s for s in main.split("\n\n") if s.startswith("Package: vim-tiny\n"))
    newer = vim.replace("Version: 2:9.0.1378-2", "Version: 2:9.0.1378-2+deb12u9").replace(
        "Description: Vi IMproved - enhanced vi editor - compact version", "Description: patched vim"
    )
    (folder / SECURITY_LIST).write_bytes(gzip.compress(newer.encode() + b"\n"))
    return folder


def read_jsonl(path: Path) -> list[dict[str, object]]:
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def test_build_cleans_deduplicates_and_sorts(lists: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build_module().main(["--lists", str(lists), "--out", str(out), "--min-wide", "2"]) == 0
    rows = read_jsonl(out / "debian-packages.jsonl.gz")
    names = [r["package"] for r in rows]
    assert names == sorted(names) == ["0ad", "0ad-data", "7zip", "a7xpg", "gimp", "linux-doc", "vim-tiny"]
    by_name = {r["package"]: r for r in rows}
    assert by_name["0ad"] == {
        "package": "0ad",
        "description": "Real-time strategy game of ancient warfare",
        "section": "games",
        "installed_size_kb": 28591.0,
        "n_depends": 26,
        "tags": [
            "game::strategy", "interface::graphical", "interface::x11", "role::program",
            "uitoolkit::sdl", "uitoolkit::wxwidgets", "use::gameplaying", "x11::application",
        ],
    }  # fmt: skip
    assert by_name["vim-tiny"]["description"] == "Vi IMproved - enhanced vi editor - compact version"  # main wins
    for r in rows:
        assert all("TODO" not in t and not t.startswith("special::") for t in r["tags"])  # type: ignore[union-attr]
        assert r["tags"] == sorted(set(r["tags"]))  # type: ignore[arg-type]
    # 2048 has no Tag field and algol68g only TODO tags: neither is an item
    assert "2048" not in by_name and "algol68g" not in by_name


def test_build_is_byte_identical_and_the_wide_file_agrees(lists: Path, tmp_path: Path) -> None:
    build = build_module()
    build.main(["--lists", str(lists), "--out", str(tmp_path / "a"), "--min-wide", "2"])
    build.main(["--lists", str(lists), "--out", str(tmp_path / "b"), "--min-wide", "2"])
    for name in ("debian-packages.jsonl.gz", "debian-packages-wide.csv.gz"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    rows = read_jsonl(tmp_path / "a" / "debian-packages.jsonl.gz")
    with gzip.open(tmp_path / "a" / "debian-packages-wide.csv.gz", "rt", encoding="utf-8") as fh:
        table = list(csv.reader(io.StringIO(fh.read())))
    header, body = table[0], table[1:]
    assert header[:5] == ["package", "description", "section", "installed_size_kb", "n_depends"]
    tags = header[5:]
    counts = {t: sum(t in r["tags"] for r in rows) for t in tags}  # type: ignore[operator]
    assert tags == sorted(tags) and all(c >= 2 for c in counts.values())
    for r, line in zip(rows, body):
        assert line[0] == r["package"]
        assert {t for t, v in zip(tags, line[5:]) if v == "1"} == set(r["tags"]) & set(tags)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("a", "b", "order"),
    [
        ("6.1.170-3", "6.1.176-1", -1),
        ("1.0~rc1", "1.0", -1),
        ("1:0.1", "2.0", 1),
        ("1.0", "1.0", 0),
        ("1.0+b1", "1.0", 1),
        ("2:9.0.1378-2+deb12u9", "2:9.0.1378-2", 1),
        ("1.10", "1.9", 1),
        ("1.0a", "1.0", 1),
    ],
)
def test_debian_version_order(a: str, b: str, order: int) -> None:
    compare = build_module().compare_versions
    assert compare(a, b) == order and compare(b, a) == -order


# --- the shipped files ----------------------------------------------------------------------


def test_shipped_files_load_and_agree() -> None:
    start = time.perf_counter()
    jsonl = load_dataset(
        data_plan(SHIPPED_JSONL, text_fields=("description", "section")), tags_plan(min_positives=200)
    )
    took_jsonl = time.perf_counter() - start
    start = time.perf_counter()
    wide = load_dataset(data_plan(SHIPPED_WIDE, text_fields=("description", "section")), columns_plan("*::*"))
    took_wide = time.perf_counter() - start
    print(f"\nloaded {jsonl.n_items} items: jsonl.gz {took_jsonl:.2f}s, wide csv.gz {took_wide:.2f}s")

    assert 25_000 < jsonl.n_items < 40_000 and jsonl.n_items == wide.n_items
    assert 40 <= jsonl.n_labels <= 150 and jsonl.label_names == wide.label_names
    assert jsonl.ids == sorted(set(jsonl.ids)) == wide.ids
    assert np.array_equal(jsonl.labels, wide.labels)
    assert np.array_equal(jsonl.numeric, wide.numeric)  # type: ignore[arg-type]
    assert jsonl.texts == wide.texts and jsonl.warnings == [] == wide.warnings
    positives = (jsonl.labels == 1).sum(axis=0)
    assert positives.min() >= 200 and (jsonl.labels >= 0).all()
    assert 0.15 < len(jsonl.test_idx) / jsonl.n_items < 0.25
    again = load_dataset(
        data_plan(SHIPPED_JSONL, text_fields=("description", "section")), tags_plan(min_positives=200)
    )
    assert again.fingerprint == jsonl.fingerprint and np.array_equal(again.test_idx, jsonl.test_idx)


def test_shipped_jsonl_fields_are_as_documented() -> None:
    rows = read_jsonl(SHIPPED_JSONL)
    readme = (ROOT / "specs" / "data" / "README.md").read_text()
    assert f"{len(rows):,} real items" in readme
    for r in rows[:: max(1, len(rows) // 500)]:
        assert set(r) == {"package", "description", "section", "installed_size_kb", "n_depends", "tags"}
        assert isinstance(r["installed_size_kb"], float) and isinstance(r["n_depends"], int)
        assert r["tags"] and all("::" in t and "TODO" not in t for t in r["tags"])  # type: ignore[union-attr]
