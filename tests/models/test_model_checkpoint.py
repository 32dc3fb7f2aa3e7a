from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
import torch
from model_fixtures import bundle, catalogue, plan, request

from alframe.errors import RunError
from alframe.models import checkpoint as ckpt
from alframe.plan import WeightPlan


class _RunsCode:
    """Unpickling this would create a file: the marker that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


def _trained(tuned: bool = True):  # type: ignore[no-untyped-def]
    ds = catalogue(120)
    weighting = WeightPlan(thresholds="tuned") if tuned else WeightPlan()
    b = bundle(plan(weighting=weighting, ensemble=2), ds)
    b.fit(request(ds, seed=3, round=4))
    return ds, b


def test_round_trip_restores_predictions_thresholds_and_seed(tmp_path: Path) -> None:
    ds, b = _trained()
    path = tmp_path / "round-4.ckpt"
    b.save_checkpoint(str(path))
    raw = torch.load(path, weights_only=True)  # a plain dict of tensors and primitives
    assert raw["format"] == ckpt.FORMAT and raw["round"] == 4 and raw["labels"] == ds.label_names
    other = bundle(plan(weighting=WeightPlan(thresholds="tuned"), ensemble=2), ds)
    assert not torch.allclose(other.predict_proba(ds.test_idx), b.predict_proba(ds.test_idx))
    other.load_checkpoint(str(path))
    torch.testing.assert_close(other.predict_proba(ds.test_idx), b.predict_proba(ds.test_idx))
    torch.testing.assert_close(
        other.predict_proba(ds.test_idx, mc_samples=2), b.predict_proba(ds.test_idx, mc_samples=2)
    )
    assert np.array_equal(other.thresholds, b.thresholds) and other.last_round == 4 and other.fitted
    assert [p.name for p in tmp_path.iterdir()] == ["round-4.ckpt"]  # no temporary file left


def test_truncated_and_foreign_files_are_refused(tmp_path: Path) -> None:
    ds, b = _trained(tuned=False)
    path = tmp_path / "model.ckpt"
    b.save_checkpoint(str(path))
    data = path.read_bytes()
    cases = {
        "truncated": (data[: len(data) // 2], "R301"),
        "empty": (b"", "R301"),
        "noise": (os.urandom(4096), "R301"),
    }
    for name, (content, code) in cases.items():
        bad = tmp_path / f"{name}.ckpt"
        bad.write_bytes(content)
        with pytest.raises(RunError) as err:
            b.load_checkpoint(str(bad))
        assert err.value.code == code, name
    plain = tmp_path / "plain.ckpt"
    torch.save({"weights": torch.zeros(3)}, plain)
    with pytest.raises(RunError) as err:
        b.load_checkpoint(str(plain))
    assert err.value.code == "R303"
    with pytest.raises(RunError) as err:
        b.load_checkpoint(str(tmp_path / "missing.ckpt"))
    assert err.value.code == "R300"


def test_a_pickle_in_disguise_runs_no_code(tmp_path: Path) -> None:
    _, b = _trained(tuned=False)
    marker = tmp_path / "code-ran"
    evil = tmp_path / "evil.ckpt"
    torch.save({"format": ckpt.FORMAT, "version": ckpt.VERSION, "state": _RunsCode(marker)}, evil)
    with pytest.raises(RunError) as err:
        b.load_checkpoint(str(evil))
    assert err.value.code == "R302"
    raw = tmp_path / "evil.pkl"
    raw.write_bytes(pickle.dumps({"format": ckpt.FORMAT, "state": _RunsCode(marker)}))
    with pytest.raises(RunError):
        b.load_checkpoint(str(raw))
    assert not marker.exists()


def test_a_checkpoint_of_another_model_is_refused(tmp_path: Path) -> None:
    ds, b = _trained(tuned=False)
    path = tmp_path / "model.ckpt"
    b.save_checkpoint(str(path))
    wider = bundle(plan(ensemble=3), ds)
    with pytest.raises(RunError) as err:
        wider.load_checkpoint(str(path))
    assert err.value.code == "R305"
    ds.label_names = [*ds.label_names[:-1], "renamed"]
    with pytest.raises(RunError):
        bundle(plan(ensemble=2), ds).load_checkpoint(str(path))


def test_a_failed_save_leaves_the_previous_checkpoint(tmp_path: Path) -> None:
    ds, b = _trained(tuned=False)
    path = tmp_path / "model.ckpt"
    b.save_checkpoint(str(path))
    before = path.read_bytes()
    with pytest.raises((pickle.PicklingError, AttributeError)):  # torch says either, by object
        ckpt.write_checkpoint({"format": ckpt.FORMAT, "bad": lambda: None}, path)  # cannot be pickled
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.ckpt"]
    b.load_checkpoint(str(path))
