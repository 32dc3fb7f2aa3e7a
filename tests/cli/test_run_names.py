"""A run name becomes one folder inside the run root, never a way out of it (RELIABILITY.md case 6).

The checker refuses such names with a located error; the places that derive folders from a
name refuse them again (a plan built in Python never went through the checker).
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest
from engine_specs import REPO, write_spec

from alframe.compile import compile_file, compile_text
from alframe.errors import RunError, SpecErrors
from alframe.experiments.grid import Variant
from alframe.experiments.layout import Experiment
from alframe.fsutil import child_folder
from alframe.plugins import load
from alframe.record import RunFolder

REGISTRY = load(autoload=False).registry
BODY = 'data "items.jsonl" { id sku  text title }\nlabels from "tags"\nquery { budget 1000 }\n'


@pytest.mark.parametrize(
    "name,code",
    [
        ("..", "E501"),
        (".", "E501"),
        ("...", "E501"),
        ("a/b", "E501"),
        ("/etc", "E501"),
        ("../up", "E501"),
        ("a\\\\b", "E501"),
        ("x\\ty", "E311"),
        ("x\\ny", "E311"),
        ("   ", "E311"),
        ("n" * 101, "E311"),
    ],
)
def test_a_run_name_that_is_not_one_folder_is_a_located_spec_error(tmp_path: Path, name: str, code: str) -> None:
    text = f'run "{name}"\n' + BODY
    with pytest.raises(SpecErrors) as info:
        compile_text(text, tmp_path / "spec.al", REGISTRY)
    errors = [e for e in info.value.errors if e.code == code]
    assert errors, info.value.render()
    rendered = errors[0].render()
    assert rendered.startswith(f"{tmp_path / 'spec.al'}:1:5: error[{code}]: the run name ")
    assert "   1 | run " in rendered and "^" in rendered  # the caret line, as for every spec error


@pytest.mark.parametrize("name", ["nightly", "products-iwal", "v1.2", "café", "a..b", ".hidden"])
def test_ordinary_run_names_are_taken(tmp_path: Path, name: str) -> None:
    assert compile_text(f'run "{name}"\n' + BODY, tmp_path / "spec.al", REGISTRY).name == name


def test_a_spec_file_whose_name_is_no_run_name_must_name_its_run(tmp_path: Path) -> None:
    # "..al" has the stem "."; without `run "…"` the run folder would be runs/. itself
    with pytest.raises(SpecErrors) as info:
        compile_text(BODY, tmp_path / "..al", REGISTRY)
    assert "error[E311]: the spec file's name gives the run name '.'" in info.value.render()
    assert compile_text('run "ok"\n' + BODY, tmp_path / "..al", REGISTRY).name == "ok"


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALFRAME_")}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "alframe.cli.main", "--no-plugins", *args],
        capture_output=True, text=True, timeout=120, cwd=cwd, env=env,
    )


@pytest.mark.parametrize("name", ["..", "."])
def test_alframe_check_and_run_refuse_and_write_nothing(tmp_path: Path, name: str) -> None:
    spec = write_spec(tmp_path / "project")
    spec.write_text(spec.read_text().replace('run "small"', f'run "{name}"'))
    (tmp_path / "project" / "plan.json").write_text("mine")
    (tmp_path / "project" / "runs").mkdir()
    (tmp_path / "project" / "runs" / "metrics.csv").write_text("mine")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    check = _cli(["check", str(spec)], cwd=tmp_path / "project")
    assert check.returncode == 2 and "error[E501]: the run name" in check.stderr and "^" in check.stderr
    run = _cli(["run", str(spec), "--plain"], cwd=tmp_path / "project")
    assert run.returncode == 2 and "error[E501]" in run.stderr and "Traceback" not in run.stderr
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before
    assert (tmp_path / "project" / "plan.json").read_text() == "mine"
    assert (tmp_path / "project" / "runs" / "metrics.csv").read_text() == "mine"


@pytest.mark.parametrize("name", ["..", ".", "../elsewhere", "/tmp/x", "a/b", ""])
def test_a_plan_built_in_python_cannot_put_its_folder_outside_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    plugins = load(autoload=False)
    plan = compile_file(write_spec(tmp_path / "spec"), plugins.registry)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(RunError) as err:
        RunFolder.open(dataclasses.replace(plan, name=name), plugins)
    assert err.value.code == "R206"
    assert not any(tmp_path.rglob("run.db")) and not (tmp_path / "plan.json").exists()


def test_experiment_settings_stay_inside_the_experiment_folder(tmp_path: Path) -> None:
    plan = compile_file(write_spec(tmp_path / "spec"), REGISTRY)
    exp = Experiment(name="e", folder=tmp_path / "exp", base=plan, variants=[])
    good = Variant(name="policy=random/repeat-1", setting="policy=random", repeat=1, seed=1, values=(), plan=plan)
    assert exp.run_folder(good) == tmp_path / "exp" / "policy=random" / "repeat-1"
    with pytest.raises(RunError):
        exp.run_folder(dataclasses.replace(good, name="../../outside/repeat-1"))
    with pytest.raises(RunError):
        child_folder(tmp_path, "..")
