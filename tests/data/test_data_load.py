"""load_dataset on a real cut of the catalogue: items, texts, numbers, label space, split."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pytest
from catalogue_fixtures import JSONL, WIDE, WIDE_LABELS, columns_plan, data_plan, records, tags_plan

from alframe.data.load import load_dataset
from alframe.errors import DataError


def test_jsonl_list_labels_match_the_file() -> None:
    ds = load_dataset(data_plan(JSONL), tags_plan())
    rows = {r["package"]: r for r in records()}
    assert ds.ids == sorted(rows)
    assert ds.label_names == sorted({t for r in rows.values() for t in r["tags"]})  # type: ignore[union-attr]
    assert ds.labels.dtype == np.int8 and ds.labels.shape == (41, ds.n_labels)
    for i, item in enumerate(ds.ids):
        tags = set(rows[item]["tags"])  # type: ignore[arg-type]
        assert {ds.label_names[j] for j in np.flatnonzero(ds.labels[i])} == tags
    assert ds.texts[ds.index_of("0ad")] == "Real-time strategy game of ancient warfare"
    assert ds.numeric is not None and ds.numeric.dtype == np.float32
    assert ds.numeric_names == ["installed_size_kb", "n_depends"]
    assert ds.numeric[ds.index_of("0ad")].tolist() == [28591.0, 26.0]


def test_text_fields_are_joined_in_spec_order() -> None:
    ds = load_dataset(data_plan(JSONL, text_fields=("section", "description")), tags_plan())
    assert ds.texts[ds.index_of("0ad")] == "games | Real-time strategy game of ancient warfare"


def test_wide_csv_equals_the_list_column_on_the_same_labels() -> None:
    from_list = load_dataset(data_plan(JSONL), tags_plan(names=WIDE_LABELS))
    from_cols = load_dataset(data_plan(WIDE), columns_plan())
    assert from_cols.label_names == list(WIDE_LABELS) == from_list.label_names
    assert from_cols.ids == from_list.ids
    assert np.array_equal(from_cols.labels, from_list.labels)
    assert np.array_equal(from_cols.numeric, from_list.numeric)  # type: ignore[arg-type]
    assert from_cols.texts == from_list.texts
    assert np.array_equal(from_cols.test_idx, from_list.test_idx)


def test_gzip_reads_the_same_items(tmp_path: Path) -> None:
    gz = tmp_path / "packages.jsonl.gz"
    gz.write_bytes(gzip.compress(JSONL.read_bytes()))
    a = load_dataset(data_plan(JSONL), tags_plan())
    b = load_dataset(data_plan(gz), tags_plan())
    assert a.ids == b.ids and np.array_equal(a.labels, b.labels) and a.texts == b.texts


# --- label space ----------------------------------------------------------------------------


def _positives(ds_names: list[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for r in records():
        for t in r["tags"]:  # type: ignore[union-attr]
            counts[t] = counts.get(t, 0) + 1
    return {n: counts[n] for n in ds_names}


def test_min_positives_counts_the_whole_file() -> None:
    ds = load_dataset(data_plan(JSONL), tags_plan(min_positives=5))
    assert ds.label_names == sorted(n for n, c in _positives(_all_tags()).items() if c >= 5)
    assert ds.label_names  # the cut has several labels with >= 5 positives


def _all_tags() -> list[str]:
    return sorted({t for r in records() for t in r["tags"]})  # type: ignore[union-attr]


def test_include_exclude_and_max_labels() -> None:
    ds = load_dataset(data_plan(JSONL), tags_plan(include=("role::*", "devel::*"), exclude=("devel::lang:*",)))
    assert ds.label_names == [t for t in _all_tags() if t.startswith(("role::", "devel::")) and not t.startswith("devel::lang:")]
    top = load_dataset(data_plan(JSONL), tags_plan(max_labels=3))
    assert top.label_names == ["devel::library", "role::program", "role::shared-lib"]  # 11, 14, 16 positives


def test_max_labels_breaks_ties_by_name() -> None:
    counts = _positives(_all_tags())
    ds = load_dataset(data_plan(JSONL), tags_plan(max_labels=8))
    ranked = sorted(counts, key=lambda n: (-counts[n], n))[:8]
    assert ds.label_names == sorted(ranked)


def test_explicit_names_keep_exactly_those() -> None:
    ds = load_dataset(data_plan(JSONL), tags_plan(names=("role::program", "game::strategy"), min_positives=50))
    assert ds.label_names == ["game::strategy", "role::program"]


def test_columns_by_name_and_glob() -> None:
    ds = load_dataset(data_plan(WIDE), columns_plan("role::*", "scope::utility"))
    assert ds.label_names == ["role::devel-lib", "role::program", "role::shared-lib", "scope::utility"]


def test_a_glob_never_picks_the_id_text_or_numeric_fields() -> None:
    ds = load_dataset(data_plan(WIDE, text_fields=("description", "section")), columns_plan("*"))
    assert ds.label_names == list(WIDE_LABELS)


def test_empty_label_space_says_what_each_filter_removed() -> None:
    with pytest.raises(DataError) as err:
        load_dataset(data_plan(JSONL), tags_plan(include=("role::*",), min_positives=100))
    msg = err.value.message
    assert "no labels left" in msg and f"{len(_all_tags())} candidate" in msg
    n_role = sum(1 for t in _all_tags() if t.startswith("role::"))
    assert f"removed {len(_all_tags()) - n_role}" in msg and f"min_positives 100 removed {n_role}" in msg


def test_zero_positive_label_is_a_warning(tmp_path: Path) -> None:
    ds = load_dataset(data_plan(WIDE), columns_plan(*WIDE_LABELS, min_positives=0))
    assert ds.n_labels == 8
    one = tmp_path / "zero.csv"
    lines = WIDE.read_text().splitlines()
    header = lines[0].split(",")
    col = header.index("use::gameplaying")
    body = []
    for line in lines[1:]:
        if line.startswith("0ad,"):
            cells = line.split(",")
            cells[col] = "0"
            line = ",".join(cells)
        body.append(line)
    one.write_text("\n".join([lines[0], *body]) + "\n")
    ds = load_dataset(data_plan(one), columns_plan(*WIDE_LABELS, min_positives=0))
    assert ds.labels[:, ds.label_names.index("use::gameplaying")].max() == 0
    assert any("no positive in the data" in w and "'use::gameplaying'" in w for w in ds.warnings)


# --- unknowns, vectors, duplicates ----------------------------------------------------------


def test_unknown_cells_are_minus_one(tmp_path: Path) -> None:
    rows = records()
    rows[0]["tags"] = None
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ds = load_dataset(data_plan(path), tags_plan())
    assert (ds.labels[ds.index_of(str(rows[0]["package"]))] == -1).all()

    lines = WIDE.read_text().splitlines()
    cells = lines[1].split(",")
    cells[5], cells[6] = "?", "unknown"
    lines[1] = ",".join(cells)
    csv_path = tmp_path / "w.csv"
    csv_path.write_text("\n".join(lines) + "\n")
    ds = load_dataset(data_plan(csv_path), columns_plan())
    row = ds.labels[ds.index_of(cells[0])]
    assert row[0] == -1 and row[1] == -1 and set(row[2:].tolist()) <= {0, 1}


def test_list_column_as_separated_string_in_csv(tmp_path: Path) -> None:
    path = tmp_path / "tags.csv"
    path.write_text(
        "package,description,tags\n"
        'vim-tiny,Vi IMproved - enhanced vi editor - compact version,"role::program;use::editing"\n'
        "2048,Slide and add puzzle game for text mode,[]\n"
        "gimp,GNU Image Manipulation Program,?\n"
    )
    ds = load_dataset(data_plan(path, numeric_fields=()), tags_plan(min_positives=0, separator=";"))
    assert ds.label_names == ["role::program", "use::editing"]
    assert ds.labels.tolist() == [[0, 0], [-1, -1], [1, 1]]  # ids sorted: 2048, gimp, vim-tiny
    assert ds.numeric is None and ds.numeric_names == []


def test_vector_fields_expand_into_columns(tmp_path: Path) -> None:
    rows = records()[:6]
    for k, r in enumerate(rows):
        r["emb"] = [k, k + 0.5, -k]
    path = tmp_path / "v.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    ds = load_dataset(data_plan(path, numeric_fields=("n_depends", "emb"), test_fraction=0.0), tags_plan())
    assert ds.numeric_names == ["n_depends", "emb[0]", "emb[1]", "emb[2]"]
    first = ds.index_of(str(rows[1]["package"]))
    assert ds.numeric[first].tolist() == [float(rows[1]["n_depends"]), 1.0, 1.5, -1.0]  # type: ignore[index]

    csv_path = tmp_path / "v.csv"
    csv_path.write_text('package,description,emb,x::y\nb,two,"[3, 4]",1\na,one,"[1, 2]",0\n')
    ds = load_dataset(data_plan(csv_path, numeric_fields=("emb",)), columns_plan("x::y", min_positives=0))
    assert ds.numeric.tolist() == [[1.0, 2.0], [3.0, 4.0]]  # type: ignore[union-attr]


def test_identical_duplicates_are_kept_once_with_a_warning(tmp_path: Path) -> None:
    lines = JSONL.read_text().splitlines()
    path = tmp_path / "dup.jsonl"
    path.write_text("\n".join([*lines, lines[2]]) + "\n")
    ds = load_dataset(data_plan(path), tags_plan())
    assert ds.n_items == 41 and len(set(ds.ids)) == 41
    item = json.loads(lines[2])["package"]
    assert any(f"'{item}' (line 3 and line 42)" in w for w in ds.warnings)


# --- split, limit, fingerprint --------------------------------------------------------------


def test_fraction_split_is_deterministic_and_disjoint() -> None:
    a = load_dataset(data_plan(JSONL, test_fraction=0.25, test_seed=7), tags_plan())
    b = load_dataset(data_plan(JSONL, test_fraction=0.25, test_seed=7), tags_plan())
    c = load_dataset(data_plan(JSONL, test_fraction=0.25, test_seed=8), tags_plan())
    assert np.array_equal(a.test_idx, b.test_idx) and np.array_equal(a.pool_idx, b.pool_idx)
    assert not np.array_equal(a.test_idx, c.test_idx)
    assert len(a.test_idx) == 10 and len(a.pool_idx) == 31  # round(41 * 0.25)
    assert np.intersect1d(a.test_idx, a.pool_idx).size == 0
    assert np.array_equal(np.union1d(a.test_idx, a.pool_idx), np.arange(41))
    assert a.test_idx.dtype == np.int64 and (np.diff(a.test_idx) > 0).all()
    perm = np.random.default_rng(7).permutation(41)
    assert np.array_equal(a.test_idx, np.sort(perm[:10]))


def test_the_split_does_not_depend_on_file_order(tmp_path: Path) -> None:
    path = tmp_path / "reversed.jsonl"
    path.write_text("\n".join(reversed(JSONL.read_text().splitlines())) + "\n")
    a = load_dataset(data_plan(JSONL), tags_plan())
    b = load_dataset(data_plan(path), tags_plan())
    assert a.ids == b.ids and np.array_equal(a.test_idx, b.test_idx) and np.array_equal(a.labels, b.labels)


def test_separate_test_file(tmp_path: Path) -> None:
    lines = JSONL.read_text().splitlines()
    train, test = tmp_path / "train.jsonl", tmp_path / "test.jsonl"
    train.write_text("\n".join(lines[:30]) + "\n")
    test.write_text("\n".join(lines[30:]) + "\n")
    ds = load_dataset(data_plan(train, test_path=str(test)), tags_plan(min_positives=2))
    test_ids = {json.loads(x)["package"] for x in lines[30:]}
    assert {ds.ids[i] for i in ds.test_idx} == test_ids
    assert not ({ds.ids[i] for i in ds.pool_idx} & test_ids)
    assert ds.n_items == 41 and ds.ids == sorted(ds.ids)


def test_an_item_in_both_data_and_test_file_is_refused(tmp_path: Path) -> None:
    lines = JSONL.read_text().splitlines()
    train, test = tmp_path / "train.jsonl", tmp_path / "test.jsonl"
    train.write_text("\n".join(lines[:30]) + "\n")
    test.write_text("\n".join(lines[29:]) + "\n")
    with pytest.raises(DataError, match="both in the data file and in the test file") as err:
        load_dataset(data_plan(train, test_path=str(test)), tags_plan())
    assert err.value.path == str(test) and err.value.row == 1


def test_limit_reads_the_first_rows_of_the_file() -> None:
    ds = load_dataset(data_plan(JSONL, limit=10), tags_plan())
    assert ds.ids == sorted(str(r["package"]) for r in records()[:10])


def test_fingerprint_is_stable_and_tracks_what_matters(tmp_path: Path) -> None:
    base = load_dataset(data_plan(JSONL), tags_plan()).fingerprint
    assert base == load_dataset(data_plan(JSONL), tags_plan()).fingerprint
    copy = tmp_path / "copy.jsonl"
    copy.write_bytes(JSONL.read_bytes())
    assert load_dataset(data_plan(copy), tags_plan()).fingerprint == base  # bytes, not the path
    assert load_dataset(data_plan(JSONL), tags_plan(min_positives=2)).fingerprint != base
    assert load_dataset(data_plan(JSONL, test_seed=1), tags_plan()).fingerprint != base
    assert load_dataset(data_plan(JSONL, limit=40), tags_plan()).fingerprint != base
    copy.write_bytes(JSONL.read_bytes().replace(b"ancient warfare", b"ancient warfare!"))
    assert load_dataset(data_plan(copy), tags_plan()).fingerprint != base

