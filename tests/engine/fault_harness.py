"""The fault harness: kill a real ``alframe run`` with SIGKILL, restart it, and check what a
resumed run promises (docs/running.md, "What holds after each fault"):

- every answer acknowledged before the kill is in ``run.db`` exactly once afterwards;
- ``PRAGMA integrity_check`` says ``ok``, after the kill and at the end;
- ``metrics.csv`` says what ``run.db`` says (a derived file rebuilt from the store);
- the finished run asked the same questions, got the same answers, trained to the same losses
  and measured the same metrics as a run never killed.

Kills at a named stage come from a small real plugin, :data:`KILL_PLUGIN`, installed as a
distribution with an ``alframe`` entry point (:func:`install_kill_plugin`) and loaded by
``alframe run`` as any pip-installed plugin is. Driven by ``ALFRAME_TEST_KILL="train:2"``, it
sends its own process SIGKILL where that stage of round 2 has done its work and before the
engine goes on. Kills at random moments (``benchmarks/soak.py``) need no plugin: the harness
sends SIGKILL from outside after a random delay.

Used by tests/engine/test_fault_harness.py and benchmarks/soak.py.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine_specs import REPO, install_plugin, write_spec

#: where a kill can be asked for, in the order a round passes them (``alframe run``):
#: the hook's work done and nothing after it begun (``checkpoint``: the round's checkpoint file
#: is in place, the round not yet committed; ``commit``: the round is committed in run.db and
#: ``metrics.csv`` not yet rewritten)
STAGES = ("seed", "score", "query", "annotate", "weight", "train", "evaluate", "should_stop", "checkpoint",
          "commit", "round_end")

KILL_DIST = "alframe-fault-kill"
KILL_MODULE = "alframe_fault_kill"

KILL_PLUGIN = '''
"""A test plugin: SIGKILLs its own process at one stage of one round.

