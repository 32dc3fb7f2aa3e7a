"""``trainer { accelerator cpu  devices 2  strategy ddp }``: a round trains on two processes
(started from the run's own process, data and model in hand, gloo between them) and the run
goes on as with one: the store written once, by the main process; figures close to one
process's."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from alframe.compile import compile_file
from alframe.engine import Engine
from alframe.plugins import load
from alframe.record import RunFolder

CATALOGUE = Path(__file__).resolve().parents[2] / "specs" / "data" / "debian-packages.jsonl.gz"

SPEC = """\
run "ddp" seed 4
data "debian-packages.jsonl.gz" {{ id package  text package, description  test fraction 0.25 seed 1  limit 1200 }}
labels from "tags" {{ min_positives 60 }}
model {{ encoder hashed_bag(dim=16, buckets=2^12, ngrams=1..1, wide=2^12)  trunk mlp(hidden=32)  heads joint  ensemble 2 }}
train {{ epochs 3  batch 32 }}
query {{ seed 100 random  batch 100  unit item  policy uncertainty  budget 1000000  rounds 3 }}
oracle simulated
evaluate {{ metrics [micro_f1, macro_ap] }}
trainer {{ accelerator cpu  devices {devices}  strategy {strategy}  loggers [] }}
"""


def run(folder: Path, devices: int, strategy: str) -> tuple[list[dict[str, float]], int, int]:
    folder.mkdir()
    shutil.copyfile(CATALOGUE, folder / CATALOGUE.name)
    spec = folder / "run.al"
    spec.write_text(SPEC.format(devices=devices, strategy=strategy), encoding="utf-8")
    plugins = load(autoload=False)
    plan = compile_file(spec, plugins.registry)
    with RunFolder.open(plan, plugins, folder / "out") as rd:
        summary = Engine(plan, plugins, rd).run()
    with sqlite3.connect(folder / "out" / "run.db") as c:
        answers = c.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
        rounds = c.execute("SELECT COUNT(*) FROM rounds WHERE status = 'complete'").fetchone()[0]
    return [dict(r.metrics) | {"steps": r.train.get("steps", 0), "loss": r.train.get("train_loss", 0)}
            for r in summary.history], answers, rounds


@pytest.mark.slow
def test_two_cpu_processes_train_a_round_as_one_does(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Training and scoring: the pool (900 items) is predicted by both processes as well."""
    from alframe.models import committee, predict

    split: list[int] = []
    real = predict.predict_split
    monkeypatch.setattr(committee, "SPLIT_PREDICT_ITEMS", 500)
    monkeypatch.setattr(predict, "predict_split", lambda *a, **k: split.append(len(a[2])) or real(*a, **k))
    one, answers_one, rounds_one = run(tmp_path / "one", 1, "auto")
    assert split == []
    two, answers_two, rounds_two = run(tmp_path / "two", 2, "ddp")
    assert len(split) >= 3 and min(split) >= 500  # each round's pool scoring, at least
    assert rounds_one == rounds_two == 3 and answers_one == answers_two  # each answer stored once
    for a, b in zip(one, two):
        assert b["loss"] == b["loss"] and b["loss"] > 0  # the main process read the fit's loss
        assert a["steps"] / 2 <= b["steps"] <= a["steps"] / 2 + 3  # each process its half of each epoch's batches
        # measured: within 0.005 micro-F1 and 0.007 macro-AP on these three rounds
        assert abs(a["micro_f1"] - b["micro_f1"]) < 0.03 and abs(a["macro_ap"] - b["macro_ap"]) < 0.03


@pytest.mark.parametrize(("devices", "strategy", "start"), [("2", "ddp", "fork"), ("2", "auto", "fork"),
                                                            ("1", "ddp", "popen"), ("2", "ddp_spawn", "spawn")])
def test_ddp_and_auto_on_several_cpu_devices_start_their_processes_by_fork(
    devices: str, strategy: str, start: str
) -> None:
    """Lightning's ``ddp`` (and ``auto`` with several devices, which it runs as ``ddp``) would
    start each process by running the command line again; alframe asks for ``ddp_fork``. A
    strategy the spec names otherwise, or ``ddp`` on one device, is left as it is."""
    from model_fixtures import bundle, catalogue, plan, request

    from alframe.plan import TrainerPlan

    b = bundle(plan(trainer=TrainerPlan(accelerator="cpu", devices=devices, strategy=strategy)), catalogue(40))
    trainer = b._trainer(request(catalogue(40)), False, 1, 1)
    assert getattr(trainer.strategy, "_start_method", None) == start


@pytest.mark.parametrize("n", [2, 7, 300])
def test_predictions_split_over_two_processes_are_one_processs(n: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """``Trainer.predict`` on two CPU processes (``ddp_fork``): every item predicted once, in
    its place, with the values one process computes; MC samples keep their shape and range."""
    import numpy as np
    from model_fixtures import bundle, catalogue, plan, request

    from alframe.models import committee
    from alframe.plan import TrainerPlan

    ds = catalogue(300)
    one = bundle(plan(trainer=TrainerPlan(accelerator="cpu", devices="1")), ds)
    one.fit(request(ds))
    two = bundle(plan(trainer=TrainerPlan(accelerator="cpu", devices="2", strategy="ddp")), ds)
    two.net.load_state_dict(one.net.state_dict())
    monkeypatch.setattr(committee, "SPLIT_PREDICT_ITEMS", 2)
    calls: list[int] = []
    real = two._predict_split
    monkeypatch.setattr(two, "_predict_split", lambda idx, mc, step: calls.append(len(idx)) or real(idx, mc, step))
    idx = np.random.default_rng(n).choice(300, size=n, replace=True)  # any order, repeats allowed
    np.testing.assert_allclose(two.predict_proba(idx).numpy(), one.predict_proba(idx).numpy(), atol=1e-6)
    mc = two.predict_proba(idx, mc_samples=3)
    assert mc.shape == (n, ds.n_labels, 3 * one.n_members) and bool(((mc >= 0) & (mc <= 1)).all())
    assert calls == [n, n]
