"""Stopping without a test split, end to end on a slice of the shipped catalogue:
``stop stable(...)``, ``target micro_f1 F estimated`` with ``test fraction 0``, and a resume
that keeps the rule's behaviour."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from engine_specs import run_spec, stored_metrics, write_spec
from test_resume import _InterruptAt

from alframe.cli.status import run_status, status_lines
from alframe.stopping import stable_reason

STABLE = "stop stable(window=2, agreement=0.8)"


def _metrics(out: Path) -> dict[int, dict]:  # type: ignore[type-arg]
    return {r: json.loads(m) for r, m in stored_metrics(out)}


@pytest.fixture(scope="module")
def stable_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("stable")
    spec = write_spec(folder / "spec", name="stable", extra_query=STABLE, budget=20_000)
    run_spec(spec, folder / "run")
    return spec, folder / "run"


def test_a_run_stops_when_its_predictions_are_stable(stable_run: tuple[Path, Path]) -> None:
    _, out = stable_run
    metrics = _metrics(out)
    last = max(metrics)
    kappas = [metrics[r].get("stability") for r in sorted(metrics)]
    assert kappas[0] is None and "stability" not in metrics[0]  # round 0: no model before it
    assert all(isinstance(k, float) and -1 <= k <= 1 for k in kappas[1:])
    # it stopped at the first round where the rule holds, with the reason the rule gives
    reason = stable_reason(kappas, 2, 0.8)
    assert reason is not None and reason.startswith("predictions stable: agreement ")
    assert reason.endswith(" ≥ 0.8 over 2 rounds")
    assert all(stable_reason(kappas[: r + 1], 2, 0.8) is None for r in range(last))
    info = run_status(out)
    assert info["state"] == "finished" and info["stop_reason"] == reason
    assert info["estimates"]["stability"] == kappas[-1]
    assert any(line.startswith("without a test split") for line in status_lines(info))
    # both estimates beside the test metric, every round from round 1
    for r in range(1, last + 1):
        assert 0 < metrics[r]["estimated_micro_f1"] <= 1 and 0 < metrics[r]["expected_micro_f1"] <= 1
        assert metrics[r]["micro_f1"] is not None
    with open(out / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert rows[0]["stability"] == "" and float(rows[-1]["stability"]) == kappas[-1]


def test_a_finished_stable_run_stays_finished(stable_run: tuple[Path, Path]) -> None:
    """Running the command again finds the rule met, from the stored rounds alone."""
    spec, out = stable_run
    before = _metrics(out)
    summary, _, _ = run_spec(spec, out)
    assert summary.stop_reason == run_status(out)["stop_reason"]
    assert _metrics(out) == before


def test_a_resumed_run_stops_where_the_uninterrupted_one_did(stable_run: tuple[Path, Path], tmp_path: Path) -> None:
    """Interrupted after round 1 is committed (and then in round 2's training): the resumed run
    measures round 2's stability against the model restored from round 1's checkpoint and reads
    round 1's from the store, so it stops at the same round with the same reason."""
    spec, ref = stable_run
    out = tmp_path / "run"
    first, _, _ = run_spec(spec, out, extra=[("stop", _InterruptAt("round_end", 1))])
    assert first.interrupted
    second, _, _ = run_spec(spec, out, extra=[("stop", _InterruptAt("train", 2))])
    assert second.interrupted
    summary, _, _ = run_spec(spec, out)
    assert summary.stop_reason == run_status(ref)["stop_reason"]
    assert _metrics(out) == _metrics(ref)


def test_an_estimated_target_stops_a_run_without_a_test_split(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec", name="notest", policy="random", budget=20_000,
                      extra_query="target micro_f1 0.5 estimated")
    spec.write_text(spec.read_text().replace("test fraction 0.25 seed 5", "test fraction 0"))
    out = tmp_path / "run"
    summary, plan, _ = run_spec(spec, out)
    assert plan.data.test_fraction == 0.0
    metrics = _metrics(out)
    last = max(metrics)
    assert summary.stop_reason == f"target reached: micro_f1 (estimated from the answers) {metrics[last]['estimated_micro_f1']:.4f} ≥ 0.5000"
    assert last >= 1 and all(metrics[r]["estimated_micro_f1"] < 0.5 for r in range(1, last))
    assert metrics[last]["micro_f1"] is None  # no test split: the test metric is undefined
    assert metrics[last]["estimate"]["expected_micro_f1"] == metrics[last]["expected_micro_f1"]
    # the report reads the target on the estimate the run stopped on, and draws its curve
    from alframe.report.build import build_report

    rep = build_report(out)
    assert [t.metric for t in rep.analysis.targets] == ["estimated_micro_f1"]
    assert {"estimated_micro_f1", "expected_micro_f1", "stability"} <= set(rep.collection.metrics)
    assert (rep.folder / "curves_stability.png").exists()
