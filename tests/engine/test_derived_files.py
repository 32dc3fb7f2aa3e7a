"""Files derived from run.db are rebuilt from it when they disagree (RELIABILITY.md case 16).

run.db is the truth; metrics.csv, the copies of the spec and plan, and temporary files of
atomic writes are what a kill can leave behind it. Opening the folder again puts them right.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from engine_specs import REPO, run_spec, stored_metrics, write_spec

from alframe.record import is_temporary

# a real process killed (SIGKILL) right after the last round's commit, before metrics.csv
KILL_AFTER_LAST_COMMIT = """
import os, signal, sys
sys.path.insert(0, {tests!r})
from pathlib import Path
from alframe.record import RunFolder
from engine_specs import run_spec

def killed(self, record):
    if record.round == {last}:
        os.kill(os.getpid(), signal.SIGKILL)
    return original(self, record)

original = RunFolder.append_metrics_csv
RunFolder.append_metrics_csv = killed
run_spec(Path({spec!r}), Path({out!r}))
"""


def _cli(spec: Path, out: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALFRAME_")}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "alframe.cli.main", "--no-plugins", "run", str(spec), "--out", str(out), "--plain", "--no-report"],
        capture_output=True, text=True, timeout=300, env=env,
    )


def test_a_kill_after_the_last_commit_leaves_metrics_csv_short_and_the_rerun_rebuilds_it(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec", extra_query="rounds 2")
    out = tmp_path / "run"
    script = KILL_AFTER_LAST_COMMIT.format(tests=str(REPO / "tests" / "engine"), last=1, spec=str(spec), out=str(out))
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    assert killed.returncode == -9, killed.stderr
    assert [r for r, _ in stored_metrics(out)] == [0, 1]  # both rounds committed …
    assert len((out / "metrics.csv").read_text().splitlines()) == 1 + 1  # … the csv one round short
    done = _cli(spec, out)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "rebuilt from run.db: metrics.csv" in done.stdout
    rows = (out / "metrics.csv").read_text().splitlines()
    assert [line.split(",")[0] for line in rows[1:]] == ["0", "1"]
    assert [r for r, _ in stored_metrics(out)] == [0, 1]  # finished: no round added
    with sqlite3.connect(out / "run.db") as c:
        assert ("rebuilt",) in c.execute("SELECT kind FROM events").fetchall()


def test_derived_files_and_leftover_temporaries_are_put_right_on_open(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec", extra_query="rounds 2")
    out = tmp_path / "run"
    run_spec(spec, out)
    good = {name: (out / name).read_text() for name in ("metrics.csv", "spec.al", "plugins.json")}
    (out / "metrics.csv").write_text(good["metrics.csv"].replace(",", ";"))  # edited by hand
    (out / "spec.al").unlink()
    (out / "plan.json").unlink()
    (out / "plugins.json").unlink()
    leftovers = [
        out / f".metrics.csv.tmp-{os.getpid() + 1}",
        out / ".write-test-4242",
        out / "checkpoints" / ".round-0001.ckpt.k2j3h4.tmp",
    ]
    for p in leftovers:
        p.write_bytes(b"\0" * 1_000_000)
    keep = out / "notes.tmp"  # not one of ours: left alone
    keep.write_text("mine")
    run_spec(spec, out)
    for name, text in good.items():
        assert (out / name).read_text() == text, name
    assert (out / "plan.json").exists()
    assert not any(p.exists() for p in leftovers)
    assert keep.read_text() == "mine"
    before = (out / "metrics.csv").stat().st_mtime_ns
    run_spec(spec, out)  # nothing disagrees: nothing is rewritten
    assert (out / "metrics.csv").stat().st_mtime_ns == before


def test_what_counts_as_a_temporary_file() -> None:
    assert is_temporary(".metrics.csv.tmp-123")
    assert is_temporary(".round-0003.ckpt.a1b2c3.tmp")
    assert is_temporary(".write-test-77")
    for name in ("metrics.csv", "run.db", "run.db-wal", "notes.tmp", ".hidden", "round-0001.ckpt"):
        assert not is_temporary(name), name
