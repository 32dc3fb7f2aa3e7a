"""A data file with several bad rows is refused once, with every problem (up to a cap) listed,
each with its line, field and own code (issue 14): a person fixes the file in one go."""

from __future__ import annotations

from pathlib import Path

import pytest
from catalogue_fixtures import WIDE, columns_plan, data_plan

from alframe.cli.main import main
from alframe.data.load import MAX_PROBLEMS, load_dataset
from alframe.errors import DataError, DataErrors

HEADER = WIDE.read_text().splitlines()[0].split(",")


def wide_with(tmp_path: Path, changes: dict[tuple[int, str], str]) -> Path:
    lines = WIDE.read_text().splitlines()
    for (line, field), value in changes.items():
        cells = lines[line - 1].split(",")
        cells[HEADER.index(field)] = value
        lines[line - 1] = ",".join(cells)
    path = tmp_path / "wide.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_every_problem_of_a_file_at_once_each_with_its_code(tmp_path: Path) -> None:
    path = wide_with(tmp_path, {
        (3, "package"): "",  # D101: no id
        (5, "installed_size_kb"): "12kg",  # D103: not a number
        (6, "n_depends"): "inf",  # D104: not finite
        (8, "role::program"): "2",  # D106: a label value not 0 or 1
    })
    with pytest.raises(DataErrors) as err:
        load_dataset(data_plan(path), columns_plan())
    found = [(p.row, p.field, p.code) for p in err.value.problems]
    assert found == [(3, "package", "D101"), (5, "installed_size_kb", "D103"), (6, "n_depends", "D104"),
                     (8, "role::program", "D106")]
    text = err.value.render()
    assert f"{path}, row 5, field 'installed_size_kb': error[D103]: line 5:" in text
    assert text.splitlines()[-1] == f"4 problem(s) in {path}"
    assert isinstance(err.value, DataError) and err.value.code == "D101" and err.value.row == 3  # as its first


def test_one_problem_is_reported_as_before(tmp_path: Path) -> None:
    path = wide_with(tmp_path, {(5, "installed_size_kb"): "12kg"})
    with pytest.raises(DataError) as err:
        load_dataset(data_plan(path), columns_plan())
    assert not isinstance(err.value, DataErrors) and err.value.code == "D103"
    assert "problem(s)" not in err.value.render()


def test_the_list_stops_at_the_cap_and_says_so(tmp_path: Path) -> None:
    n = len(WIDE.read_text().splitlines())
    bad = {(line, "n_depends"): "x" for line in range(2, n + 1)}
    assert len(bad) > MAX_PROBLEMS + 1
    with pytest.raises(DataErrors) as err:
        load_dataset(data_plan(wide_with(tmp_path, bad)), columns_plan())
    assert len(err.value.problems) == MAX_PROBLEMS and err.value.more >= 1
    assert f"(the first {MAX_PROBLEMS} shown; reading stopped there)" in err.value.render()


def test_the_command_prints_them_all_and_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = wide_with(tmp_path, {(4, "installed_size_kb"): "12kg", (7, "role::program"): "2"})
    spec = tmp_path / "s.al"
    spec.write_text(f'data "{path.name}" {{ id package  text description  numeric installed_size_kb, n_depends }}\n'
                    'labels columns ["*::*"]\nquery { budget 100 }\n')
    assert main(["--no-plugins", "run", str(spec), "--out", str(tmp_path / "run"), "--plain"]) == 3
    err = capsys.readouterr().err
    assert "row 4, field 'installed_size_kb': error[D103]" in err and "row 7, field 'role::program': error[D106]" in err
    assert "2 problem(s) in" in err


def test_rows_the_reader_cannot_read_are_listed_with_the_others(tmp_path: Path) -> None:
    """A broken JSON line, a line that is no object and a bad cell: three problems, one report."""
    from catalogue_fixtures import JSONL, tags_plan

    lines = JSONL.read_text(encoding="utf-8").splitlines()
    lines[2] = lines[2][:-5]  # line 3: cut short
    lines[5] = "[1, 2]"  # line 6: not an object
    lines[8] = lines[8].replace('"installed_size_kb": ', '"installed_size_kb": "12kg", "x": ', 1)  # line 9
    path = tmp_path / "packages.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(DataErrors) as err:
        load_dataset(data_plan(path), tags_plan())
    found = [(p.row, p.code) for p in err.value.problems]
    assert found == [(3, "D108"), (6, "D108"), (9, "D103")]
    assert "not valid JSON" in err.value.problems[0].message
    assert "expected a JSON object" in err.value.problems[1].message

    wide = WIDE.read_text().splitlines()
    wide[3] += ",extra"  # line 4: one field too many
    wide[6] = wide[6].replace(",", ",\x00", 1)  # line 7: a NUL byte
    csv_path = tmp_path / "wide.csv"
    csv_path.write_text("\n".join(wide) + "\n", encoding="utf-8")
    with pytest.raises(DataErrors) as err:
        load_dataset(data_plan(csv_path), columns_plan())
    assert [(p.row, p.code) for p in err.value.problems] == [(4, "D108"), (7, "D108")]