ALFRAME_TEST_KILL="STAGE:ROUND" (STAGE one of seed score query annotate weight train evaluate
should_stop checkpoint commit round_end); ALFRAME_TEST_KILL_MARK names a file written just
before the kill, so the harness knows the kill came from here. Without the variable the plugin
does nothing at all.
"""

import os
import re
import signal

from alframe.hookspecs import hookimpl

_stage, _, _round = os.environ.get("ALFRAME_TEST_KILL", "").partition(":")
STAGE, ROUND = _stage, int(_round) if _round.strip() else -1


def die(stage, rnd):
    if stage != STAGE or int(rnd) != ROUND:
        return
    mark = os.environ.get("ALFRAME_TEST_KILL_MARK")
    if mark:
        with open(mark, "w") as f:
            f.write(f"{stage}:{rnd}")
            f.flush()
            os.fsync(f.fileno())
    os.kill(os.getpid(), signal.SIGKILL)


def _after(stage):
    def wrapper(state, **kwargs):
        result = yield
        die(stage, state.round)
        return result
    return wrapper


@hookimpl(wrapper=True)
def alframe_select_seed(state):
    return (yield from _after("seed")(state))


@hookimpl(wrapper=True)
def alframe_score_pool(state):
    return (yield from _after("score")(state))


@hookimpl(wrapper=True)
def alframe_query(state, scores):
    return (yield from _after("query")(state))


@hookimpl(wrapper=True)
def alframe_annotate(state, items, labels):
    return (yield from _after("annotate")(state))


@hookimpl(wrapper=True)
def alframe_weight(state):
    return (yield from _after("weight")(state))


@hookimpl(wrapper=True)
def alframe_train(state):
    return (yield from _after("train")(state))


@hookimpl(wrapper=True)
def alframe_evaluate(state):
    return (yield from _after("evaluate")(state))


@hookimpl(wrapper=True)
def alframe_should_stop(state):
    return (yield from _after("should_stop")(state))


@hookimpl(wrapper=True)
def alframe_round_end(state, record):
    return (yield from _after("round_end")(state))


@hookimpl(wrapper=True)
def alframe_build_model(plan, dataset, registry):
    bundle = yield
    if STAGE == "checkpoint":
        save = bundle.save_checkpoint

        def save_then_die(path):
            save(path)
            die("checkpoint", int(re.search(r"round-(\\d+)", str(path)).group(1)))

        bundle.save_checkpoint = save_then_die
    return bundle


if STAGE == "commit":
    # no hook runs between a round's commit and the rewrite of metrics.csv: wrap the store's
    # commit of a round itself
    from alframe.record.store import RunStore

    _finish_round = RunStore.finish_round

    def finish_round(self, rnd, **kwargs):
        _finish_round(self, rnd, **kwargs)
        die("commit", rnd)

    RunStore.finish_round = finish_round
'''


def install_kill_plugin(site: Path) -> Path:
    """Install the kill plugin as a distribution under ``site`` (put on ``PYTHONPATH``)."""
    if not (site / "alframe_fault_kill.py").exists():
        install_plugin(site, KILL_DIST, KILL_PLUGIN)
    return site


#: the tiny spec the harness kills: 3 rounds, a few labels, the default model's parts (a
#: solved wide path warm-started each round, expected-F1 thresholds), seconds a round
TINY = dict(
    name="fault",
    limit=400,
    min_positives=40,
    seed_size=20,
    batch=20,
    extra_query="rounds 3",
)

TINY_MODEL = "encoder hashed_bag(dim=16, buckets=2^12, ngrams=1..1, wide=2^10, wide_c=10)"


def write_tiny_spec(folder: Path, **overrides: Any) -> Path:
    spec = write_spec(folder, **{**TINY, **overrides})
    text = spec.read_text()
    text = text.replace("encoder hashed_bag(dim=16, buckets=2^12, ngrams=1..1)", overrides.get("model", TINY_MODEL))
    text = text.replace("weighting { importance yes }", "weighting { importance yes  thresholds expected }")
    spec.write_text(text)
    return spec


# -- running --------------------------------------------------------------------------------


@dataclass
class Attempt:
    """One ``alframe run`` process: how it ended."""

    kill: str | None  # the kill point asked for (``train:1``), or None
    returncode: int
    killed: bool  # ended by SIGKILL
    output: str
    seconds: float
    opened: float = 0.0  # seconds to its first line of output (the run folder opened)


def run_env(site: Path, kill: str | None = None, mark: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALFRAME_TEST_KILL")}
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(REPO)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    if kill:
        env["ALFRAME_TEST_KILL"] = kill
    if mark is not None:
        env["ALFRAME_TEST_KILL_MARK"] = str(mark)
    return env


def run_command(spec: Path, out: Path) -> list[str]:
    """Plugins named, not autoloaded (the kill plugin only); no report (it is not the store's)."""
    return [sys.executable, "-m", "alframe.cli.main", "--no-plugins", "-p", KILL_MODULE, "run",
            str(spec.resolve()), "--out", str(out.resolve()), "--plain", "--no-report"]


def run_once(spec: Path, out: Path, site: Path, kill: str | None = None, timeout: float = 600) -> Attempt:
    """``alframe run`` in a subprocess (the kill plugin installed, asked to kill at ``kill``)."""
    spec, out = spec.resolve(), out.resolve()
    mark = out.parent / f".{out.name}.killed"
    mark.unlink(missing_ok=True)
    t0 = time.perf_counter()
    done = subprocess.run(
        run_command(spec, out), env=run_env(site, kill, mark), capture_output=True, text=True,
        timeout=timeout, cwd=spec.parent,
    )
    killed = done.returncode == -signal.SIGKILL
    if killed and kill and not mark.exists():
        raise AssertionError(f"killed, but not by the kill plugin at {kill}:\n{done.stdout}{done.stderr}")
    mark.unlink(missing_ok=True)
    return Attempt(kill, done.returncode, killed, done.stdout + done.stderr, time.perf_counter() - t0)


def run_killed_at_random(spec: Path, out: Path, site: Path, delay: float, timeout: float = 600) -> Attempt:
    """``alframe run``, sent SIGKILL from outside ``delay`` seconds after it opened the run
    folder (its first line of output; importing torch is not worth killing), unless it ended
    before."""
    spec, out = spec.resolve(), out.resolve()
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        run_command(spec, out), env=run_env(site), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True, cwd=spec.parent,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    opened = time.perf_counter() - t0
    try:
        proc.wait(timeout=delay)  # --plain writes a line a round: the pipe does not fill up
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGKILL)
    text, _ = proc.communicate(timeout=timeout)
    return Attempt(f"after {delay:.2f}s", proc.returncode, proc.returncode == -signal.SIGKILL, first + text,
                   time.perf_counter() - t0, opened)


