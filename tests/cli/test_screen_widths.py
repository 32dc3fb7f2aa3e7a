"""`alframe run` as a person sees it at 80 and at 200 columns, through a real pseudo-terminal
(tmux on a private socket): the live panel, the end-of-run table and the grid's tables cut no
number, the rounds are numbered from 0 everywhere, the panel's border is drawn once after
Ctrl-C. Skipped without tmux (apt-get install tmux)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from engine_specs import write_spec

TMUX = shutil.which("tmux")
pytestmark = pytest.mark.skipif(TMUX is None, reason="tmux is not installed (apt-get install tmux)")

REPO = Path(__file__).resolve().parents[2]
WAIT = 240.0  # seconds: imports torch and trains on a busy machine


class Pane:
    def __init__(self, folder: Path, width: int, height: int = 50) -> None:
        self.socket = str(folder / "tmux.sock")
        self.width, self.height = width, height

    def tmux(self, *args: str) -> str:
        assert TMUX is not None
        return subprocess.run([TMUX, "-S", self.socket, *args], capture_output=True, text=True, timeout=30).stdout

    def start(self, folder: Path, args: str) -> None:
        command = f"cd {folder} && {sys.executable} -m alframe.cli.main {args}; echo EXIT=$?; sleep 600"
        env = {**os.environ, "TERM": "xterm-256color", "PYTHONPATH": str(REPO)}
        env.pop("CI", None)
        assert TMUX is not None
        subprocess.run([TMUX, "-S", self.socket, "new-session", "-d", "-s", "w", "-x", str(self.width),
                        "-y", str(self.height), command], env=env, check=True, timeout=30)
        self.tmux("set-option", "-t", "w", "history-limit", "5000")

    def screen(self) -> str:
        """Everything shown so far, scrollback included, as the terminal drew it."""
        return self.tmux("capture-pane", "-t", "w", "-p", "-S", "-5000")

    def wait_for(self, pattern: str, timeout: float = WAIT) -> str:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            shown = self.screen()
            if re.search(pattern, shown):
                return shown
            time.sleep(0.2)
        raise AssertionError(f"waited {timeout:.0f}s for {pattern!r}; the screen:\n{self.screen()}")

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "w", *keys)

    def close(self) -> None:
        self.tmux("kill-server")


@pytest.fixture
def pane_at(tmp_path: Path):
    panes: list[Pane] = []

    def make(width: int) -> Pane:
        panes.append(Pane(tmp_path, width))
        return panes[-1]

    yield make
    for p in panes:
        p.close()


NUMBER = r"(?:[\d,]+(?:\.\d+)?|undefined|–|—|not reached)"


def summary_rows(shown: str) -> list[list[str]]:
    """The end-of-run table's rows (those that begin with a round number), cells stripped."""
    rows = []
    for line in shown.splitlines():
        if re.match(r"^\s*\d+\s+│", line):
            rows.append([c.strip() for c in line.split("│")])
    return rows


def panel_round(shown: str) -> int:
    found = re.findall(r"│ round (\d+)", shown)
    assert found, shown
    return int(found[-1])


@pytest.mark.slow  # 20–40 s each on a busy machine
@pytest.mark.parametrize("width", [80, 200])
def test_a_run_at_80_and_200_columns(pane_at, tmp_path: Path, width: int) -> None:
    write_spec(tmp_path, name="widths", limit=300, min_positives=20, seed_size=10, batch=10, budget=100_000,
               extra_query="rounds 3")
    pane = pane_at(width)
    pane.start(tmp_path, "run widths.al --out run --no-report")
    shown = pane.wait_for(r"EXIT=\d+")
    assert "EXIT=0" in shown
    lines = shown.splitlines()
    assert all(len(line) <= width for line in lines)
    assert "…" not in shown  # no cut number, name or message
    assert sum(1 for line in lines if line.startswith("╭")) == 1  # one panel, drawn once
    # the title is one line, with thousands separators
    assert "widths: round limit reached: 3 rounds" in lines
    rows = summary_rows(shown)
    rounds = [r[0] for r in rows]  # a table too wide for the screen is shown in parts, each from round 0
    assert rounds and rounds == ["0", "1", "2"] * (len(rounds) // 3)  # rounds from 0
    for r in rows:
        assert all(re.fullmatch(NUMBER, c) for c in r), r
        assert not any(re.fullmatch(r"\d{4,}", c.split(".")[0]) for c in r), r  # 1,234, never 1234
    # the live panel's last round is the table's last row: one numbering
    assert panel_round(shown) == 2
    answers = re.search(r"answered cells ([\d,]+) of a budget of 100,000", shown)
    assert answers, shown
    if width == 200:  # the room is used: the whole table side by side, the policy on the panel's first line
        header = next(line for line in lines if "answers" in line and "round s" in line)
        assert "micro_f1" in header and "macro_ap" in header
        assert re.search(r"│ round \d+ .*policy uncertainty\(measure=least_confidence, aggregate=mean, "
                         r"rare_bonus=0\.0, diversity=none, candidates=10\.0, balance=auto\)", shown)


@pytest.mark.slow
def test_ctrl_c_leaves_one_panel_border(pane_at, tmp_path: Path) -> None:
    write_spec(tmp_path, name="stop", limit=400, min_positives=20, seed_size=10, batch=10, budget=100_000,
               extra_query="rounds 40")
    pane = pane_at(80)
    pane.start(tmp_path, "run stop.al --out run --no-report")
    pane.wait_for(r"│ round [1-9]")
    pane.keys("C-c")
    shown = pane.wait_for(r"EXIT=\d+")
    assert "EXIT=130" in shown and "resume with: alframe run stop.al --out run" in shown
    lines = shown.splitlines()
    assert sum(1 for line in lines if line.startswith("╭")) == 1, shown  # ^C no longer pushes the panel down
    assert sum(1 for line in lines if line.startswith("╰")) == 1, shown
    assert "^C" not in shown


GRID = """
vary policy [random, uncertainty(measure=margin)]
vary heads [joint, independent]
"""


@pytest.mark.slow
@pytest.mark.parametrize("width", [80, 200])
def test_a_grid_at_80_and_200_columns(pane_at, tmp_path: Path, width: int) -> None:
    spec = write_spec(tmp_path, name="grid", limit=300, min_positives=20, seed_size=10, batch=10, budget=100_000,
                      extra_query="rounds 2")
    spec.write_text(spec.read_text() + GRID)
    pane = pane_at(width)
    pane.start(tmp_path, "run grid.al --out exp")
    shown = pane.wait_for(r"EXIT=\d+")
    assert "EXIT=0" in shown
    lines = shown.splitlines()
    assert all(len(line) <= width for line in lines)
    body = shown.split("report:")[0]
    assert "…" not in body
    tables = body[body.index("Answers to target"):]
    if width == 80:  # short row names, the full settings once below
        assert re.search(r"^ S1 +│", tables, re.M) and "S4  policy=uncertainty(measure=margin)__heads=independent" in tables
        assert re.search(r"│ +S4 +done ", body)  # the live view's rows
    else:
        assert re.search(r"^ policy=uncertainty\(measure=margin\)__heads=independent +│", tables, re.M)
        assert "settings:" not in tables
    for line in tables.splitlines():
        if "│" in line:
            cells = [c.strip() for c in line.split("│")][1:]
            assert all(re.fullmatch(NUMBER + r"×?", c) for c in cells), line
