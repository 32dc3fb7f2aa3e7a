"""``oracle prompt`` through a real pseudo-terminal (tmux): `alframe run` as a person sees it,
with keys typed ahead during start-up, answers, a skip, Ctrl-C, and the next run.

Each test starts the real command in a private tmux server, sends keys with ``send-keys`` and
reads the screen with ``capture-pane``; run.db is read beside it. Skipped without tmux."""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from engine_specs import write_spec

pytest.importorskip("textual")
TMUX = shutil.which("tmux")
pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)")

REPO = Path(__file__).resolve().parents[2]
WAIT = 90.0  # seconds: a start-up imports torch and trains a tiny model on a busy machine


class Terminal:
    """One tmux window, 100 × 30, on a server of its own."""

    def __init__(self, folder: Path) -> None:
        self.socket = str(folder / "tmux.sock")
        self.n = 0

    def tmux(self, *args: str) -> str:
        assert TMUX is not None
        done = subprocess.run([TMUX, "-S", self.socket, *args], capture_output=True, text=True, timeout=30)
        return done.stdout

    def start(self, folder: Path, args: str) -> None:
        self.n += 1
        self.name = f"run{self.n}"
        command = (
            f"cd {folder} && {sys.executable} -m alframe.cli.main {args}; echo EXIT=$?; sleep 600"
        )
        env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(REPO)}
        env.pop("CI", None)
        assert TMUX is not None
        subprocess.run(
            [TMUX, "-S", self.socket, "new-session", "-d", "-s", self.name, "-x", "100", "-y", "30", command],
            env=env, check=True, timeout=30,
        )

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.name, *keys)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-t", self.name, "-p")

    def wait_for(self, what: str | Callable[[str], bool], timeout: float = WAIT) -> str:
        test = (lambda s: what in s) if isinstance(what, str) else what
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            shown = self.screen()
            if test(shown):
                time.sleep(0.3)  # the screen takes keys once its question is drawn
                return shown
            time.sleep(0.1)
        raise AssertionError(f"waited {timeout:.0f}s for {what!r}; the screen:\n{self.screen()}")

    def close(self) -> None:
        self.tmux("kill-server")


@pytest.fixture
def terminal(tmp_path: Path):  # type: ignore[no-untyped-def]
    t = Terminal(tmp_path)
    yield t
    t.close()


def spec(folder: Path, oracle: str) -> Path:
    """Four labels; two items in round 0 (eight questions), three in round 1."""
    path = write_spec(folder, name="people", limit=300, min_positives=70, seed_size=2, batch=3,
                      budget=40, extra_query="rounds 2")
    path.write_text(path.read_text().replace("oracle simulated", f"oracle {oracle}"))
    return path


def answers(run: Path) -> list[tuple[str, str, int, int]]:
    with sqlite3.connect(f"file:{run / 'run.db'}?mode=ro", uri=True) as c:
        return [tuple(r) for r in c.execute("SELECT item, label, value, revision FROM answers ORDER BY id")]  # type: ignore[misc]


def events(run: Path, kind: str) -> list[dict[str, object]]:
    with sqlite3.connect(f"file:{run / 'run.db'}?mode=ro", uri=True) as c:
        return [json.loads(d) for (d,) in c.execute("SELECT detail FROM events WHERE kind = ?", (kind,))]


def status(shown: str) -> tuple[int, int]:
    m = re.search(r"answered (\d+)  ·  open (\d+)", shown)
    assert m, shown
    return int(m.group(1)), int(m.group(2))


def asked_label(shown: str) -> str:
    line = next(line for line in shown.splitlines() if "▶" in line)
    m = re.search(r"\] (\S+)", line)
    assert m, line
    return m.group(1)