def where(out: Path) -> str:
    """Where a killed run stood, as the store and the checkpoints say: the last round's state
    (``started``, ``queried`` with k of n answers, ``complete``), and ``+ckpt`` when the round's
    checkpoint was written but the round not committed."""
    if not (out / "run.db").exists():
        return "before run.db"
    with _connect(out) as c:
        row = c.execute("SELECT round, status FROM rounds ORDER BY round DESC LIMIT 1").fetchone()
        if row is None:
            return "no round"
        rnd, status = row
        asked = c.execute("SELECT COUNT(*) FROM queries WHERE round = ?", (rnd,)).fetchone()[0]
        answered = c.execute(
            "SELECT COUNT(*) FROM queries q WHERE round = ? AND EXISTS "
            "(SELECT 1 FROM answers a WHERE a.item = q.item AND a.label = q.label)", (rnd,)
        ).fetchone()[0]
    text = f"round {rnd} {status}"
    if status == "queried":
        text += " answered" if answered == asked else f" {answered}/{asked} answered"
    if status != "complete" and (out / "checkpoints" / f"round-{rnd:04d}.ckpt").exists():
        text += " +ckpt"
    return text


# -- what a run folder holds ------------------------------------------------------------------

#: training figures that are times, not results
_TIMES = ("seconds",)


def _connect(out: Path) -> sqlite3.Connection:
    # read-write: the first connection after a kill recovers the WAL, as the next run's would
    return sqlite3.connect(out / "run.db")


@dataclass
class Snapshot:
    """What a run folder's ``run.db`` holds, as the harness compares it."""

    queries: list[tuple[Any, ...]]
    answers: list[tuple[Any, ...]]  # (item, label, revision, value, round, prob, source)
    rounds: list[tuple[Any, ...]]  # complete rounds: (round, labels, items, asked, metrics, train)
    integrity: str
    events: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)  # stop reasons of the 'finished' events


def snapshot(out: Path) -> Snapshot:
    with _connect(out) as c:
        integrity = "; ".join(r[0] for r in c.execute("PRAGMA integrity_check"))
        queries = c.execute("SELECT round, position, item, label, prob, score FROM queries ORDER BY round, position").fetchall()
        answers = c.execute(
            "SELECT item, label, revision, value, round, prob, source FROM answers ORDER BY item, label, revision"
        ).fetchall()
        rows = c.execute(
            "SELECT round, labels, items, asked, metrics, train FROM rounds WHERE status = 'complete' ORDER BY round"
        ).fetchall()
        events = c.execute("SELECT kind, detail FROM events ORDER BY id").fetchall()
    rounds = [
        (r, labels, items, asked, json.loads(metrics or "{}"), _results(json.loads(train or "{}")))
        for r, labels, items, asked, metrics, train in rows
    ]
    finished = [json.loads(detail).get("stop_reason") for kind, detail in events if kind == "finished"]
    return Snapshot(queries, answers, rounds, integrity, [kind for kind, _ in events], finished)


def _results(train: dict[str, Any]) -> dict[str, Any]:
    """Training figures without their times (which differ from run to run)."""
    return {k: v for k, v in train.items() if not any(t in k for t in _TIMES)}


def metrics_csv_rows(out: Path) -> list[dict[str, str]]:
    """``metrics.csv`` without its ``seconds_*`` columns."""
    with open(out / "metrics.csv", newline="") as f:
        return [{k: v for k, v in row.items() if not k.startswith("seconds_")} for row in csv.DictReader(f)]


