"""Every bad-data case gets one DataError naming the file, the line as an editor shows it, and
the field (RELIABILITY.md, cases 7-15). Each file is a real catalogue cut with one defect."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from catalogue_fixtures import JSONL, WIDE, WIDE_LABELS, columns_plan, data_plan, tags_plan

from alframe.data import readers
from alframe.data.load import load_dataset
from alframe.errors import DataError

HEADER = WIDE.read_text().splitlines()[0].split(",")


def wide_with(tmp_path: Path, line: int, field: str, value: str) -> Path:
    """The wide CSV with one cell replaced (``line`` as an editor counts: header = 1)."""
    lines = WIDE.read_text().splitlines()
    cells = lines[line - 1].split(",")
    cells[HEADER.index(field)] = value
    lines[line - 1] = ",".join(cells)
    path = tmp_path / "wide.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def jsonl_with(tmp_path: Path, line: int, **changes: object) -> Path:
    """The JSONL cut with one object changed (a value ``...`` deletes the key)."""
    lines = JSONL.read_text().splitlines()
    obj = json.loads(lines[line - 1])
    for key, value in changes.items():
        if value is ...:
            obj.pop(key)
        else:
            obj[key] = value
    lines[line - 1] = json.dumps(obj)
    path = tmp_path / "packages.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load_error(path: Path, labels: object = None, **plan: object) -> DataError:
    with pytest.raises(DataError) as err:
        load_dataset(data_plan(path, **plan), labels or columns_plan())  # type: ignore[arg-type]
    assert err.value.path is None or err.value.path in err.value.render()
    return err.value


def check(err: DataError, path: Path, row: int | None, field: str | None, *words: str) -> None:
    assert (err.path, err.row, err.field) == (str(path), row, field), err.render()
    for w in words:
        assert w in err.message, err.render()
    if row is not None:
        assert f"line {row}" in err.message
        assert f"row {row}" in err.render()


# --- 7: wrong number of fields --------------------------------------------------------------


def test_csv_row_with_too_few_fields(tmp_path: Path) -> None:
    lines = WIDE.read_text().splitlines()
    lines[6] = lines[6].rsplit(",", 1)[0]
    path = tmp_path / "short.csv"
    path.write_text("\n".join(lines) + "\n")
    err = load_error(path)
    check(err, path, 7, None, "has 12 fields", "the header (line 1) has 13")


def test_csv_row_numbers_count_lines_of_a_quoted_multiline_field(tmp_path: Path) -> None:
    lines = WIDE.read_text().splitlines()
    cells = lines[1].split(",")
    cells[1] = '"two\nlines"'
    lines[1] = ",".join(cells)
    lines[4] += ",extra"
    path = tmp_path / "multi.csv"
    path.write_text("\n".join(lines) + "\n")
    err = load_error(path)
    check(err, path, 6, None, "has 14 fields")  # record 5 starts on line 6 of the file


# --- missing id -----------------------------------------------------------------------------


def test_blank_id_in_csv(tmp_path: Path) -> None:
    check(load_error(wide_with(tmp_path, 9, "package", "")), tmp_path / "wide.csv", 9, "package", "no id")


def test_missing_id_in_jsonl(tmp_path: Path) -> None:
    path = jsonl_with(tmp_path, 12, package=...)
    check(load_error(path, tags_plan()), path, 12, "package", "no id")


# --- 8: blank label cells -------------------------------------------------------------------


def test_blank_binary_label_is_never_zero(tmp_path: Path) -> None:
    path = wide_with(tmp_path, 4, "role::program", "")
    err = load_error(path)
    check(err, path, 4, "role::program", "blank is never read as 0")
    assert err.hint and "?" in err.hint


def test_missing_list_field_is_unknown_never_no_labels(tmp_path: Path) -> None:
    """Issue 10: a JSON object without the label field is an unlabelled item (every cell
    unknown, -1), never one with no labels (0)."""
    path = jsonl_with(tmp_path, 5, tags=...)
    item = json.loads(path.read_text().splitlines()[4])["package"]
    ds = load_dataset(data_plan(path, test_fraction=0.0), tags_plan())
    assert (ds.labels[ds.index_of(item)] == -1).all()
    assert (ds.labels[ds.index_of(ds.ids[0] if ds.ids[0] != item else ds.ids[1])] >= 0).all()


def test_blank_list_cell_in_csv(tmp_path: Path) -> None:
    path = tmp_path / "tags.csv"
    path.write_text("package,description,tags\nvim-tiny,Vi IMproved,role::program\n2048,Slide and add puzzle game,\n")
    err = load_error(path, tags_plan(), numeric_fields=())
    check(err, path, 3, "tags", "empty label list")


def test_missing_binary_label_field_in_jsonl_is_unknown(tmp_path: Path) -> None:
    path = tmp_path / "bin.jsonl"
    path.write_text('{"package": "a", "description": "x", "y": 1}\n{"package": "b", "description": "z"}\n')
    ds = load_dataset(data_plan(path, numeric_fields=(), test_fraction=0.0), columns_plan("y"))
    assert ds.labels.tolist() == [[1], [-1]]


# --- 9: values outside {0, 1} ---------------------------------------------------------------


@pytest.mark.parametrize("value", ["2", "-1", "0.5", "yes", "NA"])
def test_csv_label_outside_zero_one(tmp_path: Path, value: str) -> None:
    path = wide_with(tmp_path, 11, "scope::utility", value)
    check(load_error(path), path, 11, "scope::utility", f"'{value}' is not 0 or 1")


@pytest.mark.parametrize("value", [2, -1, 0.5, "yes", [1]])
def test_jsonl_label_outside_zero_one(tmp_path: Path, value: object) -> None:
    path = tmp_path / "bin.jsonl"
    path.write_text(
        '{"package": "a", "description": "x", "y": true}\n'
        + json.dumps({"package": "b", "description": "z", "y": value})
        + "\n"
    )
    check(load_error(path, columns_plan("y"), numeric_fields=()), path, 2, "y", "is not 0 or 1")


def test_json_booleans_and_nulls_are_labels(tmp_path: Path) -> None:
    path = tmp_path / "bin.jsonl"
    path.write_text(
        '{"package": "a", "y": true, "z": 0}\n{"package": "b", "y": false, "z": null}\n{"package": "c", "y": 1.0, "z": "?"}\n'
    )
    ds = load_dataset(data_plan(path, text_fields=(), numeric_fields=(), test_fraction=0.0), columns_plan("y", "z", min_positives=0))
    assert ds.labels.tolist() == [[1, 0], [0, -1], [1, -1]]


def test_a_label_in_a_list_must_be_a_name(tmp_path: Path) -> None:
    path = jsonl_with(tmp_path, 3, tags=["role::program", {"a": 1}])
    check(load_error(path, tags_plan()), path, 3, "tags", "labels are names")


# --- 11: numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "words"),
    [("nan", "not finite"), ("inf", "not finite"), ("-Infinity", "not finite"), ("12kg", "not a number"), ("", "empty")],
)
def test_bad_numbers_in_csv(tmp_path: Path, value: str, words: str) -> None:
    path = wide_with(tmp_path, 8, "installed_size_kb", value)
    check(load_error(path), path, 8, "installed_size_kb", words)


def test_nan_literal_in_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "packages.jsonl"
    lines = JSONL.read_text().splitlines()
    lines[20] = lines[20].replace('"n_depends": ', '"n_depends": NaN, "x": ', 1)
    path.write_text("\n".join(lines) + "\n")
    check(load_error(path, tags_plan()), path, 21, "n_depends", "not finite")


def test_number_too_large_for_float32(tmp_path: Path) -> None:
    path = wide_with(tmp_path, 3, "n_depends", "1e39")
    check(load_error(path), path, 3, "n_depends", "too large")


def test_numbers_as_booleans_are_refused(tmp_path: Path) -> None:
    path = jsonl_with(tmp_path, 2, n_depends=True)
    check(load_error(path, tags_plan()), path, 2, "n_depends", "not a number")


def test_vector_width_must_not_change(tmp_path: Path) -> None:
    path = tmp_path / "v.jsonl"
    path.write_text('{"package": "a", "e": [1, 2], "t": []}\n{"package": "b", "e": [1, 2, 3], "t": []}\n')
    err = load_error(path, tags_plan(column="t", min_positives=0), text_fields=(), numeric_fields=("e",))
    check(err, path, 2, "e", "3 numbers; earlier rows have 2")


# --- huge numbers, deep nesting, NUL bytes (issue 12, item 7) --------------------------------

HUGE = "9" * 5000  # Python refuses to turn more than 4,300 digits into an int


def jsonl_raw(tmp_path: Path, line: int, key: str, raw: str) -> Path:
    """The JSONL cut with the value of ``key`` on ``line`` replaced by the JSON text ``raw``."""
    lines = JSONL.read_text().splitlines()
    obj = json.loads(lines[line - 1])
    obj[key] = "@@"
    lines[line - 1] = json.dumps(obj).replace('"@@"', raw)
    path = tmp_path / "packages.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def short(err: DataError) -> None:
    """A 5,000-character cell makes a one-line message, not a screenful."""
    assert len(err.render()) < 300, err.render()


@pytest.mark.parametrize("value", [HUGE, "9" * 400, "1e400"])
def test_huge_number_in_a_csv_numeric_field(tmp_path: Path, value: str) -> None:
    path = wide_with(tmp_path, 8, "installed_size_kb", value)
    err = load_error(path)
    check(err, path, 8, "installed_size_kb", "too large for a 32-bit float")
    short(err)


@pytest.mark.parametrize(
    ("raw", "words"), [(HUGE, "5,000-digit number"), ("9" * 400, "400-digit number"), ("1e400", "value is '1e400'")]
)
def test_huge_integer_in_a_jsonl_numeric_field(tmp_path: Path, raw: str, words: str) -> None:
    path = jsonl_raw(tmp_path, 8, "installed_size_kb", raw)
    err = load_error(path, tags_plan())
    check(err, path, 8, "installed_size_kb", words, "too large for a 32-bit float")
    short(err)


@pytest.mark.parametrize("cell", [f'"[1, {HUGE}]"', '"' + "[" * 3000 + "]" * 3000 + '"'])
def test_huge_or_deep_vector_in_a_csv_numeric_field(tmp_path: Path, cell: str) -> None:
    path = wide_with(tmp_path, 5, "n_depends", cell)
    err = load_error(path)
    check(err, path, 5, "n_depends")
    assert "5,000-digit number" in err.message or "nested more than 100 levels deep" in err.message
    short(err)


def test_huge_id_in_csv_and_jsonl(tmp_path: Path) -> None:
    path = wide_with(tmp_path, 6, "package", HUGE)
    err = load_error(path)
    check(err, path, 6, "package", "the id is 5,000 characters long; the limit is 4,000")
    jpath = jsonl_raw(tmp_path, 6, "package", HUGE)
    err = load_error(jpath, tags_plan())
    check(err, jpath, 6, "package", "the id is a 5,000-digit number")
    short(err)


def test_huge_label_value_in_csv_and_jsonl(tmp_path: Path) -> None:
    path = wide_with(tmp_path, 9, "role::program", HUGE)
    err = load_error(path)
    check(err, path, 9, "role::program", "(5,000 characters) is not 0 or 1")
    short(err)
    jpath = tmp_path / "bin.jsonl"
    jpath.write_text(f'{{"package": "a", "description": "x", "y": 1}}\n{{"package": "b", "description": "z", "y": {HUGE}}}\n')
    err = load_error(jpath, columns_plan("y"), numeric_fields=())
    check(err, jpath, 2, "y", "a 5,000-digit number is not 0 or 1")
    short(err)


def test_huge_number_in_a_label_list(tmp_path: Path) -> None:
    path = jsonl_raw(tmp_path, 4, "tags", f'["role::program", {HUGE}]')
    err = load_error(path, tags_plan())
    check(err, path, 4, "tags", "a 5,000-digit number; labels are names")
    short(err)


def test_huge_number_in_a_text_field(tmp_path: Path) -> None:
    path = jsonl_raw(tmp_path, 4, "description", HUGE)
    check(load_error(path, tags_plan()), path, 4, "description", "expected text, found a 5,000-digit number")


@pytest.mark.parametrize("key", ["tags", "description", "section"])
def test_jsonl_value_nested_thousands_deep(tmp_path: Path, key: str) -> None:
    path = jsonl_raw(tmp_path, 11, key, "[" * 5000 + "]" * 5000)
    err = load_error(path, tags_plan())
    check(err, path, 11, key, "nested more than 100 levels deep")
    deep_object = jsonl_raw(tmp_path, 3, key, '{"a": ' * 3000 + "1" + "}" * 3000)
    check(load_error(deep_object, tags_plan()), deep_object, 3, key, "nested more than 100 levels deep")
    # brackets inside a string are no nesting
    fine = jsonl_raw(tmp_path, 11, "description", json.dumps("[{" * 500 + " odd but fine"))
    assert any(t.startswith("[{[{") for t in load_dataset(data_plan(fine), tags_plan()).texts)


def test_deep_label_list_in_csv(tmp_path: Path) -> None:
    path = tmp_path / "tags.csv"
    deep = "[" * 3000 + "]" * 3000
    path.write_text(f"package,description,tags\nvim-tiny,Vi IMproved,role::program\n2048,Slide and add,{deep}\n")
    err = load_error(path, tags_plan(), numeric_fields=())
    check(err, path, 3, "tags", "nested more than 100 levels deep")


def test_huge_number_in_a_too_long_line_is_measured(tmp_path: Path) -> None:
    lines = JSONL.read_text().splitlines()
    obj = json.loads(lines[6])
    obj["description"] = "y" * (readers.MAX_FIELD_CHARS + 5)
    lines[6] = json.dumps({"extra": "@@", **obj}).replace('"@@"', HUGE)
    path = tmp_path / "packages.jsonl"
    path.write_text("\n".join(lines) + "\n")
    check(load_error(path, tags_plan()), path, 7, "description", "1,048,581 characters")


def test_nul_byte_in_a_csv_field(tmp_path: Path) -> None:
    path = wide_with(tmp_path, 12, "description", "half\x00written")
    err = load_error(path)
    check(err, path, 12, "description", "holds a NUL byte (at character 5)")
    assert err.hint and "binary" in err.hint


def test_nul_byte_in_a_csv_header(tmp_path: Path) -> None:
    path = tmp_path / "nul.csv"
    path.write_bytes(WIDE.read_bytes().replace(b"section", b"sec\x00tion", 1))
    check(load_error(path), path, 1, None, "(the header): a field name holds a NUL byte")


def test_utf16_csv_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "utf16.csv"
    path.write_bytes(WIDE.read_text().encode("utf-16-le"))
    err = load_error(path)
    assert err.path == str(path) and err.row == 1 and "NUL byte" in err.message


# --- 12: duplicate ids ----------------------------------------------------------------------


def test_conflicting_duplicate_names_both_lines(tmp_path: Path) -> None:
    lines = WIDE.read_text().splitlines()
    cells = lines[3].split(",")
    col = HEADER.index("role::program")
    cells[col] = "1" if cells[col] == "0" else "0"
    path = tmp_path / "dup.csv"
    path.write_text("\n".join([*lines, ",".join(cells)]) + "\n")
    err = load_error(path)
    check(err, path, 43, "role::program", "conflicting labels", "line 4 and line 43")


# --- 15: encoding, BOM, CRLF, long fields ---------------------------------------------------


def test_non_utf8_byte_names_the_line(tmp_path: Path) -> None:
    data = WIDE.read_bytes().split(b"\n")
    data[13] = data[13].replace(b",", b"\xe9,", 1)
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"\n".join(data))
    err = load_error(path)
    check(err, path, 14, None, "0xe9", "not UTF-8")


def test_bom_and_crlf_are_fine(tmp_path: Path) -> None:
    path = tmp_path / "windows.csv"
    path.write_bytes(b"\xef\xbb\xbf" + WIDE.read_bytes().replace(b"\n", b"\r\n"))
    a = load_dataset(data_plan(path), columns_plan())
    b = load_dataset(data_plan(WIDE), columns_plan())
    assert a.ids == b.ids and a.texts == b.texts and np.array_equal(a.labels, b.labels)
    assert a.label_names == list(WIDE_LABELS)

    jpath = tmp_path / "windows.jsonl"
    jpath.write_bytes(b"\xef\xbb\xbf" + JSONL.read_bytes().replace(b"\n", b"\r\n"))
    assert load_dataset(data_plan(jpath), tags_plan()).ids == load_dataset(data_plan(JSONL), tags_plan()).ids


def test_very_long_field_is_refused(tmp_path: Path) -> None:
    path = wide_with(tmp_path, 30, "description", "x" * (readers.MAX_FIELD_CHARS + 1))
    check(load_error(path), path, 30, "description", "1,048,577 characters")
    jpath = jsonl_with(tmp_path, 7, description="y" * (readers.MAX_FIELD_CHARS + 5))
    check(load_error(jpath, tags_plan()), jpath, 7, "description", "1,048,581 characters")


def test_broken_json_line(tmp_path: Path) -> None:
    lines = JSONL.read_text().splitlines()
    lines[9] = lines[9][:-1]
    path = tmp_path / "broken.jsonl"
    path.write_text("\n".join(lines) + "\n")
    check(load_error(path, tags_plan()), path, 10, None, "not valid JSON")


def test_not_gzip(tmp_path: Path) -> None:
    path = tmp_path / "plain.jsonl.gz"
    path.write_bytes(JSONL.read_bytes())
    err = load_error(path, tags_plan())
    assert err.path == str(path) and "gzip" in err.message


# --- files and fields -----------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.csv"
    err = load_error(path)
    check(err, path, None, None, "no such file")


def test_unknown_field_lists_the_fields_and_suggests(tmp_path: Path) -> None:
    err = load_error(WIDE, text_fields=("descripton",))
    assert err.field == "descripton" and "text field 'descripton'" in err.message
    assert err.hint and "did you mean 'description'?" in err.hint and "installed_size_kb" in err.hint


def test_unknown_label_column_and_empty_glob() -> None:
    err = load_error(WIDE, columns_plan("role::programm"))
    assert err.field == "role::programm" and err.hint and "did you mean 'role::program'?" in err.hint
    err = load_error(WIDE, columns_plan("games::*"))
    assert "no field matches the label glob 'games::*'" in err.message


def test_explicit_label_name_absent_from_data() -> None:
    err = load_error(JSONL, tags_plan(names=("role::program", "role::programs")))
    assert err.field == "role::programs" and err.hint and "did you mean 'role::program'?" in err.hint


def test_test_file_missing_a_label_column(tmp_path: Path) -> None:
    test = tmp_path / "test.csv"
    lines = WIDE.read_text().splitlines()
    test.write_text("\n".join(line.rsplit(",", 1)[0] for line in lines) + "\n")
    err = load_error(WIDE, columns_plan(), test_path=str(test))
    assert err.path == str(test) and err.field == "use::gameplaying"
    assert "the test file lacks the field 'use::gameplaying'" in err.message


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")
    assert "empty" in load_error(path).message
    only_header = tmp_path / "header.csv"
    only_header.write_text(WIDE.read_text().splitlines()[0] + "\n")
    assert "no items" in load_error(only_header).message


def test_parquet_without_pyarrow_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if not installed: import fails
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    path = tmp_path / "p.parquet"
    path.write_bytes(b"PAR1")
    err = load_error(path)
    assert "pyarrow" in err.message and err.hint and "pip install" in err.hint


def test_unknown_extension(tmp_path: Path) -> None:
    path = tmp_path / "data.xlsx"
    path.write_bytes(b"")
    with pytest.raises(DataError, match="cannot tell the format"):
        readers.format_of(path)
