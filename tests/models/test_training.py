from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import pytorch_lightning as pl
import torch
from model_fixtures import TINY_ENCODER, bundle, catalogue, plan, request, weights_of
from pytorch_lightning.loggers import CSVLogger

from alframe.errors import RunError
from alframe.models.bundle import FitRequest
from alframe.models.optim import RowAdam
from alframe.plan import Call, TrainerPlan, WeightPlan


def _same(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_fit_is_deterministic_for_a_seed_and_leaves_global_rng_alone() -> None:
    ds = catalogue(120)
    p = plan(ensemble=2, dropout=0.2)
    state = torch.get_rng_state()
    first, second = bundle(p, ds), bundle(p, ds)
    info = first.fit(request(ds, seed=5))
    second.fit(request(ds, seed=5))
    assert _same(weights_of(first), weights_of(second))
    assert torch.equal(torch.get_rng_state(), state)
    third = bundle(p, ds)
    third.fit(request(ds, seed=6))
    assert not _same(weights_of(first), weights_of(third))
    assert info["epochs"] == 2 and info["steps"] == 2 * 3  # 96 items, batch 32
    assert info["fit_seconds"] > 0 and np.isfinite(info["train_loss"])


def test_fresh_start_reinitialises_from_the_round_seed() -> None:
    ds = catalogue(120)
    p = plan(ensemble=2, warm_start=False)
    trained = bundle(p, ds)
    trained.fit(request(ds, seed=1))
    trained.fit(request(ds, seed=2, round=1))
    new = bundle(p, ds)
    new.fit(request(ds, seed=2, round=1))
    assert _same(weights_of(trained), weights_of(new))  # history forgotten


def test_warm_start_keeps_the_weights_of_the_previous_round() -> None:
    # the wide path trained by steps (wide_c=0): warm start carries every weight over (with a
    # solved wide path only that path's: test_learner_parts)
    enc = Call(TINY_ENCODER.name, (*TINY_ENCODER.args, ("wide_c", 0.0)))
    ds = catalogue(160)
    warm = bundle(plan(encoder=enc, warm_start=True, epochs=6), ds)
    fresh = bundle(plan(encoder=enc, warm_start=False, epochs=6), ds)
    for b in (warm, fresh):
        b.fit(request(ds, seed=1))
    before = weights_of(warm)
    warm.fit(request(ds, seed=2, round=1))
    fresh.fit(request(ds, seed=2, round=1))
    new = bundle(plan(encoder=enc, warm_start=True, epochs=6), ds)
    new.fit(request(ds, seed=2, round=1))  # a first fit starts from the round seed
    assert not _same(weights_of(warm), weights_of(new))
    assert not _same(weights_of(warm), before)
    # starting from trained weights, the first epoch's loss is already low
    assert warm.module.epoch_losses[0] < 0.7 * fresh.module.epoch_losses[0]


def test_predict_proba_shapes_and_mc_samples() -> None:
    ds = catalogue(80)
    b = bundle(plan(ensemble=3, dropout=0.3), ds)
    b.fit(request(ds, seed=0))
    idx = np.array([5, 0, 79, 5])
    probs = b.predict_proba(idx)
    assert probs.dtype == torch.float32 and probs.shape == (4, ds.n_labels, 3)
    assert ((probs >= 0) & (probs <= 1)).all()
    torch.testing.assert_close(probs[0], probs[3])
    mc = b.predict_proba(idx, mc_samples=4)
    assert mc.shape == (4, ds.n_labels, 12)
    assert not torch.allclose(mc[..., 0], mc[..., 1])  # dropout stays on
    torch.testing.assert_close(mc, b.predict_proba(idx, mc_samples=4))  # but seeded
    assert b.predict_proba(np.zeros(0, dtype=np.int64)).shape == (0, ds.n_labels, 3)
    b.net.eval()
    b.predict_proba(idx, mc_samples=2)
    assert not b.net.training  # the module's mode is restored


def test_mc_columns_are_member_major() -> None:
    ds = catalogue(60)
    no_dropout = Call("mlp", (("hidden", 16), ("layers", 1), ("dropout", 0.0)))
    b = bundle(plan(ensemble=2, trunk=no_dropout), ds)
    b.fit(request(ds, seed=0))
    plain = b.predict_proba(np.arange(10))  # [n, L, K]
    mc = b.predict_proba(np.arange(10), mc_samples=3).view(10, ds.n_labels, 2, 3)
    for t in range(3):
        torch.testing.assert_close(mc[..., t], plain)


def test_tuned_thresholds_use_a_held_out_part() -> None:
    ds = catalogue(200)
    b = bundle(plan(weighting=WeightPlan(thresholds="tuned", threshold=0.5), epochs=3), ds)
    info = b.fit(request(ds, seed=0))
    assert info["n_holdout"] == 32 and info["n_train"] == 128 and "val_loss" in info
    assert b.thresholds.shape == (ds.n_labels,) and b.thresholds.dtype == np.float32
    assert not np.allclose(b.thresholds, 0.5)
    fixed = bundle(plan(weighting=WeightPlan(thresholds="fixed", threshold=0.3)), ds)
    info = fixed.fit(request(ds, seed=0))
    assert info["n_holdout"] == 0 and np.allclose(fixed.thresholds, 0.3)


def test_progressive_thresholds_cut_on_the_fresh_answers_else_on_the_expected_f1() -> None:
    """``thresholds progressive`` (the default): the cut comes from the request's fresh cells
    when they hold enough positives, else from the label-free expected cut (round 0)."""
    from alframe.models.thresholds import fresh_counts, progressive_threshold

    ds = catalogue(200)
    p = plan(weighting=WeightPlan(thresholds="progressive"), epochs=2)
    assert WeightPlan().thresholds == "progressive"
    first = bundle(p, ds)
    info = first.fit(request(ds, seed=0))
    assert info["threshold_fresh"] == 0.0 and info["n_holdout"] == 0
    expected = bundle(plan(weighting=WeightPlan(thresholds="expected"), epochs=2), ds)
    expected.fit(request(ds, seed=0))
    assert np.allclose(first.thresholds, expected.thresholds)  # the fallback is the expected cut
    rng = np.random.default_rng(1)
    y = (rng.random(600) < 0.1).astype(np.int8)
    probs = np.where(y == 1, 0.2, 0.05) + rng.random(600) * 0.01
    req = request(ds, seed=0)
    req.fresh = fresh_counts(probs, y, np.ones(600))
    second = bundle(p, ds)
    info = second.fit(req)
    assert info["threshold_fresh"] == 1.0
    assert np.allclose(second.thresholds, progressive_threshold(req.fresh))
    assert 0.05 < float(second.thresholds[0]) < 0.2
    req.fresh = fresh_counts(probs[:100], np.zeros(100, np.int8), np.ones(100))  # no fresh positive: fallback
    assert second.fit(req)["threshold_fresh"] == 0.0
    # the fallback over given unseen items (a cell run's reserve) rather than the pool
    from alframe.models.thresholds import expected_f1_threshold

    req.unseen = np.asarray(ds.pool_idx[:40])
    info = second.fit(req)
    on_unseen = expected_f1_threshold(second.predict_proba(req.unseen).mean(2).numpy())
    assert info["threshold"] == pytest.approx(on_unseen) and float(second.thresholds[0]) == pytest.approx(on_unseen)
    on_pool = expected_f1_threshold(second.predict_proba(ds.pool_idx).mean(2).numpy())
    assert on_pool != pytest.approx(on_unseen)


def test_early_stopping_on_held_out_items_restores_the_best_epoch() -> None:
    ds = catalogue(100, rates=[0.5, 0.5])
    rng = np.random.default_rng(0)
    ds.labels = (rng.random(ds.labels.shape) < 0.5).astype(np.int8)  # pure noise: overfits at once
    big = Call("mlp", (("hidden", 64), ("layers", 1), ("dropout", 0.0)))
    b = bundle(plan(trunk=big, epochs=40, lr=3e-2, early_stop_patience=2), ds)
    info = b.fit(request(ds, seed=0))
    assert info["stopped_early"] == 1 and info["epochs"] < 40
    assert info["val_loss"] == pytest.approx(min(b.module.val_losses))


def test_an_empty_labelled_set_trains_nothing() -> None:
    ds = catalogue(40)
    b = bundle(plan(), ds)
    empty = FitRequest(np.zeros(0, np.int64), np.zeros((0, ds.n_labels), np.int8),
                       np.zeros((0, ds.n_labels), np.float32), seed=0, round=0)
    assert b.fit(empty)["epochs"] == 0


def test_inconsistent_requests_are_refused() -> None:
    ds = catalogue(40)
    b = bundle(plan(), ds)
    good = request(ds, seed=0, n=10)
    bad_shape = FitRequest(good.train_idx, good.targets[:, :2], good.weights, 0, 0)
    bad_value = FitRequest(good.train_idx, good.targets * 2, good.weights, 0, 0)
    nan_weight = FitRequest(good.train_idx, good.targets, np.full(good.weights.shape, np.nan, np.float32), 0, 0)
    out_of_range = FitRequest(good.train_idx + 1000, good.targets, good.weights, 0, 0)
    for req in (bad_shape, bad_value, nan_weight, out_of_range):
        with pytest.raises(RunError) as err:
            b.fit(req)
        assert err.value.code == "R311"


def test_unknown_cells_and_zero_positive_labels_train_finite() -> None:
    ds = catalogue(80)
    req = request(ds, seed=0)
    req.targets[:, 4] = 0  # a label with no positive so far
    req.targets[::2, 1:3] = -1  # half the cells unknown
    req.weights = np.where(req.targets >= 0, 1.0, 0.0).astype(np.float32)
    for method in (Call("pos_weight", (("mode", "ratio"), ("max", 50.0))), Call("focal"), Call("logit_adjust")):
        b = bundle(plan(weighting=WeightPlan(imbalance=method)), ds)
        assert np.isfinite(b.fit(req)["train_loss"])
        assert torch.isfinite(b.predict_proba(ds.test_idx)).all()


def test_sparse_table_and_dense_optimisers() -> None:
    ds = catalogue(80)
    for name, dense_type in (("adam", torch.optim.Adam), ("adamw", torch.optim.AdamW), ("sgd", torch.optim.SGD)):
        # the wide path trained by steps: warm start then keeps the embedding table too
        enc = Call(TINY_ENCODER.name, (*TINY_ENCODER.args, ("wide_c", 0.0)))
        b = bundle(plan(encoder=enc, optimizer=name), ds)
        opts = b.module.configure_optimizers()
        assert [type(o) for o in opts] == [RowAdam, dense_type]
        b.fit(request(ds, seed=0))
        table = b.net.encoder.bag.weight.detach().clone()
        b.fit(request(ds, seed=1, round=1))  # warm start: same table, trained further
        moved = (b.net.encoder.bag.weight.detach() != table).any(1)
        assert 0 < int(moved.sum()) <= 46  # only the rows of the 46 words seen move


def test_numeric_encoder_trains_without_a_sparse_table() -> None:
    ds = catalogue(80)
    b = bundle(plan(encoder=Call("numeric_mlp", (("hidden", 8),))), ds)
    assert [type(o) for o in b.module.configure_optimizers()] == [torch.optim.Adam]
    assert np.isfinite(b.fit(request(ds, seed=0))["train_loss"])


@pytest.mark.parametrize("precision", ["bf16-mixed", "16-mixed"])
def test_mixed_precision_runs(precision: str) -> None:
    """On a CPU Lightning runs 16-mixed as bf16-mixed; the loss is computed in float32."""
    ds = catalogue(80)
    b = bundle(plan(trainer=TrainerPlan(accelerator="auto", precision=precision)), ds)
    info = b.fit(request(ds, seed=0))
    assert np.isfinite(info["train_loss"])
    assert b.predict_proba(np.arange(4)).dtype == torch.float32


def test_callbacks_and_logger_are_handed_to_the_trainer(tmp_path: Path) -> None:
    class Count(pl.Callback):
        def __init__(self) -> None:
            self.epochs = 0

        def on_train_epoch_end(self, trainer: pl.Trainer, module: pl.LightningModule) -> None:
            self.epochs += 1

    ds = catalogue(80)
    b = bundle(plan(epochs=3), ds)
    counter = Count()
    req = request(ds, seed=0)
    req.callbacks, req.logger, req.root_dir = [counter], CSVLogger(str(tmp_path), name="fit"), str(tmp_path)
    b.fit(req)
    assert counter.epochs == 3
    metrics = list(tmp_path.rglob("metrics.csv"))
    assert metrics and "train_loss" in metrics[0].read_text()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_a_trainer_that_cannot_run_here_is_a_run_error() -> None:
    ds = catalogue(40)
    b = bundle(plan(trainer=TrainerPlan(accelerator="gpu")), ds)
    with pytest.raises(RunError) as err:
        b.fit(request(ds, seed=0))
    assert err.value.code == "R310" and "accelerator gpu" in str(err.value)
