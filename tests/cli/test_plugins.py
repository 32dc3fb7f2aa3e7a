"""``alframe plugins``: distributions, versions, names by kind, stage implementations."""

from __future__ import annotations

import json
import os

import pytest

from alframe.cli import main as cli


@pytest.fixture(autouse=True)
def wide_plain_output(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "300")
    for key in list(os.environ):
        if key.startswith("ALFRAME_"):
            monkeypatch.delenv(key)


def listing(*argv: str, capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert cli.main([*argv, "plugins"]) == 0
    return [line.lstrip("│├└─ ") for line in capsys.readouterr().out.splitlines()]


def test_names_grouped_by_kind_and_hooks(capsys: pytest.CaptureFixture[str]) -> None:
    lines = listing(capsys=capsys)
    assert "alframe 0.1.0  built-in" in lines
    assert "encoders: hashed_bag, numeric_mlp" in lines
    assert "trunks: identity, mlp" in lines
    assert any(line.startswith("policies: adaptive, bald, disagreement, diverse, iwal, random, uncertainty") for line in lines)
    assert any(line.startswith("imbalance methods: ") and "pos_weight" in line for line in lines)
    assert any(line.startswith("metrics: ") and "micro_f1" in line for line in lines)
    hooks = next(line for line in lines if line.startswith("stage implementations: alframe_annotate"))
    assert "alframe_register" in hooks and "alframe_query" in hooks


def test_the_third_party_plugin_its_version_and_policy(capsys: pytest.CaptureFixture[str]) -> None:
    lines = listing(capsys=capsys)
    at = lines.index("alframe-cardinality 0.1.0  entry point: cardinality")
    assert lines[at + 1] == "policies: cardinality"
    assert lines[at + 2] == "stage implementations: alframe_register"


def test_autoload_off_lists_what_was_left_out(capsys: pytest.CaptureFixture[str]) -> None:
    lines = listing("--no-plugins", capsys=capsys)
    assert "policies: cardinality" not in lines
    assert any(line.startswith("alframe-cardinality 0.1.0") and "not loaded" in line and "-p cardinality" in line
               for line in lines)
    lines = listing("--no-plugins", "-p", "cardinality", capsys=capsys)
    assert "policies: cardinality" in lines


def test_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["plugins", "--json"]) == 0
    rows = {r["distribution"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["alframe"]["builtin"] and "uncertainty" in rows["alframe"]["components"]["policy"]
    card = rows["alframe-cardinality"]
    assert (card["version"], card["loaded"], card["components"], card["hooks"]) == (
        "0.1.0", True, {"policy": ["cardinality"]}, ["alframe_register"],
    )


def test_a_named_plugin_that_is_not_installed(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--no-plugins", "-p", "nonexistent", "plugins"]) == 4
    assert "plugin(s) not installed: nonexistent" in capsys.readouterr().err
