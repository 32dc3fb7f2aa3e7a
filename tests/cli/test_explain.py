"""``alframe explain``: the compiled plan, every default filled in, each value's origin."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from alframe.cli import main as cli

SPECS = Path(__file__).resolve().parents[2] / "specs"


@pytest.fixture(autouse=True)
def wide_plain_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    for key in list(os.environ):
        if key.startswith("ALFRAME_"):
            monkeypatch.delenv(key)


def explain(*argv: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert cli.main(["explain", *argv]) == 0
    return [re.sub(r"^[│├└─ ]+", "", line) for line in capsys.readouterr().out.splitlines()]


def line_of(spec: Path, text: str) -> int:
    return next(i for i, line in enumerate(spec.read_text().splitlines(), 1) if text in line)


def test_values_say_which_spec_line_set_them(capsys: pytest.CaptureFixture[str]) -> None:
    spec = SPECS / "quickstart.al"
    lines = explain(str(spec), capsys=capsys)
    assert lines[0].startswith("quickstart") and str(spec) in lines[0]
    assert f"budget: 60000  ← line {line_of(spec, 'budget 60000')}" in lines
    assert f"policy: uncertainty  ← line {line_of(spec, 'policy uncertainty')}" in lines
    assert f"measure: margin  ← line {line_of(spec, 'policy uncertainty')}" in lines
    assert f"limit: 8000  ← line {line_of(spec, 'limit 8000')}" in lines
    assert f"dim: 64  ← line {line_of(spec, 'encoder hashed_bag')}" in lines


def test_defaults_are_filled_and_marked(capsys: pytest.CaptureFixture[str]) -> None:
    lines = explain(str(SPECS / "quickstart.al"), capsys=capsys)
    assert "aggregate: mean  default" in lines  # an argument of the policy not given
    assert "diversity: bootstrap  default" in lines
    assert "format: jsonl  default (from the file's extension)" in lines
    assert "accelerator: cpu  default" in lines and "precision: 32-true  default" in lines
    assert any(line.startswith("trainer") and "all defaults" in line for line in lines)
    assert "noise: 0  default" in lines  # the oracle's argument
    assert "deterministic: yes  default" in lines


def test_vary_and_plugin_components(capsys: pytest.CaptureFixture[str]) -> None:
    spec = SPECS / "compare.al"
    lines = explain(str(spec), capsys=capsys)
    assert any(line.startswith("vary  4 setting(s) × repeat 3") for line in lines)
    assert f"policy (query.policy)  ← line {line_of(spec, 'vary policy')}" in lines
    assert f"random  ← line {line_of(spec, 'vary policy')}" in lines
    lines = explain(str(SPECS / "cardinality.al"), capsys=capsys)
    assert any(line.startswith("policy: cardinality") and "[alframe-cardinality]" in line for line in lines)


def test_json_output(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["explain", str(SPECS / "committee-iwal.al"), "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["query"]["unit"] == "cell" and plan["model"]["ensemble"] == 5
    assert dict(plan["query"]["policy"]["args"])["floor"] == 0.02


def test_a_bad_spec_gets_errors_not_a_tree(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = tmp_path / "bad.al"
    spec.write_text('data "x.jsonl" { id a }\nlabels from "t"\nquery { budget 10  unit items }\n')
    assert cli.main(["explain", str(spec)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "error[E203]: unknown unit 'items'" in captured.err
