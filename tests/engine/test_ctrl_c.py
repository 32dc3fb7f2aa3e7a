"""Ctrl-C twice while training (RELIABILITY.md case 19), with a real process and real signals.

The first Ctrl-C asks for a stop at the next safe point; a second one, arriving while
Lightning is still inside ``fit``, must not become Lightning's own ``exit(1)``: the command
stops, says how to resume and exits 130, and the store holds every answer once.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from engine_specs import REPO, write_spec

from alframe.fsutil import FolderLock

# steps long enough that a second Ctrl-C soon after the first lands inside the same step
SLOW_MODEL = (
    ("hashed_bag(dim=16, buckets=2^12, ngrams=1..1)", "hashed_bag(dim=256, buckets=2^16, ngrams=1..2)"),
    ("mlp(hidden=32)", "mlp(hidden=1024)"),
    ("epochs 2 ", "epochs 400 "),
    ("batch 64 ", "batch 256 "),
)


def _spec(folder: Path) -> Path:
    spec = write_spec(folder, extra_query="rounds 2", seed_size=300, limit=1200)
    text = spec.read_text()
    for old, new in SLOW_MODEL:
        assert old in text
        text = text.replace(old, new)
    spec.write_text(text)
    return spec


@pytest.mark.parametrize("gap", [0.0, 0.05])
def test_ctrl_c_twice_while_training_stops_cleanly_and_says_how_to_resume(tmp_path: Path, gap: float) -> None:
    spec = _spec(tmp_path / "spec")
    out = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALFRAME_")}
    env.update(PYTHONPATH=str(REPO), ALFRAME_TRACE_HOOKS="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "alframe.cli.main", "--no-plugins", "run", str(spec), "--out", str(out), "--plain"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
    )
    lines: list[str] = []
    training, stopping = threading.Event(), threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if "[alframe hook] alframe_train ←" in line:
                training.set()
            if "stopping at the next safe point" in line:
                stopping.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert training.wait(180), "".join(lines)
        time.sleep(0.3)  # inside fit, a few steps in
        proc.send_signal(signal.SIGINT)
        assert stopping.wait(60), "".join(lines)  # the first Ctrl-C was heard, fit not yet left
        time.sleep(gap)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=10)
    text = "".join(lines)
    assert proc.returncode == 130, text
    assert "resume with: alframe run" in text, text
    assert "Traceback" not in text and "internal error" not in text and "Detected KeyboardInterrupt" not in text
    with sqlite3.connect(out / "run.db") as c:
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        statuses = [r[0] for r in c.execute("SELECT status FROM rounds ORDER BY round")]
        rows = c.execute("SELECT item, label, COUNT(*) FROM answers GROUP BY item, label").fetchall()
    assert "complete" not in statuses  # the round being trained was not committed
    assert rows and all(n == 1 for _, _, n in rows)  # the seed set's answers, each once
    with FolderLock(out, "run.lock", what="run folder", code="R205"):
        pass  # the folder is free for the resume
