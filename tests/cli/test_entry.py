"""The ``alframe`` command's entry point: a Ctrl-C that arrives after a run stopped as asked
(while the interpreter shuts down) must not turn exit 130 into death by SIGINT."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

SCRIPT = """
import atexit, os, signal
signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal, whatever the parent ignores
import alframe.cli.main as m
m.main = lambda: {code}
atexit.register(lambda: os.kill(os.getpid(), signal.SIGINT))  # a late Ctrl-C, after the command
m.entry()
"""


def _run(code: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT.format(code=code)], capture_output=True, text=True, env=env, timeout=60
    )


def test_a_ctrl_c_after_an_interrupted_run_keeps_exit_130() -> None:
    done = _run(130)
    assert done.returncode == 130, (done.returncode, done.stderr)
    assert "KeyboardInterrupt" not in done.stderr


def test_other_exits_keep_ctrl_c_working() -> None:
    done = _run(0)  # not interrupted: Ctrl-C keeps its usual meaning (heard, here in atexit)
    assert "KeyboardInterrupt" in done.stderr