# -- the checks ----------------------------------------------------------------------------------


def check_after_kill(out: Path) -> Snapshot:
    """What must hold the moment a run was killed: a sound database."""
    snap = snapshot(out)
    assert snap.integrity == "ok", f"integrity_check after the kill: {snap.integrity}"
    return snap


def differences(out: Path, reference: Path, acknowledged: list[Snapshot] = ()) -> list[str]:  # type: ignore[assignment]
    """Every way the finished run ``out`` breaks a promise (empty: none), against the run never
    killed ``reference`` and the snapshots taken right after each kill (``acknowledged``)."""
    got, ref = snapshot(out), snapshot(reference)
    problems: list[str] = []
    if got.integrity != "ok":
        problems.append(f"integrity_check: {got.integrity}")
    cells = [(a[0], a[1], a[2]) for a in got.answers]
    if len(cells) != len(set(cells)):
        problems.append("an answer is stored twice")
    have = set(got.answers)
    for k, snap in enumerate(acknowledged):
        lost = [a for a in snap.answers if a not in have]
        if lost:
            problems.append(f"kill {k + 1}: {len(lost)} acknowledged answer(s) lost, e.g. {lost[0]}")
    if got.queries != ref.queries:
        problems.append(_first_difference("queries", got.queries, ref.queries))
    if [a[:6] for a in got.answers] != [a[:6] for a in ref.answers]:
        problems.append(_first_difference("answers", got.answers, ref.answers))
    if len(got.rounds) != len(ref.rounds):
        problems.append(f"{len(got.rounds)} complete rounds, the reference has {len(ref.rounds)}")
    for a, b in zip(got.rounds, ref.rounds):
        if a[:4] != b[:4]:
            problems.append(f"round {a[0]}: labels/items/asked {a[1:4]} != {b[1:4]}")
        if a[4] != b[4]:
            problems.append(f"round {a[0]}: metrics differ: {_dict_difference(a[4], b[4])}")
        if a[5] != b[5]:
            problems.append(f"round {a[0]}: training differs: {_dict_difference(a[5], b[5])}")
    if got.finished != ref.finished:
        problems.append(f"run.db says the run finished {got.finished}, the reference {ref.finished}")
    problems.extend(csv_problems(out))
    if (out / "metrics.csv").exists() and (reference / "metrics.csv").exists():
        if metrics_csv_rows(out) != metrics_csv_rows(reference):
            problems.append("metrics.csv differs from the reference's (seconds aside)")
    return problems


def csv_problems(out: Path) -> list[str]:
    """``metrics.csv`` against ``run.db``: one row per complete round, the same figures."""
    rounds = snapshot(out).rounds
    if not (out / "metrics.csv").exists():
        return [] if not rounds else ["metrics.csv is missing"]
    rows = metrics_csv_rows(out)
    problems = []
    if [int(r["round"]) for r in rows] != [r[0] for r in rounds]:
        problems.append(f"metrics.csv has rounds {[r['round'] for r in rows]}, run.db {[r[0] for r in rounds]}")
    for row, (rnd, labels, items, asked, metrics, _) in zip(rows, rounds):
        if (int(row["labels"]), int(row["items"]), int(row["asked"])) != (labels, items, asked):
            problems.append(f"metrics.csv round {rnd}: counts differ from run.db")
        for k, v in metrics.items():
            if isinstance(v, (int, float)) and k in row and float(row[k]) != float(v):
                problems.append(f"metrics.csv round {rnd}: {k} {row[k]} but run.db {v}")
    return problems


def _first_difference(what: str, a: list[Any], b: list[Any]) -> str:
    for k, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return f"{what} differ from the reference at row {k}: {x} != {y}"
    return f"{what}: {len(a)} rows, the reference has {len(b)}"


def _dict_difference(a: dict[str, Any], b: dict[str, Any]) -> str:
    keys = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
    return ", ".join(f"{k} {a.get(k)!r} != {b.get(k)!r}" for k in keys[:4])