def test_the_screen_takes_no_typed_ahead_key_and_ctrl_c_keeps_every_answer(terminal: Terminal, tmp_path: Path) -> None:
    spec(tmp_path, "prompt")
    run = tmp_path / "run"
    terminal.start(tmp_path, f"run people.al --out {run} --no-report")
    terminal.keys("y", "n", "y", "y", "a", "Enter")  # typed while the run starts: no answers
    shown = terminal.wait_for("yes or no?")
    assert status(shown) == (0, 8) and "budget left 40" in shown
    assert answers(run) == []
    first = asked_label(shown)

    terminal.keys("y")
    shown = terminal.wait_for(lambda s: "answered 1" in s)
    second = asked_label(shown)
    terminal.keys("n")
    shown = terminal.wait_for(lambda s: "answered 2" in s)
    third = asked_label(shown)
    terminal.keys("s")
    shown = terminal.wait_for(lambda s: "skipped" in s and "open 5" in s)
    assert status(shown) == (2, 5)
    terminal.keys("C-c")
    shown = terminal.wait_for("EXIT=")
    assert "EXIT=130" in shown and "resume with: alframe run people.al" in shown  # the terminal is back
    stored = answers(run)
    assert [(label, value, rev) for _, label, value, rev in stored] == [(first, 1, 1), (second, 0, 1)]
    assert [(e["label"], e["round"]) for e in events(run, "annotation_skipped")] == [(third, 0)]

    # the next run asks only what is open: not the answered cells, not the skipped one
    terminal.start(tmp_path, f"run people.al --out {run} --no-report")
    shown = terminal.wait_for("yes or no?")
    assert status(shown) == (2, 5)
    assert asked_label(shown) not in (first, second, third)
    assert "skipped" in shown
    for k in range(5):  # the rest of round 0
        terminal.keys("y" if k % 2 else "n")
        shown = terminal.wait_for(lambda s, k=k: "round 1" in s or f"answered {3 + k}" in s)

    # round 1: the model's guesses are on screen; undo changes an answer, accept-all the rest
    shown = terminal.wait_for(lambda s: "round 1" in s and "yes or no?" in s)
    assert status(shown)[0] == 0 and re.search(OPEN_ROW, shown)
    item, first = shown_item(shown), asked_label(shown)
    terminal.keys("y")
    terminal.wait_for(lambda s: "answered 1" in s)
    terminal.keys("u")
    terminal.wait_for("again: yes or no?")
    terminal.keys("n")
    shown = terminal.wait_for(f"{first}: yes → no")
    assert status(shown)[0] == 1
    # accept-all: every open label of the item on screen, ticked as the model guesses
    item2 = shown_item(shown)
    ticks = {m.group(2): int(m.group(1) == "x") for m in re.finditer(OPEN_ROW, shown) if "skipped" not in m.group(0)}
    terminal.keys("a")
    terminal.wait_for(lambda s: f"answered {1 + len(ticks)}" in s)  # more questions follow
    terminal.keys("C-c")
    shown = terminal.wait_for("EXIT=")
    assert "EXIT=130" in shown
    got = [(label, value, rev) for it, label, value, rev in answers(run) if it == item and label == first]
    assert got == [(first, 1, 1), (first, 0, 2)]  # the undone answer is kept as revision 1
    accepted = {(label, value) for it, label, value, _ in answers(run) if it == item2 and label in ticks}
    assert accepted == set(ticks.items())
    assert len(answers(run)) == 7 + 1 + 1 + len(ticks)  # round 0 (one skipped), the revision, round 1


OPEN_ROW = r"\[([x ])\] (\S+) +0\.\d\d.*"


def shown_item(shown: str) -> str:
    m = re.search(r"item (\S+)", shown)
    assert m, shown
    return m.group(1)


def test_the_line_prompt_takes_no_typed_ahead_line_and_ctrl_c_stores_no_line(terminal: Terminal, tmp_path: Path) -> None:
    spec(tmp_path, "prompt(mode=lines)")
    run = tmp_path / "run"
    terminal.start(tmp_path, f"run people.al --out {run} --no-report")
    terminal.keys("y", "Enter", "n", "Enter")  # typed while the run starts
    terminal.wait_for("[y/n/s/q]")
    time.sleep(0.5)
    assert answers(run) == []
    terminal.keys("y", "Enter")
    terminal.wait_for(lambda s: s.count("[y/n/s/q]") >= 2)
    assert [v for _, _, v, _ in answers(run)] == [1]
    terminal.keys("n")  # half a line, then Ctrl-C: never stored, never waits for Enter
    terminal.keys("C-c")
    shown = terminal.wait_for("EXIT=", timeout=30)
    assert "EXIT=130" in shown
    assert [v for _, _, v, _ in answers(run)] == [1]


def test_kill_9_at_the_screen_loses_no_acknowledged_answer(terminal: Terminal, tmp_path: Path) -> None:
    """SIGKILL while the screen waits for a person (RELIABILITY.md case 16): every answer the
    screen counted as answered is in run.db once, the database is sound, and the next run asks
    only the open questions."""
    spec(tmp_path, "prompt")
    run = tmp_path / "run"
    terminal.start(tmp_path, f"run people.al --out {run} --no-report")
    shown = terminal.wait_for("yes or no?")
    first = asked_label(shown)
    terminal.keys("y")
    shown = terminal.wait_for(lambda s: "answered 1" in s)
    second = asked_label(shown)
    terminal.keys("n")
    terminal.wait_for(lambda s: "answered 2" in s)  # acknowledged: the screen counts it
    terminal.keys("y")  # typed, then the process dies: it may or may not have been stored
    shell = int(terminal.tmux("list-panes", "-t", terminal.name, "-F", "#{pane_pid}").split()[0])
    child = subprocess.run(["pgrep", "-P", str(shell)], capture_output=True, text=True).stdout.split()
    assert child, "the alframe process was not found"
    os.kill(int(child[0]), 9)
    terminal.wait_for("EXIT=137", timeout=30)

    stored = answers(run)
    assert [(label, value) for _, label, value, _ in stored[:2]] == [(first, 1), (second, 0)]
    assert len(stored) in (2, 3) and len({(i, label) for i, label, _, _ in stored}) == len(stored)
    with sqlite3.connect(f"file:{run / 'run.db'}?mode=ro", uri=True) as c:
        assert c.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    terminal.start(tmp_path, f"run people.al --out {run} --no-report")
    shown = terminal.wait_for("yes or no?")
    assert status(shown) == (len(stored), 8 - len(stored))
    assert (shown_item(shown), asked_label(shown)) not in {(i, label) for i, label, _, _ in stored}
    terminal.keys("q")
    assert "EXIT=130" in terminal.wait_for("EXIT=", timeout=30)
    assert answers(run) == stored  # nothing stored twice, nothing lost
