"""The run-record layer (:mod:`alframe.record`): the one owner of run folders and their stores.

- No module outside it speaks SQL or names a file of a run or experiment folder: they ask the
  layer (a source scan, over code only: docstrings and sentences may name the files).
- A store opened read-only refuses every write, and leaves the folder as it was.
- One :class:`~alframe.record.Round` type: what the engine commits is what the store, the
  report and ``status`` read back.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from types import SimpleNamespace

import pytest

import alframe
from alframe.errors import RunError
from alframe.plan import CostPlan
from alframe.record import (
    Answer,
    Round,
    RunFolder,
    RunStore,
    checkpoint_path,
    find_run_folders,
    is_run_folder,
    open_store_readonly,
    questions_file,
    require_run_folder,
)
from alframe.record.experiment import (
    ceiling_metrics,
    read_experiment,
    repeat_of,
    variant_name,
    write_ceiling,
    write_experiment,
)
from alframe.state import RoundRecord

PACKAGE = Path(alframe.__file__).parent
LAYER = PACKAGE / "record"

#: the files of run and experiment folders, which only the layer may name (not the copy of the
#: spec, ``spec.al``: a spec file of that name is anyone's)
FILE_NAMES = {
    "run.db", "run.lock", "metrics.csv", "checkpoints", "plugins.json", "plan.json",
    "experiment.json", "ceiling.json", "experiment.lock", "label-studio-config.xml",
}
SQL = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|BEGIN|COMMIT|ROLLBACK|WITH)\b")


def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    """Every string constant of code (f-string parts too), docstrings and bare strings left out."""
    bare = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Expr)}
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in bare
    ]


def _names_a_file(text: str) -> bool:
    words = text.strip()
    return (
        words in FILE_NAMES
        or any(words.endswith("/" + n) or words.startswith(n + "/") for n in FILE_NAMES)
        or words.startswith("questions-round")
        or words.endswith(".ckpt")
    )


def _problems(source: str) -> list[str]:
    """``line: what`` for each place ``source`` speaks SQL or names a run-folder file."""
    tree = ast.parse(source)
    out = []
    for line, text in _strings(tree):
        if _names_a_file(text):
            out.append(f"{line}: names the run-folder file {text.strip()!r}")
        if SQL.match(text):
            out.append(f"{line}: SQL {text.strip()[:40]!r}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == "sqlite3" for a in node.names):
            out.append(f"{node.lineno}: imports sqlite3")
        if isinstance(node, ast.ImportFrom) and node.module == "sqlite3":
            out.append(f"{node.lineno}: imports from sqlite3")
        if isinstance(node, ast.Attribute) and node.attr == "conn":
            out.append(f"{node.lineno}: reaches into a store's connection (.conn)")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in ("execute", "executemany", "executescript")
            and node.args
            and isinstance(node.args[0], (ast.Constant, ast.JoinedStr))
        ):
            out.append(f"{node.lineno}: runs SQL ({node.func.attr})")
    return out


def test_no_sql_and_no_run_folder_file_names_outside_the_record_layer() -> None:
    problems = [
        f"{path.relative_to(PACKAGE.parent)}:{p}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if LAYER not in path.parents
        for p in _problems(path.read_text(encoding="utf-8"))
    ]
    assert problems == [], "\n".join(problems)


def test_the_scan_finds_what_it_looks_for() -> None:
    """The scan itself: each kind of trespass is found; sentences and docstrings are not."""
    code = (
        '"""Reads run.db and metrics.csv (a docstring may name them)."""\n'
        "import sqlite3\n"
        "def f(folder, store, rnd):\n"
        '    """SELECT in a docstring is prose."""\n'
        '    a = folder / "run.db"\n'
        '    b = folder / "checkpoints" / f"round-{rnd:04d}.ckpt"\n'
        '    c = folder.glob("*/*/experiment.json")\n'
        '    store.conn.execute("SELECT 1 FROM answers")\n'
        '    raise ValueError(f"{folder} is not a run folder (it has no run.db)")\n'
    )
    assert sorted(_problems(code)) == sorted([
        "2: imports sqlite3",
        "5: names the run-folder file 'run.db'",
        "6: names the run-folder file 'checkpoints'",
        "6: names the run-folder file '.ckpt'",
        "7: names the run-folder file '*/*/experiment.json'",
        "8: reaches into a store's connection (.conn)",
        "8: runs SQL (execute)",
        "8: SQL 'SELECT 1 FROM answers'",
    ])


# -- the store, read-only ----------------------------------------------------------------------


def _store_with_a_round(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with RunStore.open(folder / "run.db") as s:
        s.set_meta({"plan": "{}"})
        s.start_round(0, seed=11)
        s.save_queries(0, [("a", "x", 1.0, 0.5)])
        s.add_answers([Answer("a", "x", 1, 0, 1.0, 1.0, "simulated")])


def test_a_store_opened_read_only_refuses_every_write_and_leaves_no_trace(tmp_path: Path) -> None:
    run = tmp_path / "run"
    _store_with_a_round(run)
    before = sorted(p.name for p in run.iterdir())
    store = open_store_readonly(run)
    try:
        assert store.readonly and store.get_meta("plan") == "{}"
        writes = [
            lambda: store.set_meta({"plan": "changed"}),
            lambda: store.log_event("x", {}),
            lambda: store.add_answers([Answer("b", "x", 0, 0, 1.0, 1.0, "simulated")]),
            lambda: store.record_answers([Answer("a", "x", 0, 0, 1.0, 1.0, "simulated")]),
            lambda: store.start_round(1, seed=1),
            lambda: store.save_queries(1, []),
            lambda: store.finish_round(0, labels=1, items=1, timings={}, train={}, metrics={}, checkpoint=None),
            lambda: store.delete_meta("plan"),
            store.check_writable,
        ]
        for write in writes:
            with pytest.raises(RunError) as err:
                write()
            assert err.value.code == "R104"
    finally:
        store.close()
    with RunStore.open(run / "run.db") as s:
        assert s.get_meta("plan") == "{}" and len(s.current_answers()) == 1 and len(s.rounds()) == 1
        assert not s.readonly
    assert sorted(p.name for p in run.iterdir()) == before


def test_reading_a_folder_that_holds_no_run_is_named(tmp_path: Path) -> None:
    assert not is_run_folder(tmp_path)
    with pytest.raises(RunError) as err:
        require_run_folder(tmp_path)
    assert err.value.code == "R209"
    with pytest.raises(RunError) as err:
        open_store_readonly(tmp_path)
    assert err.value.code == "X201"
    (tmp_path / "run.db").write_text("not a database")
    with pytest.raises(RunError) as err:
        open_store_readonly(tmp_path, code="R101")
    assert err.value.code == "R101"


# -- one Round type --------------------------------------------------------------------------


def test_one_round_type_round_trips_through_the_store(tmp_path: Path) -> None:
    assert RoundRecord is Round  # the name plugins know it by
    run = tmp_path / "run"
    _store_with_a_round(run)
    store = RunStore.open(run / "run.db")
    folder = RunFolder(path=run, store=store, plan=SimpleNamespace(cost=CostPlan(item=2.0, cell=0.5)),
                       force=False, created=False)
    try:
        store.save_queries(0, [("a", "x", 1.0, 0.5)], policy={"arm": "random"})
        committed = Round(
            round=0, labels_used=1, items_touched=1, asked=1, answered=1,
            timings={"train": 0.5, "evaluate": 0.25}, train={"epochs": 3}, metrics={"micro_f1": 0.75},
            policy={"arm": "random"}, cost=2.5, seed=11, checkpoint="checkpoints/round-0000.ckpt",
        )
        folder.commit_round(committed)
        (stored,) = store.rounds()
        assert isinstance(stored, Round) and stored.complete and stored.evaluated
        (resumed,) = folder.history()
        assert not committed.resumed and resumed.resumed
        resumed.resumed = False
        assert resumed == committed
        assert (resumed.labels, resumed.items) == (resumed.labels_used, resumed.items_touched) == (1, 1)
        assert (run / "metrics.csv").read_text().splitlines()[1].startswith("0,1,1,1,2.5,0.75,random,")
    finally:
        folder.close()
    reader = open_store_readonly(run)
    try:
        (read,) = reader.complete_rounds()
        assert (read.round, read.labels, read.metrics, read.checkpoint) == (0, 1, {"micro_f1": 0.75},
                                                                             committed.checkpoint)
        assert reader.round_status(0) == "complete" and reader.round_status(1) is None
        assert reader.last_complete_round() == 0
    finally:
        reader.close()


# -- paths and experiment records -------------------------------------------------------------


def test_paths_of_the_run_folder_and_the_experiment_records(tmp_path: Path) -> None:
    assert checkpoint_path(tmp_path, 3) == tmp_path / "checkpoints" / "round-0003.ckpt"
    assert questions_file(tmp_path, 2) == tmp_path / "questions-round-0002.csv"
    assert questions_file(tmp_path, 2, "label-studio") == tmp_path / "questions-round-0002.label-studio.json"
    name = variant_name("policy=random", 2)
    assert name == "policy=random/repeat-2" and repeat_of(Path(name).name) == 2 and repeat_of("other") is None
    for sub in ("a/repeat-1", "a/repeat-2", "b"):
        _store_with_a_round(tmp_path / "exp" / sub)
    assert find_run_folders(tmp_path / "exp") == [tmp_path / "exp" / s for s in ("a/repeat-1", "a/repeat-2", "b")]
    assert read_experiment(tmp_path / "exp") is None
    write_experiment(tmp_path / "exp", {"name": "exp", "variants": []})
    assert read_experiment(tmp_path / "exp") == {"name": "exp", "variants": []}
    assert ceiling_metrics(tmp_path / "exp") is None
    write_ceiling(tmp_path / "exp", {"key": "k", "metrics": {"micro_f1": 0.9}})
    assert ceiling_metrics(tmp_path / "exp") == {"micro_f1": 0.9}


def test_the_rounds_a_run_commits_are_the_rounds_it_resumes_with(tmp_path: Path) -> None:
    """The engine's Round of each round (what observers and ``alframe_round_end`` get) is the
    Round the run folder gives back to a resumed run."""
    import dataclasses

    from engine_specs import run_spec, write_spec

    spec = write_spec(tmp_path / "spec", extra_query="rounds 2")
    summary, plan, plugins = run_spec(spec, tmp_path / "run")
    with RunFolder.open(plan, plugins, tmp_path / "run") as folder:
        resumed = folder.history()
    assert len(resumed) == len(summary.history) == 2 and all(r.resumed for r in resumed)
    live = [dataclasses.replace(r, stop_reason=None, resumed=True) for r in summary.history]
    assert resumed == live
