"""``alframe status RUN [--json]`` on real runs in every state: new (no round), running (the
folder held), interrupted mid-round and between rounds (a real SIGINT at a stage), finished;
its JSON keys are the documented ones; and it changes nothing in the folder. (Waiting for
answers: tests/cli/test_cold_start.py.)"""

from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path
from typing import Any

import pytest
from engine_specs import REPO, run_spec, write_spec

from alframe.cli.main import main
from alframe.fsutil import FolderLock
from alframe.hookspecs import hookimpl

KEYS = {
    "run", "folder", "state", "round", "rounds_complete", "questions", "answers", "items", "cost", "cost_model", "budget",
    "budget_left", "metrics_round", "metrics", "estimate", "estimates", "stop_reason", "questions_file", "answers_file",
    "running_pid", "continue",
}


def status(out: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["status", str(out), "--json"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert set(info) == KEYS
    assert set(info["questions"]) == {"round", "asked", "answered", "open"}
    return info


def snapshot(folder: Path) -> dict[str, tuple[int, int, bytes]]:
    """Every file under the folder: size, mtime and bytes."""
    return {
        str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns, p.read_bytes())
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


class CtrlCAt:
    """A real SIGINT to this process in one stage of one round, as a person's Ctrl-C."""

    def __init__(self, stage: str, rnd: int) -> None:
        self.stage, self.rnd = stage, rnd

    def _maybe(self, state: Any) -> None:
        if state.round == self.rnd:
            os.kill(os.getpid(), signal.SIGINT)

    @hookimpl(tryfirst=True)
    def alframe_weight(self, state: Any) -> None:
        if self.stage == "weight":
            self._maybe(state)

    @hookimpl
    def alframe_round_end(self, state: Any, record: Any) -> None:
        if self.stage == "round_end":
            self._maybe(state)


def exported(out: Path, capsys: pytest.CaptureFixture[str]) -> int:
    """``alframe export`` of a run folder in any state: the number of answers it wrote."""
    capsys.readouterr()
    assert main(["export", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("id,label,value,")
    return len(lines) - 1


def test_a_new_run_folder_with_no_round(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path / "spec")
    spec.write_text(spec.read_text().replace("text package, description", "text package, descripton"))
    out = tmp_path / "run"
    assert main(["--no-plugins", "run", str(spec), "--out", str(out), "--plain"]) == 3  # a data error
    info = status(out, capsys)
    assert info["state"] == "new" and info["round"] is None and info["rounds_complete"] == 0
    assert info["answers"] == 0 and info["budget_left"] == info["budget"] == 5000
    assert info["continue"] == f"alframe run {spec} --out {out}"
    assert main(["status", str(out)]) == 0
    assert "new: no round started yet" in capsys.readouterr().out
    assert exported(out, capsys) == 0
    assert main(["--no-plugins", "export", str(out), "--predict"]) == 5  # no model yet: said, not a crash
    assert "error[R320]" in capsys.readouterr().err


def test_finished_running_and_read_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path / "spec", extra_query="rounds 2")
    out = tmp_path / "run"
    summary, _, _ = run_spec(spec, out)
    before = snapshot(out)
    info = status(out, capsys)
    assert snapshot(out) == before, "status changed the run folder"
    assert info["state"] == "finished" and info["stop_reason"] == summary.stop_reason
    assert info["round"] == 1 and info["rounds_complete"] == 2 and info["continue"] is None
    assert info["answers"] == summary.labels_used and info["items"] == summary.items_touched
    assert info["budget_left"] == 5000 - summary.labels_used
    assert info["metrics_round"] == 1 and set(info["metrics"]) == {"micro_f1", "macro_f1", "macro_ap"}
    assert info["metrics"] == {k: summary.metrics[k] for k in info["metrics"]}
    assert main(["status", str(out)]) == 0
    text = capsys.readouterr().out
    assert "finished: round limit reached" in text and re.search(r"test metrics \(round 1\): micro_f1 0\.\d{4}", text)

    assert exported(out, capsys) == summary.labels_used
    assert snapshot(out) == before, "export changed the run folder"

    with FolderLock(out, "run.lock", what="run folder", code="R205"):  # as a run holds it
        info = status(out, capsys)
        assert info["state"] == "running" and info["running_pid"] == os.getpid() and info["continue"] is None


@pytest.mark.parametrize(("stage", "state_round", "text"), [
    ("weight", 1, "interrupted in round 1"),
    ("round_end", 0, "interrupted between rounds"),
])
def test_interrupted(tmp_path: Path, capsys: pytest.CaptureFixture[str], stage: str, state_round: int, text: str) -> None:
    spec = write_spec(tmp_path / "spec", extra_query="rounds 3")
    out = tmp_path / "run"
    summary, _, _ = run_spec(spec, out, extra=[("ctrl-c", CtrlCAt(stage, 1 if stage == "weight" else 0))])
    assert summary.interrupted
    before = snapshot(out)
    info = status(out, capsys)
    assert snapshot(out) == before
    assert info["state"] == "interrupted" and info["round"] == state_round
    assert info["continue"] == f"alframe run {spec} --out {out}"
    if stage == "weight":  # round 1 asked and answered, not trained
        q = info["questions"]
        assert q["round"] == 1 and q["asked"] == q["answered"] > 0 and q["open"] == 0
        assert info["rounds_complete"] == 1 and info["metrics_round"] == 0
    else:
        assert info["questions"]["round"] is None and info["rounds_complete"] == 1
    assert main(["status", str(out)]) == 0
    said = capsys.readouterr().out
    assert text in said and f"continue with: alframe run {spec} --out {out}" in said
    assert exported(out, capsys) == info["answers"] > 0  # every committed answer, the open round's too
    assert snapshot(out) == before, "export changed the run folder"


def test_not_a_run_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["status", str(tmp_path)]) == 5
    assert "error[R209]" in capsys.readouterr().err


def test_the_json_keys_are_documented() -> None:
    running = (REPO / "docs" / "running.md").read_text(encoding="utf-8")
    section = running.split("## Where a run stands", 1)[1].split("\n## ", 1)[0]
    states, keys = section.split("The keys of `--json`", 1)
    assert set(re.findall(r"^\| `([a-z_]+)` \|", keys, re.M)) == KEYS
    from alframe.cli.status import STATES

    assert set(re.findall(r"^\| `([a-z_]+)` \|", states, re.M)) == set(STATES)
