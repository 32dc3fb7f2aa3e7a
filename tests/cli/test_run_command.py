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


@pytest.mark.parametrize("raw", ["9" * 5000, "[" * 5000 + "]" * 5000])
def test_a_huge_number_or_deep_value_is_a_data_error(tmp_path: Path, raw: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Not a fault of the built-in plugin's load hook (exit 4): a data error naming the line."""
    import gzip

    spec = write_spec(tmp_path / "spec")
    lines = gzip.decompress((tmp_path / "spec" / "debian-packages.jsonl.gz").read_bytes()).decode().splitlines()
    assert '"description":' in lines[2]
    lines[2] = lines[2].replace('"description":', f'"description": {raw}, "was":', 1)
    (tmp_path / "spec" / "items.jsonl").write_text("\n".join(lines[:600]) + "\n")
    spec.write_text(spec.read_text().replace("debian-packages.jsonl.gz", "items.jsonl"))
    assert main(["--no-plugins", "run", str(spec), "--out", str(tmp_path / "run"), "--plain"]) == 3
    err = capsys.readouterr().err
    assert "items.jsonl, row 3, field 'description'" in err and "Traceback" not in err
    assert len(err) < 400


def test_a_seed_larger_than_the_pool_is_refused_before_anything_is_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Decided: refused (E410 at the spec's seed, with the largest seed that fits), not shrunk;
    the corrected spec then runs in the same folder."""
    spec = write_spec(tmp_path / "spec", seed_size=151, limit=200, extra_query="rounds 1")  # pool: 150 items
    out = tmp_path / "run"
    assert main(["--no-plugins", "run", str(spec), "--out", str(out), "--plain"]) == 2
    err = capsys.readouterr().err
    assert "error[E410]: the seed set (151) is larger than the pool (150 items)" in err
    assert "seed 151 random" in err and "^^^" in err
    assert "write seed 150 or less" in err
    spec = write_spec(tmp_path / "spec", seed_size=150, limit=200, extra_query="rounds 1")
    assert main(["--no-plugins", "run", str(spec), "--out", str(out), "--plain", "--no-report"]) == 0
    assert "items 150" in capsys.readouterr().out


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
