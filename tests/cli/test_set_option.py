"""``--set KEY=VALUE`` on run, check and explain (issue 14): the names explain shows, checked as
the spec's own values with errors pointing at the option, recorded in the run, and a resume with
another value refused unless --force."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engine_specs import write_spec

from alframe.cli.main import main
from alframe.lang.overrides import overridden, settable


def _spec(tmp_path: Path) -> Path:
    return write_spec(tmp_path, name="setme", limit=300, min_positives=20, seed_size=10, batch=10, budget=5000,
                      extra_query="rounds 1")


def _plan(spec: Path, *sets: str, capsys: pytest.CaptureFixture[str]) -> dict:
    args = ["--no-plugins", "explain", str(spec), "--json"]
    for s in sets:
        args += ["--set", s]
    assert main(args) == 0
    return json.loads(capsys.readouterr().out)


def test_values_replace_the_specs_own_or_join_their_block(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _spec(tmp_path)
    text = spec.read_text()
    plan = _plan(spec, "query.budget=20000", "train.lr=0.5", "query.policy=uncertainty(measure=margin)", "model.dropout=0.2",
                 "trainer.deterministic=yes", "ceiling=yes", "repeat=2", capsys=capsys)
    assert plan["query"]["budget"] == 20000 and plan["train"]["lr"] == 0.5
    assert plan["query"]["policy"]["name"] == "uncertainty" and ["measure", "margin"] in plan["query"]["policy"]["args"]
    assert plan["model"]["dropout"] == 0.2  # not written in the spec: added to its block
    assert plan["trainer"]["deterministic"] is True and plan["ceiling"] is True and plan["repeat"] == 2
    assert spec.read_text() == text  # the file is never touched


def test_explain_and_check_say_where_a_value_came_from(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _spec(tmp_path)
    assert main(["--no-plugins", "explain", str(spec), "--set", "query.budget=20000"]) == 0
    out = capsys.readouterr().out
    assert "budget: 20000  ← --set" in out and "batch: 10  ← line" in out
    assert main(["--no-plugins", "check", str(spec), "--set", "query.budget=20000"]) == 0
    assert "budget 20,000" in capsys.readouterr().out


@pytest.mark.parametrize(("option", "message", "caret"), [
    ("query.budget=abc", "--set:1:14: error[E102]: unexpected name 'abc'", "             ^^^"),
    ("query.unit=items", "--set:1:12: error[E203]: unknown unit 'items'", "           ^^^^^"),
    ("model.ensemble=0", "--set:1:16: error[E", "               ^"),
])
def test_a_bad_value_is_an_error_at_the_option(tmp_path: Path, capsys: pytest.CaptureFixture[str], option: str,
                                               message: str, caret: str) -> None:
    spec = _spec(tmp_path)
    assert main(["--no-plugins", "check", str(spec), "--set", option]) == 2
    err = capsys.readouterr().err
    assert message in err
    lines = err.splitlines()
    shown = next(i for i, line in enumerate(lines) if line.endswith(f" | {option}"))
    value_at = lines[shown].index(option) + option.index("=") + 1
    assert lines[shown + 1].index("^") == value_at, err  # the caret under the value
    assert lines[shown + 1].strip() == caret.strip()


def test_an_unknown_or_composite_key_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _spec(tmp_path)
    assert main(["--no-plugins", "check", str(spec), "--set", "query.budgt=3"]) == 2
    err = capsys.readouterr().err
    assert "error[X303]: --set query.budgt: no such setting" in err and "did you mean query.budget?" in err
    assert main(["--no-plugins", "check", str(spec), "--set", "budget=3"]) == 2
    assert "did you mean query.budget?" in capsys.readouterr().err
    assert main(["--no-plugins", "check", str(spec), "--set", "data.test_fraction=0.5"]) == 2
    assert "written together with others" in capsys.readouterr().err
    assert main(["--no-plugins", "check", str(spec), "--set", "query.budget"]) == 2
    assert "write KEY=VALUE" in capsys.readouterr().err
    assert "query.budget" in settable() and "data.path" not in settable()


def test_a_run_records_the_value_and_a_changed_one_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _spec(tmp_path)
    run = tmp_path / "run"
    base = ["--no-plugins", "run", str(spec), "--out", str(run), "--plain", "--no-report"]
    assert main([*base, "--set", "query.budget=400"]) == 0
    recorded = (run / "spec.al").read_text()
    assert "budget 400" in recorded and overridden(recorded) == {"query.budget": "400"}
    assert json.loads((run / "plan.json").read_text())["query"]["budget"] == 400
    capsys.readouterr()
    assert main([*base, "--set", "query.budget=600"]) == 5  # another value: the spec changed
    err = capsys.readouterr().err
    assert "query.budget: 400 → 600" in err and "--force" in err
    assert main([*base]) == 5  # without the option: the spec's own 5000 is a change too
    capsys.readouterr()
    assert main([*base, "--set", "query.budget=600", "--force"]) == 0
