"""The answers-file oracle: what it reads, and every way a file can be wrong."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from oracle_data import small_dataset

from alframe.errors import DataError
from alframe.oracles.answers_file import FileOracle

RNG = np.random.default_rng(0)


def ask(path: Path | str, cells: list[tuple[int, int]]) -> list[int]:
    items = np.array([c[0] for c in cells], dtype=np.int64)
    labels = np.array([c[1] for c in cells], dtype=np.int64)
    return FileOracle(str(path)).answer(small_dataset(), items, labels, RNG).tolist()


def write(tmp_path: Path, text: str, name: str = "answers.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path, cells: list[tuple[int, int]] | None = None) -> DataError:
    with pytest.raises(DataError) as err:
        ask(path, cells or [(0, 0)])
    return err.value


def test_answers_what_the_file_has_and_leaves_the_rest_unknown(tmp_path: Path) -> None:
    path = write(tmp_path, "id,label,value\nsku-001,kids,1\nsku-002,outdoor,0\nsku-003,garden,\n")
    assert ask(path, [(1, 1), (2, 0), (3, 2), (4, 0)]) == [1, 0, -1, -1]


def test_the_file_is_read_again_on_every_call(tmp_path: Path) -> None:
    path = write(tmp_path, "id,label,value\n")
    oracle = FileOracle(str(path))
    ds = small_dataset()
    assert oracle.answer(ds, np.array([1]), np.array([1]), RNG).tolist() == [-1]
    with path.open("a") as f:
        f.write("sku-001,kids,1\n")
    assert oracle.answer(ds, np.array([1]), np.array([1]), RNG).tolist() == [1]


def test_a_relative_path_is_resolved_against_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "id,label,value\nsku-001,kids,0\n")
    monkeypatch.chdir(tmp_path)
    oracle = FileOracle("answers.csv")
    assert oracle.path == tmp_path / "answers.csv"
    monkeypatch.chdir("/")  # built once: a later change of directory does not move the file
    assert oracle.answer(small_dataset(), np.array([1]), np.array([1]), RNG).tolist() == [0]


def test_bom_crlf_extra_columns_and_any_column_order(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes("\ufeffvalue,note,label,id\r\n1,looks right,garden,sku-002\r\n\r\n".encode("utf-8"))
    assert ask(path, [(2, 2)]) == [1]


def test_an_unknown_label_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "id,label,value\nsku-001,kids,1\nsku-002,outdor,1\n")
    err = error_of(path)
    assert (err.row, err.field) == (3, "label")
    text = err.render()
    assert str(path) in text and "row 3" in text and "'outdor'" in text and "did you mean 'outdoor'" in text


def test_an_unknown_id_is_an_error_with_a_suggestion(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "id,label,value\nsku-0001,kids,1\n"))
    assert (err.row, err.field) == (2, "id") and "did you mean 'sku-001'" in err.render()


@pytest.mark.parametrize("value", ["2", "-1", "0.5", "y", "maybe"])
def test_a_value_that_is_not_an_answer_is_an_error(tmp_path: Path, value: str) -> None:
    err = error_of(write(tmp_path, f"id,label,value\nsku-001,kids,{value}\n"))
    assert (err.row, err.field) == (2, "value") and repr(value) in err.message


def test_a_cell_answered_twice_differently_names_both_rows(tmp_path: Path) -> None:
    path = write(tmp_path, "id,label,value\nsku-001,kids,1\nsku-002,kids,0\nsku-001,kids,0\n")
    err = error_of(path)
    assert err.row == 4 and "row 2" in err.message and "row 4" in err.message


def test_the_same_answer_twice_is_fine(tmp_path: Path) -> None:
    path = write(tmp_path, "id,label,value\nsku-001,kids,1\nsku-001,kids,1\n")
    assert ask(path, [(1, 1)]) == [1]


def test_a_row_with_the_wrong_number_of_fields(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "id,label,value\nsku-001,kids\n"))
    assert err.row == 2 and "2 fields" in err.message


def test_a_missing_header_column(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, "sku-001,kids,1\n"))
    assert err.row == 1 and "id, label, value" in err.message


def test_an_empty_file(tmp_path: Path) -> None:
    assert error_of(write(tmp_path, "")).row == 1


def test_non_utf8_bytes_name_the_row(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"id,label,value\nsku-001,kids,1\nsku-002,gard\xe9n,1\n")
    err = error_of(path)
    assert err.row == 3 and "UTF-8" in err.message


def test_a_file_not_written_yet_holds_no_answers(tmp_path: Path) -> None:
    oracle = FileOracle(str(tmp_path / "not-yet.csv"))
    ds = small_dataset()
    out = oracle.answer(ds, np.array([0, 1]), np.array([0, 0]), np.random.default_rng(0))
    assert out.tolist() == [-1, -1] and oracle.waits_for_answers


def test_errors_anywhere_in_the_file_are_reported_even_for_cells_not_asked(tmp_path: Path) -> None:
    path = write(tmp_path, "id,label,value\nsku-001,kids,1\nsku-005,colour,1\n")
    assert error_of(path, [(1, 1)]).field == "label"


@pytest.mark.parametrize("kind", ["named pipe", "folder"])
def test_a_named_pipe_or_folder_is_refused_at_once(tmp_path: Path, kind: str) -> None:
    """A pipe with no writer would block a plain read forever (alframe run waiting on nothing)."""
    import os
    import threading

    path = tmp_path / "answers.csv"
    os.mkfifo(path) if kind == "named pipe" else path.mkdir()
    result: list[DataError] = []
    reader = threading.Thread(target=lambda: result.append(error_of(path)), daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert result, "reading the answers file blocked"
    assert result[0].code == "D301" and f"it is a {kind}" in result[0].message
