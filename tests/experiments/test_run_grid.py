"""End to end: a spec with vary/repeat/ceiling through `alframe run`, resume, compare, report."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
from pathlib import Path

import pytest
from experiment_plans import PACKAGES

from alframe.cli.main import main
from alframe.experiments import Experiment, expand, run_grid
from alframe.experiments.progress import GridObserver
from alframe.plugins import load
from alframe.record import open_store_readonly

SPEC = """\
run "{name}"
seed 7
data "packages.jsonl" {{ id package  text description  test fraction 0.3 seed 3 }}
labels from "tags" {{ min_positives 5 }}
model {{ encoder hashed_bag(dim=16, buckets=4096, ngrams=1..1)  trunk mlp(16)  heads joint  ensemble 2 }}
train {{ epochs 2 min_steps 0 batch 16 lr 0.01 }}
trainer {{ loggers [] }}
query {{ seed 4 random  batch 4  unit item  policy {policy}  budget 120 {extra} }}
oracle simulated
evaluate {{ metrics [micro_f1, macro_f1] }}
{tail}
"""


def _spec(folder: Path, file: str, name: str, policy: str = "random", extra: str = "", tail: str = "") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if not (folder / "packages.jsonl").exists():
        shutil.copy(PACKAGES, folder / "packages.jsonl")
    path = folder / file
    path.write_text(SPEC.format(name=name, policy=policy, extra=extra, tail=tail), encoding="utf-8")
    return path


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    import contextlib

    with contextlib.redirect_stdout(out):
        code = main(["--no-plugins", *argv])
    return code, out.getvalue()


def _queries(run: Path, rnd: int) -> list[tuple[str, str]]:
    store = open_store_readonly(run)
    try:
        return [(q[0], q[1]) for q in store.queries(rnd)]
    finally:
        store.close()


def _rounds(run: Path) -> list[int]:
    store = open_store_readonly(run)
    try:
        return [r.round for r in store.rounds() if r.status == "complete"]
    finally:
        store.close()


@pytest.fixture(autouse=True)
def _plain_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "1")


def test_vary_run_end_to_end_then_resume_skips_everything(tmp_path: Path) -> None:
    spec = _spec(tmp_path, "grid.al", "grid", tail="vary policy [random, uncertainty]\nrepeat 2\nceiling yes\n")
    out = tmp_path / "exp"
    code, text = _cli("run", str(spec), "--out", str(out), "--plain")
    assert code == 0, text
    names = ["policy=random/repeat-1", "policy=uncertainty/repeat-1", "policy=random/repeat-2",
             "policy=uncertainty/repeat-2"]
    exp = json.loads((out / "experiment.json").read_text())
    assert [v["name"] for v in exp["variants"]] == names
    assert all(v["status"] == "done" and v["labels"] > 0 for v in exp["variants"])
    assert (out / "ceiling.json").is_file()
    # paired: one repeat asks the same seed set in both settings; repeats differ
    assert _queries(out / names[0], 0) == _queries(out / names[1], 0)
    assert _queries(out / names[0], 0) != _queries(out / names[2], 0)
    # every variant is an ordinary run folder
    for n in names:
        assert (out / n / "run.db").is_file() and (out / n / "metrics.csv").is_file()
    # the report ran at the end and its tables were printed
    assert "Answers to target" in text and "Time" in text and "F1 by label frequency" in text
    page = (out / "report" / "index.html").read_text()
    assert "policy=uncertainty" in page and "data:image/png;base64," in page
    assert "<table>" in page and "Answers to target" in page
    import matplotlib.image as mpimg

    pngs = sorted((out / "report").glob("*.png"))
    assert {p.name for p in pngs} >= {"curves_micro_f1.png", "curves_macro_f1.png", "time.png", "imbalance.png"}
    assert all(mpimg.imread(p).shape[0] > 100 for p in pngs)
    summary = json.loads((out / "report" / "summary.json").read_text())
    assert [s["setting"] for s in summary["settings"]] == ["policy=random", "policy=uncertainty"]
    assert summary["targets"][0]["relative_to"] == "ceiling"

    rounds = {n: _rounds(out / n) for n in names}
    code, text = _cli("run", str(spec), "--out", str(out), "--plain")
    assert code == 0
    assert "4 runs (4 already complete)" in text
    assert {n: _rounds(out / n) for n in names} == rounds  # nothing ran again

    code, text = _cli("report", str(out), "--target", "micro_f1=0.2", "--out", str(tmp_path / "rep"))
    assert code == 0 and "micro_f1 ≥ 0.2" in text
    assert (tmp_path / "rep" / "index.html").is_file()


class _StopAfterFirstRound(GridObserver):
    """Asks for a stop (as Ctrl-C does) once the second variant has finished one round."""

    def round_finished(self, state, record) -> None:  # type: ignore[no-untyped-def]
        super().round_finished(state, record)
        if self.current is not None and self.current.name.endswith("uncertainty/repeat-1") and record.round == 0:
            os.kill(os.getpid(), signal.SIGINT)


def test_a_stopped_grid_resumes_the_half_done_run(tmp_path: Path) -> None:
    from alframe.compile import compile_file

    spec = _spec(tmp_path, "grid.al", "halt", tail="vary policy [random, uncertainty]\n")
    plugins = load(autoload=False)
    plan = compile_file(spec, plugins.registry)
    variants = expand(plan, plugins.registry)
    exp = Experiment("halt", tmp_path / "exp", plan, variants)
    result = run_grid(exp, plugins, _StopAfterFirstRound(variants))
    assert result.interrupted
    assert [o.status for o in result.outcomes] == ["done", "interrupted"]
    half = exp.run_folder(variants[1])
    assert _rounds(half) == [0]
    asked_before = _queries(half, 0)
    status = {v["name"]: v["status"] for v in json.loads((exp.folder / "experiment.json").read_text())["variants"]}
    assert status == {"policy=random/repeat-1": "done", "policy=uncertainty/repeat-1": "interrupted"}

    again = run_grid(exp, plugins, GridObserver(variants))
    assert not again.interrupted
    assert [o.status for o in again.outcomes] == ["skipped", "done"]
    assert _rounds(half) == [0, 1, 2, 3]  # resumed after round 0, not restarted
    assert _queries(half, 0) == asked_before
    entries = {v["name"]: v for v in json.loads((exp.folder / "experiment.json").read_text())["variants"]}
    assert "seconds" in entries["policy=random/repeat-1"]  # ran start to end in one session
    assert "seconds" not in entries["policy=uncertainty/repeat-1"]  # resumed: not a whole-run wall time
    assert entries["policy=uncertainty/repeat-1"]["seconds_this_session"] > 0


def test_compare_two_specs_with_a_ceiling_target(tmp_path: Path) -> None:
    a = _spec(tmp_path, "a.al", "tiny-a", "random")
    b = _spec(tmp_path, "b.al", "tiny-b", "uncertainty", extra="target micro_f1 0.2 of ceiling", tail="ceiling yes")
    out = tmp_path / "cmp"
    code, text = _cli("compare", str(a), str(b), "--repeat", "1", "--out", str(out), "--plain")
    assert code == 0, text
    exp = json.loads((out / "experiment.json").read_text())
    assert [v["name"] for v in exp["variants"]] == ["tiny-a/repeat-1", "tiny-b/repeat-1"]
    assert exp["variants"][0]["seed"] == exp["variants"][1]["seed"]
    # the ceiling reached the engine: tiny-b stops at a fifth of it, before its budget is spent
    ceiling = json.loads((out / "ceiling.json").read_text())["metrics"]["micro_f1"]
    assert ceiling > 0
    assert exp["variants"][1]["stop_reason"].startswith("target reached")
    assert f"≥ {0.2 * ceiling:.4f}" in exp["variants"][1]["stop_reason"]
    assert exp["variants"][1]["rounds"] < exp["variants"][0]["rounds"]
    assert "tiny-b" in text


def test_compare_refuses_a_single_spec(tmp_path: Path) -> None:
    a = _spec(tmp_path, "a.al", "tiny-a")
    code, _ = _cli("compare", str(a))
    assert code != 0


@pytest.mark.parametrize(("weighting", "held_out"), [("", False), ("weighting { thresholds tuned }", True),
                                                    ("weighting { thresholds expected }", False)])
def test_ceiling_alone_trains_only_the_ceiling_and_says_what_it_trained_on(
    tmp_path: Path, weighting: str, held_out: bool
) -> None:
    spec = _spec(tmp_path, "c.al", "only-ceiling")
    text = "\n".join(line for line in spec.read_text().splitlines() if not line.startswith(("query", "oracle")))
    spec.write_text(text + f"\nceiling yes\n{weighting}\n", encoding="utf-8")
    out = tmp_path / "out"
    code, printed = _cli("run", str(spec), "--out", str(out), "--plain")
    assert code == 0, printed
    record = json.loads((out / "ceiling.json").read_text())
    assert record["pool_items"] > 0 and not any(out.glob("*/run.db"))  # no active-learning run
    n_labels = len(record["metrics"]["per_label"])
    if held_out:  # tuned thresholds hold 20 % of the pool out: the record says so
        assert 0 < record["held_out_items"] < record["pool_items"]
        assert record["items"] + record["held_out_items"] == record["pool_items"]
    else:
        assert record["held_out_items"] == 0 and record["items"] == record["pool_items"]
    assert record["labels"] == record["items"] * n_labels
    # progressive (the default) cuts on a tenth of the pool left out of a first fit
    assert record["threshold_fresh"] == (1.0 if not weighting else None)
    assert (record["threshold"] is None) == (weighting == "weighting { thresholds tuned }")
    assert f"trained on {record['items']:,} of {record['pool_items']:,} pool items" in printed
