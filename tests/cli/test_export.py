"""alframe export: every stored answer (with its history), the model's predictions for the pool
and for a new data file, the model as a file torch.load(weights_only=True) reads, and the
answers as Label Studio tasks that come back unchanged through alframe answer."""

from __future__ import annotations

import csv
import gzip
import io
import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
import torch
from engine_specs import CATALOGUE, catalogue_truth, write_spec

import alframe
from alframe.cli.main import main


def answer_questions(questions: Path, to: Path) -> None:
    """A person answering every question of a questions file, in the wide CSV (one row per item)."""
    known = catalogue_truth()
    rows = list(csv.DictReader(questions.open(encoding="utf-8")))
    labels = sorted({r["label"] for r in rows})
    by_item: dict[str, dict[str, str]] = {}
    for r in rows:
        by_item.setdefault(r["id"], {})[r["label"]] = "yes" if r["label"] in known[r["id"]] else "no"
    with to.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", *labels])
        for item, values in by_item.items():
            w.writerow([item, *[values.get(label, "") for label in labels]])


@pytest.fixture(scope="module")
def waiting_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A file-oracle run: round 0 answered (alframe answer, a wide CSV) and complete, one answer
    then corrected (a revision), round 1 waiting for answers. Returns (run folder, spec)."""
    tmp = tmp_path_factory.mktemp("export")
    spec = write_spec(tmp / "spec", seed_size=5, batch=5, extra_query="rounds 3")
    spec.write_text(spec.read_text().replace("oracle simulated", 'oracle file(path="answers.csv")'))
    out = tmp / "run"
    assert alframe.run(spec, out=out).summary.stop_reason.startswith("waiting for")
    answer_questions(out / "questions-round-0000.csv", tmp / "round0.csv")
    assert main(["answer", str(out), str(tmp / "round0.csv")]) == 0
    assert alframe.run(spec, out=out).summary.stop_reason.startswith("waiting for")
    with sqlite3.connect(out / "run.db") as c:
        item, label, value = c.execute("SELECT item, label, value FROM answers ORDER BY id LIMIT 1").fetchone()
    (tmp / "fix.csv").write_text(f"id,label,value\n{item},{label},{1 - value}\n")
    assert main(["answer", str(out), str(tmp / "fix.csv")]) == 0
    return out, spec


def test_every_answer_with_its_history(waiting_run: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    out, _ = waiting_run
    capsys.readouterr()
    assert main(["export", str(out)]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert list(rows[0]) == ["id", "label", "value", "round", "source", "time", "prob", "weight", "revision", "current"]
    with sqlite3.connect(out / "run.db") as c:
        assert len(rows) == c.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    revised = [r for r in rows if r["revision"] == "2"]
    assert len(revised) == 1 and revised[0]["source"] == "file fix.csv" and revised[0]["current"] == "1"
    first = [r for r in rows if (r["id"], r["label"]) == (revised[0]["id"], revised[0]["label"])]
    assert [(r["revision"], r["current"], r["source"]) for r in first] == [
        ("1", "0", "file round0.csv"), ("2", "1", "file fix.csv")
    ]
    assert first[0]["value"] != first[1]["value"] and rows[0]["time"].endswith("+00:00")
    assert {r["prob"] for r in rows} == {"1.0"} and {r["weight"] for r in rows} == {"1.0"}  # the seed set


def test_current_answers_as_jsonl_come_back_unchanged(
    waiting_run: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _ = waiting_run
    target = tmp_path / "current.jsonl"
    assert main(["export", str(out), "--current", "--out", str(target)]) == 0
    records = [json.loads(line) for line in target.read_text().splitlines()]
    assert all(r["current"] for r in records) and len({(r["id"], r["label"]) for r in records}) == len(records)
    capsys.readouterr()
    assert main(["answer", str(out), str(target)]) == 0
    assert capsys.readouterr().out.startswith(f"current.jsonl: 0 new, {len(records)} unchanged, 0 revised")


def test_answers_as_label_studio_tasks_come_back_unchanged(
    waiting_run: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _ = waiting_run
    target = tmp_path / "review.json"
    assert main(["--no-plugins", "export", str(out), "--out", str(target)]) == 0  # .json: label-studio
    tasks = json.loads(target.read_text())
    assert tasks and all(t["data"]["text"] and t["annotations"] for t in tasks)
    n = sum(len(t["data"]["asked"]) for t in tasks)
    capsys.readouterr()
    assert main(["answer", str(out), str(target)]) == 0
    assert capsys.readouterr().out.startswith(f"review.json: 0 new, {n} unchanged, 0 revised")


def test_predictions_for_the_pool_and_a_new_file_and_the_model_file(
    waiting_run: tuple[Path, Path], tmp_path: Path
) -> None:
    out, spec = waiting_run
    run = alframe.open_run(out, pandas=False)
    preds = run.predictions()
    assert preds.round == 0 and preds.probabilities.shape == (len(preds.ids), len(preds.label_names))
    assert ((preds.probabilities >= preds.thresholds) == (preds.labels == 1)).all()

    # a new data file: two pool items again (same features against the same pool) and one unseen
    rows = [json.loads(line) for line in gzip.open(spec.parent / CATALOGUE.name, "rt")]
    pool_rows = [r for r in rows if r["package"] in set(preds.ids[:2])]
    new = tmp_path / "new.jsonl"
    new.write_text("".join(json.dumps({k: r[k] for k in ("package", "description")}) + "\n" for r in pool_rows)
                   + json.dumps({"package": "zz-new", "description": "a library for parsing XML files"}) + "\n")
    target = tmp_path / "pred.csv"
    model = tmp_path / "model.pt"
    assert main(["--no-plugins", "export", str(out), "--predict", "--data", str(new), "--out", str(target),
                 "--model", str(model)]) == 0
    table = list(csv.DictReader(target.open()))
    assert len(table) == len(preds.ids) + 3 and table[-1]["id"] == "zz-new" and table[-1]["source"] == "new.jsonl"
    again = {r["id"]: r for r in table[len(preds.ids):]}
    for k, item in enumerate(preds.ids[:2]):
        got = np.array([float(again[item][n]) for n in preds.label_names])
        assert np.allclose(got, preds.probabilities[k], atol=1e-5)

    payload = torch.load(model, weights_only=True)  # plain tensors and values: nothing can run
    assert payload["format"] == "alframe.exported-model" and payload["labels"] == preds.label_names
    assert payload["round"] == 0 and "run " in payload["spec"] and json.loads(payload["plan"])["name"]
    loaded = alframe.load_model(model)
    texts = [t for t in (preds.texts or [])][:3]
    again_preds = loaded.predict(texts, ids=preds.ids[:3])
    assert np.allclose(again_preds.probabilities, preds.probabilities[:3], atol=1e-5)
    assert (again_preds.labels == preds.labels[:3]).all()


def test_predict_without_a_complete_round_and_usage_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = write_spec(tmp_path / "spec", seed_size=5, batch=5, extra_query="rounds 1")
    spec.write_text(spec.read_text().replace("oracle simulated", 'oracle file(path="answers.csv")'))
    out = tmp_path / "run"
    alframe.run(spec, out=out)
    capsys.readouterr()
    assert main(["--no-plugins", "export", str(out), "--predict"]) == 5
    assert "error[R320]" in capsys.readouterr().err
    assert main(["export", str(out)]) == 0 and capsys.readouterr().out.startswith("id,label,value,")
    assert main(["export", str(out), "--data", "x.csv"]) == 2 and "--data is for --predict" in capsys.readouterr().err
    assert main(["export", str(tmp_path)]) == 5 and "error[R209]" in capsys.readouterr().err


def test_alframe_answer_reports_every_problem_and_stores_nothing(
    waiting_run: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _ = waiting_run
    with sqlite3.connect(out / "run.db") as c:
        before = c.execute("SELECT * FROM answers ORDER BY id").fetchall()
        (item, label), = c.execute("SELECT item, label FROM queries WHERE round = 1 LIMIT 1").fetchall()
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "id,label,value\n"
        f"{item},{label},1\n"  # a good row: not stored either, the file has problems
        f"{item},{label[:-1]},1\n"  # not a label of the run: the nearest one suggested
        f"{item}x,{label},1\n"  # an item never asked
        f"{item},{label},maybe\n"
        f"{item},{label},0\n"  # a conflict with row 2
    )
    capsys.readouterr()
    assert main(["answer", str(out), str(bad)]) == 3
    err = capsys.readouterr().err
    assert f"bad.csv, row 3, field 'label': error[D305]: unknown label {label[:-1]!r}" in err
    assert f"did you mean {label!r}?" in err
    assert "bad.csv, row 4, field 'id': error[D308]" in err and f"did you mean {item!r}?" in err
    assert "bad.csv, row 5, field 'value': error[D306]: value 'maybe' is not an answer" in err
    assert "bad.csv, row 6, field 'value': error[D307]" in err and "on row 2 and 0 on row 6" in err
    assert "4 problem(s)" in err and "nothing of the file was stored" in err
    with sqlite3.connect(out / "run.db") as c:
        assert c.execute("SELECT * FROM answers ORDER BY id").fetchall() == before


@pytest.mark.parametrize("fmt", ["jsonl", "label-studio"])
def test_predictions_in_every_format(
    waiting_run: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    out, _ = waiting_run
    preds = alframe.open_run(out, pandas=False).predictions()
    target = tmp_path / "pred.out"
    assert main(["--no-plugins", "export", str(out), "--predict", "--format", fmt, "--out", str(target)]) == 0
    if fmt == "jsonl":
        rows = [json.loads(line) for line in target.read_text().splitlines()]
        assert [r["id"] for r in rows] == preds.ids
        assert rows[0]["labels"] == preds.predicted(0) and set(rows[0]["probabilities"]) == set(preds.label_names)
        return
    tasks = json.loads(target.read_text())
    assert len(tasks) == len(preds.ids) and all(t["data"]["text"] and t["predictions"] for t in tasks)
    assert tasks[0]["predictions"][0]["result"][0]["value"]["choices"] == preds.predicted(0)
    capsys.readouterr()
    assert main(["answer", str(out), str(target)]) == 0  # predictions are never answers
    assert capsys.readouterr().out.startswith("pred.out: 0 new, 0 unchanged, 0 revised")


def test_json_says_what_export_answer_and_report_did(
    waiting_run: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, _ = waiting_run
    capsys.readouterr()
    target = tmp_path / "answers.csv"
    assert main(["export", str(out), "--out", str(target), "--json"]) == 0
    done = json.loads(capsys.readouterr().out)
    with sqlite3.connect(out / "run.db") as c:
        assert done["answers"] == c.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    assert done["kind"] == "answers" and done["out"] == str(target) and done["format"] == "csv" and target.exists()
    assert main(["export", str(out), "--json"]) == 2 and "--json says what was written" in capsys.readouterr().err
    # the same correction again: nothing new, nothing stored
    assert main(["answer", str(out), str(out.parent / "fix.csv"), "--json"]) == 0
    said = json.loads(capsys.readouterr().out)
    assert (said["new"], said["unchanged"], said["revised"]) == (0, 1, [])
    assert main(["report", str(out), "--out", str(tmp_path / "report"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["kind"] and summary["verdict"] and Path(summary["paths"]["index.html"]).exists()
