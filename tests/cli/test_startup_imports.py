"""Start-up stays fast (issue 13 item 5): ``alframe --help``, ``alframe check`` and ``alframe
status`` import neither torch nor Lightning (nor torchmetrics), nor does ``alframe run`` before
its spec is compiled; only the commands that train or score pay for them. Each command runs in a fresh interpreter, which then
lists the heavy modules it holds."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from engine_specs import REPO, run_spec, write_spec

HEAVY = ("torch", "pytorch_lightning", "lightning", "lightning_fabric", "torchmetrics")

WRAPPER = """
import json, sys
from alframe.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:  # --help exits through click
    code = exc.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in {heavy!r})
print(json.dumps({{"code": code, "heavy": heavy}}), file=sys.stderr)
"""


def heavy_modules(*args: str, code: int = 0) -> list[str]:
    """Run ``alframe ARGS`` in a new interpreter; the heavy modules it imported."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALFRAME_")}
    env["PYTHONPATH"] = str(REPO)
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER.format(heavy=set(HEAVY)), *args],
        capture_output=True, text=True, timeout=120, env=env,
    )
    report = json.loads(done.stderr.strip().splitlines()[-1])
    assert report["code"] in ((0, None) if code == 0 else (code,)), (args, done.stdout[-2000:], done.stderr[-2000:])
    return list(report["heavy"])


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("startup")
    spec = write_spec(folder, name="startup", extra_query="rounds 1")
    run_spec(spec, folder / "run")
    return folder / "run"


def test_help_imports_neither_torch_nor_lightning() -> None:
    assert heavy_modules("--help") == []


def test_check_imports_neither_torch_nor_lightning() -> None:
    assert heavy_modules("check", str(REPO / "specs")) == []


def test_status_imports_neither_torch_nor_lightning(finished_run: Path) -> None:
    assert heavy_modules("status", str(finished_run)) == []
    assert heavy_modules("status", str(finished_run), "--json") == []


def test_run_says_a_spec_error_before_importing_torch(tmp_path: Path) -> None:
    """A bad spec is compiled (and refused, exit 2) before the training side is imported."""
    spec = write_spec(tmp_path, name="bad", extra_trainer="checkpoint_every 0")
    assert heavy_modules("run", str(spec), "--out", str(tmp_path / "run"), code=2) == []
    assert not (tmp_path / "run").exists()


def test_the_check_sees_what_run_imports() -> None:
    """The wrapper would see torch: importing the training side loads it."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    code = "import sys, alframe.engine; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert out.stdout.split() == ["True"]
