from __future__ import annotations

import os
from pathlib import Path

import pytest

from alframe.errors import RunError
from alframe.experiments.layout import experiment_folder
from alframe.record import run_progress as run_state
from alframe.record.experiment import experiment_lock, read_experiment


def test_fresh_never_reuses_a_folder_that_holds_something(tmp_path: Path) -> None:
    base = tmp_path / "exp"
    assert experiment_folder(base, fresh=True) == base  # nothing there yet
    base.mkdir()
    (base / "experiment.json").write_text("{}")
    assert experiment_folder(base, fresh=False) == base  # resume in place
    assert experiment_folder(base, fresh=True) == tmp_path / "exp-2"
    (tmp_path / "exp-2").mkdir()
    assert experiment_folder(base, fresh=True) == tmp_path / "exp-3"
    assert (base / "experiment.json").read_text() == "{}"  # nothing deleted


def test_a_single_run_folder_is_not_an_experiment_folder(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "run.db").write_bytes(b"")
    with pytest.raises(RunError, match="single run"):
        experiment_folder(tmp_path / "run", fresh=False)


def test_a_second_runner_is_refused_naming_the_holder(tmp_path: Path) -> None:
    with experiment_lock(tmp_path / "exp"):
        with pytest.raises(RunError, match=f"pid {os.getpid()}"):
            with experiment_lock(tmp_path / "exp"):
                pass
    with experiment_lock(tmp_path / "exp"):  # released: a later runner gets it
        pass


def test_states_of_run_folders(tmp_path: Path) -> None:
    from alframe.record.store import RunStore

    assert run_state(tmp_path / "none") == ("waiting", {})
    (tmp_path / "r").mkdir()
    store = RunStore.open(tmp_path / "r" / "run.db")
    store.start_round(0, 1)
    store.finish_round(0, labels=10, items=2, timings={}, train={}, metrics={}, checkpoint=None)
    assert run_state(tmp_path / "r") == ("partial", {"rounds": 1, "labels": 10})
    store.log_event("finished", {"stop_reason": "budget spent", "seconds": 1.5})
    store.close()
    state, info = run_state(tmp_path / "r")
    assert state == "complete" and info["stop_reason"] == "budget spent" and info["seconds"] == 1.5
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "experiment.json").write_text("{not json")
    with pytest.raises(RunError, match="cannot read"):
        read_experiment(tmp_path / "bad")
