"""Issue 10, items 1, 2 and 4: a labelling project from a catalogue without labels, end to end
through the command line as a user runs it — ``alframe run`` (which waits for answers with
exit 75), a scripted person filling in the questions file, ``alframe run`` again — and what
``alframe status`` says at each step."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest
from engine_specs import CATALOGUE, answer_questions

from alframe.cli.main import main
from alframe.cli.run import EXIT_WAITING

MODEL = """\
model { encoder hashed_bag(dim=16, buckets=2^12, ngrams=1..1)  trunk mlp(hidden=32) }
train { epochs 2  batch 64  lr 0.01 }
trainer { loggers [] }
"""


def _catalogue(n: int) -> list[dict[str, Any]]:
    with gzip.open(CATALOGUE, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line, _ in zip(f, range(n))]




def _project(folder: Path, *, test_file: bool, labels: str, query: str) -> Path:
    """A pool of 300 packages with no tags (the key left out of half, null in the other half),
    optionally a labelled test file of 100 others, and a spec answered through a file."""
    folder.mkdir(parents=True)
    rows = _catalogue(400)
    with open(folder / "pool.jsonl", "w", encoding="utf-8") as f:
        for k, r in enumerate(rows[:300]):
            r = dict(r)
            if k % 2:
                r["tags"] = None
            else:
                r.pop("tags")
            f.write(json.dumps(r) + "\n")
    if test_file:
        with open(folder / "test.jsonl", "w", encoding="utf-8") as f:
            for r in rows[300:]:
                f.write(json.dumps(r) + "\n")
    test = 'test file "test.jsonl"' if test_file else "test fraction 0"
    spec = folder / "project.al"
    spec.write_text(
        f'run "project" seed 3\n'
        f'data "pool.jsonl" {{ id package  text package, description  {test} }}\n'
        f"{labels}\n{MODEL}query {{ {query} }}\n"
        'oracle file(path="answers.csv")\n',
        encoding="utf-8",
    )
    return spec




def _status(out: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    assert main(["status", str(out), "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def _run(spec: Path, out: Path) -> int:
    return main(["--no-plugins", "run", str(spec), "--out", str(out), "--plain", "--no-report"])


def test_cold_start_with_a_labelled_test_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _project(tmp_path / "p", test_file=True, labels='labels from "tags" { min_positives 5 }',
                    query="seed 8 random  batch 6  budget 5000  rounds 2")
    out, answers = tmp_path / "run", tmp_path / "p" / "answers.csv"

    assert _run(spec, out) == EXIT_WAITING  # the seed round is asked: nothing to answer from yet
    said = capsys.readouterr().out
    assert "found in the test file (the data file holds no labels)" in said and "min_positives 5 removed" in said
    assert "items: 300 in the pool (0 labelled: a cold start, every answer comes from the oracle), " \
           "100 in the test split from test.jsonl (100 labelled)" in said
    assert "waiting for answers (exit 75); then continue with: alframe run" in said
    status = _status(out, capsys)
    n_labels = int(said.split("labels: ")[1].split()[0])
    assert status["state"] == "waiting" and status["round"] == 0 and status["rounds_complete"] == 0
    assert status["questions"] == {"round": 0, "asked": 8 * n_labels, "answered": 0, "open": 8 * n_labels}
    assert status["budget_left"] == 5000 and status["answers"] == 0 and status["metrics"] == {}
    assert status["questions_file"] == str(out / "questions-round-0000.csv")
    assert status["continue"] == f"alframe run {spec} --out {out}"

    asked = answer_questions(out / "questions-round-0000.csv", answers, "yes", "no")
    assert _run(spec, out) == EXIT_WAITING  # round 0 answered and trained; round 1 asks
    status = _status(out, capsys)
    assert status["state"] == "waiting" and status["round"] == 1 and status["rounds_complete"] == 1
    assert status["answers"] == asked and status["budget_left"] == 5000 - asked
    assert status["metrics_round"] == 0 and status["metrics"]["micro_f1"] is not None  # a real test metric
    assert status["estimate"] is None

    second = answer_questions(out / "questions-round-0001.csv", answers, "yes", "no")
    assert second == 6 * n_labels  # whole items, exactly the batch (the default iwal draws systematically)
    assert _run(spec, out) == 0
    status = _status(out, capsys)
    assert status["state"] == "finished" and status["stop_reason"].startswith("round limit")
    assert status["continue"] is None and status["questions"]["round"] is None
    assert status["answers"] == asked + second
    import sqlite3

    with sqlite3.connect(out / "run.db") as c:
        (n, distinct, sources) = c.execute(
            "SELECT COUNT(*), COUNT(DISTINCT item || '/' || label), GROUP_CONCAT(DISTINCT source) FROM answers"
        ).fetchone()
        kinds = [k for (k,) in c.execute("SELECT kind FROM events")]
    assert n == distinct == status["answers"] and sources == "file answers.csv"
    assert kinds.count("finished") == 1  # waiting is not finishing


def test_cold_start_without_a_test_split_shows_estimates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _project(tmp_path / "p", test_file=False, labels='labels from "tags" { names file "labels.txt" }',
                    query="seed 20 random  batch 10  budget 5000  rounds 1")
    (tmp_path / "p" / "labels.txt").write_text("# a label file\nrole::program\ninterface::commandline\ndevel::library\n")
    out, answers = tmp_path / "run", tmp_path / "p" / "answers.csv"
    assert _run(spec, out) == EXIT_WAITING
    said = capsys.readouterr().out
    assert "labels: 3 named in the spec" in said and "no test split" in said
    assert "no labelled test items: alframe cannot report test metrics" in said
    assert answer_questions(out / "questions-round-0000.csv", answers, "yes", "no") == 60
    assert _run(spec, out) == 0
    said = capsys.readouterr().out
    assert "Estimates from the answers: 60 answers on 20 items" in said
    # each round's line shows the estimate, not test metrics that would all read "undefined"
    assert re.search(r"round +0 \| .*\| expected_micro_f1 \(est\.\) 0\.\d{4} \|", said), said
    assert "undefined" not in said
    status = _status(out, capsys)
    assert status["state"] == "finished" and set(status["metrics"]) == {"micro_f1", "macro_f1", "macro_ap"}
    assert all(v is None for v in status["metrics"].values())  # nothing to measure them on
    est = status["estimate"]
    assert est["answers"] == 60 and est["items"] == 20 and 0 <= est["positives"] <= 60
    assert 0.0 < est["expected_micro_f1"] <= 1.0 and est["pool_items"] == 300
    assert main(["status", str(out)]) == 0
    text = capsys.readouterr().out
    assert "finished: round limit reached" in text and "expected micro-F1 on the pool" in text


def test_a_simulated_run_on_an_unlabelled_pool_says_it_needs_labels(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = _project(tmp_path / "p", test_file=True, labels='labels from "tags" { min_positives 5 }',
                    query="seed 8 random  batch 6  budget 5000  rounds 2")
    spec.write_text(spec.read_text().replace('oracle file(path="answers.csv")', "oracle simulated"))
    assert _run(spec, tmp_path / "run") == 3
    err = capsys.readouterr().err
    assert "error[D221]: oracle simulated answers from the pool's labels, but no pool item has any" in err
    assert "oracle file" in err and "oracle prompt" in err


def test_cold_start_with_oracle_prompt_piped(tmp_path: Path) -> None:
    """The same project answered line by line in the terminal (piped, as a script would):
    the seed round is asked with no model yet, every answer is committed, the model trains."""
    import os
    import sqlite3
    import subprocess
    import sys

    from engine_specs import REPO

    spec = _project(tmp_path / "p", test_file=True, labels='labels from "tags" { names file "labels.txt" }',
                    query="seed 4 random  batch 3  budget 5000  rounds 2")
    (tmp_path / "p" / "labels.txt").write_text("role::program\ninterface::commandline\n")
    spec.write_text(spec.read_text().replace('oracle file(path="answers.csv")', "oracle prompt"))
    out = tmp_path / "run"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALFRAME_")}
    env["PYTHONPATH"] = str(REPO)
    replies = ["y" if k % 3 else "n" for k in range(40)]  # 4 + 3 items, 2 labels each
    proc = subprocess.run(
        [sys.executable, "-m", "alframe.cli.main", "--no-plugins", "run", str(spec), "--out", str(out), "--plain",
         "--no-report"],
        input="".join(r + "\n" for r in replies), capture_output=True, text=True, env=env, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "labels: 2 named in the spec" in proc.stdout and "round limit reached" in proc.stdout
    with sqlite3.connect(out / "run.db") as c:
        n, source, yes = c.execute("SELECT COUNT(*), MIN(source), SUM(value) FROM answers").fetchone()
        shown = c.execute("SELECT COUNT(*) FROM queries").fetchone()[0]  # cells asked: items × 2 labels
        rounds = c.execute("SELECT round, status, metrics FROM rounds ORDER BY round").fetchall()
    assert source == "prompt" and n == shown == 14 and yes == replies[:n].count("y")  # every reply, in order
    assert [(r, s) for r, s, _ in rounds] == [(0, "complete"), (1, "complete")]
    assert json.loads(rounds[-1][2])["micro_f1"] is not None  # measured on the labelled test file
