"""``alframe check`` and what every command shares: exit codes, clean failures, options."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

from alframe.cli import main as cli
from alframe.cli.terminal import Terminal
from alframe.errors import DataError

SPECS = Path(__file__).resolve().parents[2] / "specs"
GOOD = 'data "items.jsonl" { id sku  text title }\nlabels from "tags"\nquery { budget 1000 }\n'
BAD = GOOD.replace("budget 1000", "policy uncertanty  budget 1000") + "train { epochs 0 }\n"


@pytest.fixture(autouse=True)
def plain_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(os.environ):
        if key.startswith("ALFRAME_"):
            monkeypatch.delenv(key)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text)
    return path


def test_every_example_spec_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", str(SPECS)]) == 0
    out = capsys.readouterr().out
    assert out.count("ok  ") == len(list(SPECS.glob("*.al")))
    assert "spec(s) checked" in out and "with" not in out.splitlines()[-1]


def test_errors_exit_2_and_are_all_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = write(tmp_path, "good.al", GOOD), write(tmp_path, "bad.al", BAD)
    assert cli.main(["--no-plugins", "check", str(good), str(bad)]) == 2
    captured = capsys.readouterr()
    assert f"ok  {good}" in captured.out
    err = captured.err.splitlines()
    assert f"{bad}:3:16: error[E201]: unknown policy 'uncertanty'" in err
    assert "   3 | query { policy uncertanty  budget 1000 }" in err
    assert "                      ^^^^^^^^^^" in err
    assert "  hint: did you mean 'uncertainty'? plugin autoload is off" in captured.err
    assert f"{bad}:4:16: error[E311]: epochs must be at least 1, not 0" in err
    assert err[-1] == "error: 2 spec(s) checked: 1 valid, 1 with 2 error(s)"


def test_quiet_and_globs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, "a.al", GOOD)
    write(tmp_path, "b.al", GOOD)
    assert cli.main(["check", "-q", str(tmp_path / "*.al")]) == 0
    out = capsys.readouterr().out
    assert "ok" not in out and "2 spec(s) checked: 2 valid" in out


def test_a_missing_file_is_an_error_not_a_crash(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["check", str(tmp_path / "nope.al")]) == 2
    assert "error[E505]: cannot read the spec file" in capsys.readouterr().err


def test_data_root_widens_where_data_may_be(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "specs").mkdir()
    spec = write(tmp_path / "specs", "s.al", GOOD.replace('"items.jsonl"', '"../data/items.jsonl"'))
    assert cli.main(["check", str(spec)]) == 2
    assert "error[E501]" in capsys.readouterr().err
    assert cli.main(["--data-root", str(tmp_path), "check", str(spec)]) == 0
    assert cli.main(["check", "--data-root", str(tmp_path), str(spec)]) == 0


def test_help_reads_well(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--help"]) == 0
    text = capsys.readouterr().out
    for command in ("run", "check", "explain", "plugins"):
        assert f"    {command}" in text
    assert "--no-plugins" in text and "ALFRAME_DISABLE_PLUGIN_AUTOLOAD" in text and "examples:" in text
    for command in ("check", "explain", "plugins", "run"):
        assert cli.main([command, "--help"]) == 0
        sub = capsys.readouterr().out
        assert "examples:" in sub and f"alframe {command}" in sub and "--debug" in sub


def test_version_and_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("alframe ")
    assert cli.main(["check"]) == 2  # SPEC is required
    assert cli.main([]) == 2


def command(execute: object) -> types.ModuleType:
    module = types.ModuleType("alframe.cli.example")
    module.execute = execute  # type: ignore[attr-defined]
    return module


def run(execute: object, debug: bool = False) -> tuple[int, str]:
    import io

    err = io.StringIO()
    args = types.SimpleNamespace(debug=debug)
    code = cli.run_command(command(execute), args, Terminal(stdout=io.StringIO(), stderr=err))  # type: ignore[arg-type]
    return code, err.getvalue()


def test_failures_are_one_clean_message_with_their_exit_code() -> None:
    def data_error(args: object, terminal: object) -> int:
        raise DataError("a label value of 2", path="items.csv", row=7, field="role::program", code="D103")

    code, err = run(data_error)
    assert code == 3 and err == "items.csv, row 7, field 'role::program': error[D103]: a label value of 2\n"

    def interrupted(args: object, terminal: object) -> int:
        raise KeyboardInterrupt

    assert run(interrupted) == (130, "error: interrupted\n")

    def bug(args: object, terminal: object) -> int:
        return {}["missing"]  # type: ignore[no-any-return]

    code, err = run(bug)
    assert code == 70
    assert err == "error: internal error: KeyError: 'missing' (run with --debug for the traceback)\n"
    code, err = run(bug, debug=True)
    assert code == 70 and err.startswith("Traceback (most recent call last):") and "KeyError" in err


def test_the_installed_command_runs(tmp_path: Path) -> None:
    spec = write(tmp_path, "bad.al", BAD)
    exe = Path(sys.executable).with_name("alframe")
    done = subprocess.run([str(exe), "check", str(spec)], capture_output=True, text=True, timeout=120,
                          env={k: v for k, v in os.environ.items() if not k.startswith("ALFRAME_")})
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "error[E201]: unknown policy 'uncertanty'" in done.stderr


def test_a_varied_policy_is_named_by_its_values_not_the_unused_default(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write(tmp_path, "grid.al", GOOD + "vary policy [random, disagreement]\nvary budget [500, 2000]\n")
    write(tmp_path, "items.jsonl", "")
    assert cli.main(["check", str(spec)]) == 0
    out = capsys.readouterr().out
    assert "policy random | disagreement (varied), budget 500 | 2,000 (varied), 4 setting(s) × 1" in out
    assert "policy uncertainty" not in out
