"""One ``alframe run`` per run folder (RELIABILITY.md case 23), with real processes.

The lock is the kernel's, on the folder: deleting ``run.lock`` under a running run admits no
second one, and a stale ``run.lock`` left by a killed run blocks nobody.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from engine_specs import REPO, write_spec

from alframe.errors import RunError
from alframe.fsutil import FolderLock


def _cmd(spec: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "alframe.cli.main", "--no-plugins", "run", str(spec), "--out", str(out), "--plain"]


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALFRAME_")}
    env["PYTHONPATH"] = str(REPO)
    return env


def _wait_for_lock(out: Path, proc: subprocess.Popen[str], timeout: float = 120) -> None:
    """Until the run holds its folder (its pid is in run.lock)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert proc.poll() is None, proc.communicate()[0]
        try:
            if (out / "run.lock").read_text().strip() == str(proc.pid):
                return
        except OSError:
            pass
        time.sleep(0.02)
    raise AssertionError("the first run did not take its folder in time")


def test_deleting_the_lock_file_admits_no_second_run(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec", extra_query="rounds 40", budget=10**6, limit=1500)
    out = tmp_path / "run"
    first = subprocess.Popen(_cmd(spec, out), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=_env())
    try:
        _wait_for_lock(out, first)
        (out / "run.lock").unlink()
        second = subprocess.run(_cmd(spec, out), capture_output=True, text=True, timeout=120, env=_env())
        assert second.returncode == 5, second.stdout + second.stderr
        assert "error[R205]" in second.stderr and "in use by another alframe run" in second.stderr
        if Path("/proc/locks").exists():  # the holder is found in the kernel's table
            assert f"pid {first.pid}" in second.stderr
        assert first.poll() is None  # the first run goes on, untouched
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    # killed: the kernel dropped the lock, whatever file was left behind
    (out / "run.lock").write_text("99999999\n")
    with FolderLock(out, "run.lock", what="run folder", code="R205"):
        assert (out / "run.lock").read_text().strip() == str(os.getpid())
    assert not (out / "run.lock").exists()  # a clean release leaves no pid file behind


def test_a_stale_lock_file_does_not_block_and_a_live_holder_does(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "run.lock").write_text("12345\n")  # left by a run killed long ago
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys; from pathlib import Path; from alframe.fsutil import FolderLock;"
         f"FolderLock(Path({str(folder)!r}), 'run.lock', what='run folder', code='R205').acquire();"
         "print('held', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=_env(),
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        for _ in range(2):  # refused with the pid file present, and with it deleted
            try:
                FolderLock(folder, "run.lock", what="run folder", code="R205").acquire()
            except RunError as exc:
                assert f"pid {holder.pid}" in str(exc) or "pid unknown" in str(exc)
            else:
                raise AssertionError("a second holder was admitted")
            (folder / "run.lock").unlink(missing_ok=True)
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(timeout=60)
    with FolderLock(folder, "run.lock", what="run folder", code="R205"):
        pass
