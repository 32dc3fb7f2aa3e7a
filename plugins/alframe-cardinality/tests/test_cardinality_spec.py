"""The plugin as a user meets it: installed with pip, named in a spec, listed by alframe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from alframe.compile import compile_text
from alframe.errors import SpecErrors
from alframe.plan import Call
from alframe.plugins import load

SPEC = """\
data "items.jsonl" { id sku  text title }
labels from "tags"
query { seed 10  batch 10  policy cardinality(beta=0.25)  budget 500 }
"""


def test_a_spec_can_name_the_policy(tmp_path: Path) -> None:
    plugins = load(autoload=True)
    plan = compile_text(SPEC, tmp_path / "spec.al", plugins.registry)
    assert plan.query.policy == Call("cardinality", (("beta", 0.25), ("count", "hard")))
    assert plugins.registry.get("policy", "cardinality").plugin == "alframe-cardinality"
    policy = plugins.registry.build("policy", "cardinality", plan.query.policy.kwargs)
    assert type(policy).__name__ == "CardinalityPolicy" and policy.beta == 0.25


def test_its_arguments_are_checked_from_its_declaration(tmp_path: Path) -> None:
    registry = load(autoload=True).registry
    with pytest.raises(SpecErrors) as info:
        compile_text(SPEC.replace("beta=0.25", "beta=2, count=median"), tmp_path / "spec.al", registry)
    codes = [e.code for e in info.value.errors]
    assert codes == ["E306", "E307"]
    assert "hard, soft" in info.value.render()


def test_with_autoload_off_the_policy_is_unknown_and_the_plugin_is_named(tmp_path: Path) -> None:
    registry = load(autoload=False).registry
    with pytest.raises(SpecErrors) as info:
        compile_text(SPEC, tmp_path / "spec.al", registry)
    (err,) = info.value.errors
    assert err.code == "E201" and err.message == "unknown policy 'cardinality'"
    assert "cardinality" in err.hint and "-p" in err.hint  # installed but not loaded: how to load it
    assert load(autoload=False, names=["cardinality"]).registry.get("policy", "cardinality") is not None


def test_the_command_line_respects_the_autoload_switch(tmp_path: Path) -> None:
    spec = tmp_path / "spec.al"
    spec.write_text(SPEC)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALFRAME_")}
    cli = [sys.executable, "-m", "alframe.cli.main", "check", str(spec)]
    ok = subprocess.run(cli, capture_output=True, text=True, env=env, timeout=120)
    assert ok.returncode == 0, ok.stderr
    off = subprocess.run(cli, capture_output=True, text=True, timeout=120,
                         env={**env, "ALFRAME_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert off.returncode == 2 and "error[E201]: unknown policy 'cardinality'" in off.stderr


def test_alframe_plugins_lists_it_and_p_loads_it(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from alframe.cli.main import main

    monkeypatch.setenv("COLUMNS", "300")
    monkeypatch.delenv("ALFRAME_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    assert main(["plugins"]) == 0
    out = capsys.readouterr().out
    assert "alframe-cardinality 0.1.0  entry point: cardinality" in out and "policies: cardinality" in out
    spec = tmp_path / "spec.al"
    spec.write_text(SPEC)
    assert main(["--no-plugins", "check", str(spec)]) == 2
    assert main(["--no-plugins", "-p", "alframe-cardinality", "check", str(spec)]) == 0
