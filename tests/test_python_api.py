"""The Python API: docs/python.md's example run cell by cell, and the promises around it
(import alframe is cheap, pandas is optional)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

import alframe

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "python.md"


def cells() -> list[str]:
    return re.findall(r"```python\n(.*?)```", DOC.read_text(), re.S)


@pytest.mark.slow  # three rounds of a real run (under a minute on an idle core)
def test_the_notebook_example_runs_cell_by_cell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "specs" / "data").mkdir(parents=True)
    (tmp_path / "specs" / "data" / "debian-packages.jsonl.gz").symlink_to(
        ROOT / "specs" / "data" / "debian-packages.jsonl.gz")
    monkeypatch.chdir(tmp_path)
    found = cells()
    assert len(found) >= 6
    namespace: dict[str, object] = {}
    for k, code in enumerate(found):
        exec(compile(code, f"docs/python.md cell {k + 1}", "exec"), namespace)
    run, preds, new = namespace["run"], namespace["preds"], namespace["new"]
    assert run.summary.stop_reason.startswith("round limit")  # type: ignore[attr-defined]
    assert len(run.metrics["round"]) == 3  # type: ignore[attr-defined]
    assert preds.probabilities.shape[0] == len(preds.ids) > 0  # type: ignore[attr-defined]
    assert new.probabilities.shape == (2, len(preds.label_names))  # type: ignore[attr-defined]
    again = alframe.run(tmp_path / "demo" / "tiny.al", out=tmp_path / "demo" / "run")  # resumes: finished
    assert again.summary.rounds == 3 and len(again.answers["item"]) == len(run.answers["item"])  # type: ignore[attr-defined]


def test_import_alframe_loads_neither_torch_nor_pandas() -> None:
    code = "import sys, alframe; print(alframe.__version__, 'torch' in sys.modules, 'pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout.split()
    assert out[1:] == ["False", "False"] and out[0] == alframe.__version__


def test_tables_are_dataframes_when_pandas_is_there(monkeypatch: pytest.MonkeyPatch) -> None:
    from alframe.results import _pandas, make_table

    fake = types.ModuleType("pandas")
    fake.DataFrame = lambda columns: ("frame", sorted(columns))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pandas", fake)
    assert make_table({"a": [1, 2]}, _pandas(None)) == ("frame", ["a"])
    plain = make_table({"a": [1, 2]}, _pandas(False))
    assert isinstance(plain, dict) and isinstance(plain["a"], np.ndarray)
    monkeypatch.setitem(sys.modules, "pandas", None)  # not installed
    assert _pandas(None) is None
    with pytest.raises(ImportError):
        _pandas(True)


def test_open_run_refuses_a_folder_that_is_not_a_run(tmp_path: Path) -> None:
    from alframe.errors import RunError

    with pytest.raises(RunError) as err:
        alframe.open_run(tmp_path)
    assert err.value.code == "R209" and not (tmp_path / "run.db").exists()


def test_a_round_checkpoint_is_not_an_exported_model(tmp_path: Path) -> None:
    import torch

    from alframe.errors import RunError

    path = tmp_path / "round-0000.ckpt"
    torch.save({"format": "alframe.model", "version": 1}, path)
    with pytest.raises(RunError) as err:
        alframe.load_model(path)
    assert err.value.code == "R303" and "round checkpoint" in str(err.value)
