"""The click command line: a command a plugin adds through ``alframe_register_commands`` (an
installed distribution, found through its entry point), click's shell completion, ``--json``
on check, and examples in every ``--help`` that name files that exist."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from engine_specs import install_plugin

from alframe.cli import main as cli

ROOT = Path(__file__).resolve().parents[2]

PLUGIN = '''
import click
from alframe.errors import DataError
from alframe.hookspecs import hookimpl


@click.command("hello", help="greet from a plugin")
@click.argument("name")
@click.option("--fail", is_flag=True)
def hello(name, fail):
    if fail:
        raise DataError("no such person", code="D999")
    click.echo(f"hello {name}")
    return 7 if name == "seven" else 0


@hookimpl
def alframe_register_commands(cli):
    cli.add_command(hello)
'''


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    for key in ("ALFRAME_DISABLE_PLUGIN_AUTOLOAD", "ALFRAME_PLUGINS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    return install_plugin(tmp_path / "site", "alframe-hello", PLUGIN)


def test_a_plugin_adds_a_command(plugin: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["hello", "world"]) == 0
    assert capsys.readouterr().out == "hello world\n"
    assert cli.main(["hello", "seven"]) == 7  # the command's own exit code
    capsys.readouterr()
    assert cli.main(["hello", "x", "--fail"]) == 3  # an AlframeError exits with its code
    assert "error[D999]: no such person" in capsys.readouterr().err
    assert cli.main(["--help"]) == 0
    assert "    hello" in capsys.readouterr().out
    # without autoload the plugin is not loaded, and its command is unknown (a usage error)
    assert cli.main(["--no-plugins", "hello", "world"]) == 2
    assert "No such command 'hello'" in capsys.readouterr().err
    assert cli.main(["--no-plugins", "-p", "alframe-hello", "hello", "again"]) == 0
    assert capsys.readouterr().out == "hello again\n"


def test_a_plugin_cannot_replace_a_built_in_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    for key in ("ALFRAME_DISABLE_PLUGIN_AUTOLOAD", "ALFRAME_PLUGINS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    install_plugin(tmp_path / "site", "alframe-clash", PLUGIN.replace('"hello"', '"check"'))
    assert cli.main(["nosuch"]) == 4
    err = capsys.readouterr().err
    assert "error[P100] in plugin" in err or "hook 'alframe_register_commands'" in err
    assert "'check', the name of a built-in command" in err
    assert cli.main(["--no-plugins", "check", str(ROOT / "specs" / "quickstart.al")]) == 0
    assert cli.main(["--help"]) == 0  # the help still lists the built-in commands
    assert "    check" in capsys.readouterr().out


def _complete(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("alframe")
    base = {k: v for k, v in os.environ.items() if not k.startswith(("ALFRAME_", "_ALFRAME", "COMP_"))}
    return subprocess.run([str(exe)], capture_output=True, text=True, timeout=120, env={**base, **env})


def test_shell_completion() -> None:
    script = _complete({"_ALFRAME_COMPLETE": "bash_source"})
    assert script.returncode == 0 and "_alframe_completion" in script.stdout and "complete " in script.stdout
    words = _complete({"_ALFRAME_COMPLETE": "bash_complete", "COMP_WORDS": "alframe ex", "COMP_CWORD": "1"})
    assert words.returncode == 0
    assert {"plain,explain", "plain,export"} <= set(words.stdout.split())
    options = _complete({"_ALFRAME_COMPLETE": "bash_complete", "COMP_WORDS": "alframe status --j", "COMP_CWORD": "2"})
    assert "plain,--json" in options.stdout.split()


def test_check_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.al"
    bad.write_text('run "x"\npolicy uncertanty\n')
    assert cli.main(["--no-plugins", "check", str(ROOT / "specs" / "quickstart.al"), str(bad), "--json"]) == 2
    out = json.loads(capsys.readouterr().out)
    good, wrong = out["specs"]
    assert good["valid"] and good["run"] == "quickstart" and good["errors"] == []
    assert not wrong["valid"] and wrong["errors"][0]["code"].startswith("E") and wrong["errors"][0]["line"] == 2
    assert (out["valid"], out["invalid"]) == (1, 1)


@pytest.mark.parametrize("command", [*[c for c in ("run", "check", "explain", "plugins", "compare", "report",
                                                      "answer", "status", "export")], None])
def test_every_help_example_names_specs_that_exist(command: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([command, "--help"] if command else ["--help"]) == 0
    text = capsys.readouterr().out
    examples = text.split("examples:", 1)[1]
    lines = [line.strip() for line in examples.splitlines() if line.strip().startswith("alframe ")]
    assert lines
    for line in lines:
        for spec in re.findall(r"\S+\.al\b", line):
            if "*" not in spec:
                assert (ROOT / spec).exists(), f"{command} --help: {line}"
        words = line.split()
        if words[1] in ("check", "explain") and not any(w.startswith("--data-root") for w in words):
            args = [w for w in words[1:] if w != "specs/*.al"] + (["specs/"] if "specs/*.al" in words else [])
            if all((ROOT / w).exists() or w.startswith("-") for w in args[1:]):
                cwd = os.getcwd()
                os.chdir(ROOT)
                try:
                    assert cli.main(args) == 0, line
                finally:
                    os.chdir(cwd)
                capsys.readouterr()
