"""Issue 10, items 1 and 2: a data file without labels (a cold start) and what the run says about
its data as it starts. Each case is the real catalogue cut with its labels taken away."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from catalogue_fixtures import JSONL, data_plan, records, tags_plan

from alframe.data.labels import misparsed_separator
from alframe.data.load import load_dataset
from alframe.errors import DataError


def unlabelled(tmp_path: Path, how: str = "missing") -> Path:
    """The JSONL cut with every item's tags taken away: the key left out, or null."""
    path = tmp_path / "pool.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for r in records():
            if how == "missing":
                r.pop("tags")
            else:
                r["tags"] = None
            f.write(json.dumps(r) + "\n")
    return path


def _renamed_test(tmp_path: Path) -> Path:
    path = tmp_path / "test.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for r in records():
            r["package"] = "test-" + str(r["package"])
            f.write(json.dumps(r) + "\n")
    return path


@pytest.mark.parametrize("how", ["missing", "null"])
def test_label_space_from_the_test_file_and_pool_cells_unknown(tmp_path: Path, how: str) -> None:
    pool, test = unlabelled(tmp_path, how), _renamed_test(tmp_path)
    ds = load_dataset(data_plan(pool, test_path=str(test)), tags_plan(min_positives=3))
    counts: dict[str, int] = {}
    for r in records():
        for t in r["tags"]:  # type: ignore[union-attr]
            counts[t] = counts.get(t, 0) + 1
    assert ds.label_names == sorted(t for t, c in counts.items() if c >= 3)
    assert (ds.labels[ds.pool_idx] == -1).all()  # unknown, never 0
    assert (ds.labels[ds.test_idx] >= 0).all()
    assert ds.notes[0].startswith(f"labels: {len(ds.label_names)} found in the test file (the data file holds no labels)")
    assert "min_positives 3 removed" in ds.notes[0]
    assert "items: 41 in the pool (0 labelled: a cold start" in ds.notes[1]
    assert "41 in the test split from test.jsonl (41 labelled)" in ds.notes[1]
    assert len(ds.notes) == 2  # test metrics can be computed


def test_names_in_the_spec_with_no_test_split(tmp_path: Path) -> None:
    pool = unlabelled(tmp_path, "null")
    ds = load_dataset(data_plan(pool, test_fraction=0.0), tags_plan(names=("role::program", "brand-new::label")))
    assert ds.label_names == ["brand-new::label", "role::program"]  # nothing to check them against
    assert len(ds.test_idx) == 0 and len(ds.pool_idx) == 41
    assert ds.notes[0] == "labels: 2 named in the spec"
    assert "no test split" in ds.notes[1]
    assert ds.notes[2].startswith("no labelled test items: alframe cannot report test metrics")


def test_a_name_absent_from_a_labelled_test_file_is_a_warning_with_a_suggestion(tmp_path: Path) -> None:
    pool, test = unlabelled(tmp_path), _renamed_test(tmp_path)
    ds = load_dataset(data_plan(pool, test_path=str(test)), tags_plan(names=("role::program", "role::programs")))
    assert any("'role::programs' named in the spec occurs in no labelled item (did you mean 'role::program'?)" in w
               for w in ds.warnings)


def test_a_labelled_pool_still_refuses_a_misspelt_name() -> None:
    with pytest.raises(DataError, match="'role::programs' named in the spec does not occur in the data"):
        load_dataset(data_plan(JSONL), tags_plan(names=("role::program", "role::programs")))


def test_no_label_space_anywhere_says_what_to_give(tmp_path: Path) -> None:
    with pytest.raises(DataError) as err:
        load_dataset(data_plan(unlabelled(tmp_path), test_fraction=0.0), tags_plan())
    assert "no labels left: the data has 0 candidate label(s)" in err.value.message
    assert err.value.hint and "names [" in err.value.hint and "test file" in err.value.hint


def test_a_test_fraction_of_an_unlabelled_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DataError) as err:
        load_dataset(data_plan(unlabelled(tmp_path), test_fraction=0.2), tags_plan(names=("role::program",)))
    assert err.value.code == "D220" and "could never be scored" in err.value.message
    assert err.value.hint and "test fraction 0" in err.value.hint


def test_a_csv_without_the_label_column_is_unlabelled_and_says_so(tmp_path: Path) -> None:
    path = tmp_path / "pool.csv"
    path.write_text("package,description\nvim-tiny,Vi IMproved\n2048,Slide and add puzzle game\n", encoding="utf-8")
    ds = load_dataset(data_plan(path, numeric_fields=(), test_fraction=0.0), tags_plan(column="tag", names=("a",)))
    assert ds.labels.tolist() == [[-1], [-1]]
    assert any("has no field 'tag'" in w and "unlabelled" in w for w in ds.warnings)


def test_a_joined_tag_field_without_its_separator_is_warned_about(tmp_path: Path) -> None:
    path = tmp_path / "tags.csv"
    rows = ["package,description,tags"]
    for r in records():
        rows.append(f'{r["package"]},"{r["description"]}",{"|".join(r["tags"])}')  # type: ignore[arg-type]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    ds = load_dataset(data_plan(path, numeric_fields=()), tags_plan())
    warning = next(w for w in ds.warnings if "Did you mean separator" in w)
    assert "hold '|'" in warning and 'separator "|"' in warning
    fixed = load_dataset(data_plan(path, numeric_fields=()), tags_plan(separator="|"))
    assert not any("Did you mean separator" in w for w in fixed.warnings)


def test_misparsed_separator_rule() -> None:
    assert misparsed_separator(["a|b", "b|c", "a|c", "a"], ",") is not None
    assert misparsed_separator(["a;b", "b;c", "a;c|d"], ",") is not None
    assert misparsed_separator(["sci/tech", "art/design", "a/b", "x"], ",") is None  # names, not joins
    assert misparsed_separator(["a/b", "a", "b", "c/d", "c", "d", "a/c"], ",") is not None
    assert misparsed_separator(["role::program", "role::devel-lib", "use::editing"], ",") is None
    assert misparsed_separator(["a|b", "b|c", "a|c"], "|") is None


def test_a_misspelt_label_field_is_named_with_a_suggestion() -> None:
    """A label field the file does not have reads as an unlabelled file; when that leaves no
    label, the error says which field is missing and what it may have meant."""
    with pytest.raises(DataError) as err:
        load_dataset(data_plan(JSONL, test_fraction=0.0), tags_plan(column="tag"))
    assert "no labels left" in err.value.message
    assert "has no field 'tag' (did you mean 'tags'?)" in err.value.message
