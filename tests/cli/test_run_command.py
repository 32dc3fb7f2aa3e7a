"""`alframe run` through the command line: exit status, summary, report, errors without tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_specs import write_spec

from alframe.cli.main import main


def test_run_prints_the_summary_and_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path / "spec", extra_query="rounds 2")
    out = tmp_path / "run"
    assert main(["--no-plugins", "run", str(spec), "--out", str(out), "--plain"]) == 0
    text = capsys.readouterr().out
    assert "round   1 |" in text and "round limit reached" in text
    assert (out / "report" / "index.html").exists() and (out / "metrics.csv").exists()


def test_a_data_error_exits_3_naming_file_row_and_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path / "spec")
    spec.write_text(spec.read_text().replace("text package, description", "text package, descripton"))
    assert main(["--no-plugins", "run", str(spec), "--out", str(tmp_path / "run"), "--plain"]) == 3
    err = capsys.readouterr().err
    assert "descripton" in err and "description" in err and "Traceback" not in err


def test_a_spec_error_exits_2_before_any_folder_is_made(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path / "spec", policy="uncertainy")
    assert main(["--no-plugins", "run", str(spec), "--out", str(tmp_path / "run")]) == 2
    err = capsys.readouterr().err
    assert "did you mean 'uncertainty'" in err and "^" in err
    assert not (tmp_path / "run").exists()


def test_run_help_reads_well(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "--help"]) == 0
    text = capsys.readouterr().out
    assert "resume" in text and "--fresh" in text and "examples:" in text
