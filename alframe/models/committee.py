"""The built-in :class:`~alframe.models.bundle.ModelBundle`: a batched committee under Lightning.

One round (:meth:`CommitteeBundle.fit`): check the request; re-initialise (fresh) or keep the
weights (warm start: with a solved wide path only the wide path's); hold out part of the
labelled items when early stopping or tuned thresholds need it; draw each member's resampling
weights; solve the wide path; fit the rest with a fresh ``Trainer``; restore the best held-out
epoch; choose thresholds. Every random choice comes from a sub-seed of
``req.seed`` (local generators; dropout under a forked global generator), so the same request
gives the same weights on the same machine and the caller's random state is untouched.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import time
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import EarlyStopping

from alframe import seeds
from alframe.data.dataset import Dataset
from alframe.errors import RunError
from alframe.models import checkpoint as ckpt
from alframe.models.bundle import FitRequest, ModelBundle, check_request
from alframe.models.datamodule import LabelledRows, RoundData, split_holdout
from alframe.models.encoders import WideModule, empty_bag_fraction
from alframe.models.ensemble import cuda_devices, member_multiplicity, member_network, reset_members
from alframe.models.features import Features
from alframe.models.losses import LabelCounts
from alframe.models.module import CommitteeModule, CommitteeNet, OptimConfig
from alframe.models.thresholds import expected_f1_threshold, progressive_threshold, tune_thresholds
from alframe.plan import Plan

#: share of the labelled items held out (early stopping, tuned thresholds)
HOLDOUT_FRACTION = 0.2
#: below this many labelled items nothing is held out (thresholds stay fixed, no early stop)
MIN_HOLDOUT_ITEMS = 10
#: pool items whose predictions choose the expected-F1 threshold (all of a smaller pool)
EXPECTED_SAMPLE = 8192
#: largest inference batch, and the budget of floats of its widest intermediate (16 MiB: on
#: the catalogue's pool with 5 members, independent heads scored in 2.5 s where 64 MiB took
#: 5.7 s, grouped heads in 1.5 s against 2.3 s, joint heads alike; a chunk that outgrows the
#: cache is read back from memory by every step)
PREDICT_BATCH = 4096
#: with several devices, predictions over at least this many items are split over the
#: trainer's processes (:mod:`alframe.models.predict`); fewer stay here, where starting the
#: processes would cost more than they save
SPLIT_PREDICT_ITEMS = 16384
PREDICT_FLOATS = 1 << 22

_NOISY_LOGGERS = ("pytorch_lightning", "lightning_fabric", "lightning.pytorch", "lightning.fabric")
_NOISY_WARNINGS = (
    ".*does not have many workers.*",
    ".*smaller than the logging interval.*",
    ".*`IterableDataset` has `__len__` defined.*",
    ".*Trying to infer the `batch_size`.*",
    ".*defined a `validation_step` but have no `val_dataloader`.*",
    ".*isinstance\\(treespec, LeafSpec\\)` is deprecated.*",
    ".*predict returned None.*",  # the split predictions come back by file (models/predict.py)
)


class CommitteeBundle(ModelBundle):
    """Hashed/numeric encoder → trunk → heads, K members in one module."""

    def __init__(
        self, plan: Plan, dataset: Dataset, *, encoder: Any, trunk: Any, heads: Any, imbalance: Any
    ) -> None:
        self.plan, self.dataset = plan, dataset
        self.encoder_spec, self.trunk_spec, self.heads_spec = encoder, trunk, heads
        self.notes: list[str] = []
        self.features = encoder.featurize(dataset)
        if isinstance(self.features, Features) and empty_bag_fraction(self.features) > 0.5:
            self.notes.append(
                f"{empty_bag_fraction(self.features):.0%} of the items have no text n-gram: "
                "check the data block's text fields"
            )
        self.n_members, self.n_labels = int(plan.model.ensemble), dataset.n_labels
        self.net = self.build_net(self.n_members)
        reset_members(self.net, seeds.sub_seed(plan.seed, seeds.INIT))
        optim = OptimConfig(
            name=plan.train.optimizer,
            lr=plan.train.lr,
            weight_decay=plan.train.weight_decay,
            schedule=plan.train.schedule,
        )
        self.module = CommitteeModule(self.net, imbalance, optim)
        self.thresholds = np.full(self.n_labels, plan.weighting.threshold, dtype=np.float32)
        self.fitted = False
        self.last_seed = int(plan.seed)
        self.last_round = -1

    # -- building ---------------------------------------------------------------------------

    def build_net(self, n_members: int) -> CommitteeNet:
        """The network for ``n_members`` members (K=1 gives the shape of one member).

        Built under a forked global generator: a plugin layer that initialises itself from the
        global RNG must not shift the engine's random stream (weights are re-drawn from seeds).
        """
        with torch.random.fork_rng(devices=cuda_devices()):
            return self._build_net(n_members)

    def _build_net(self, n_members: int) -> CommitteeNet:
        enc = self.encoder_spec.build(self.features, n_members)
        reads = getattr(self.heads_spec, "reads", "trunk")
        trunk = None
        d = int(enc.out_dim)
        if reads == "trunk":
            trunk = self.trunk_spec.build(d, n_members)
            d = int(trunk.out_dim)
        elif self.plan.model.trunk.name != "identity":
            note = (
                f"trunk {self.plan.model.trunk} is not used: heads {self.plan.model.heads.name} "
                "read the encoder's output through their own per-label or per-group layers"
            )
            if note not in self.notes:
                self.notes.append(note)
        heads = self.heads_spec.build(d, list(self.dataset.label_names), n_members)
        self.embed_dim = d  # the heads' input width: what embed() returns per item
        wide = None
        wide_buckets = int(getattr(self.encoder_spec, "wide", 0) or 0)
        if wide_buckets > 0 and isinstance(self.features, Features) and self.features.bag_values is not None:
            scale = float(getattr(enc, "sparse_lr_scale", 1.0))
            c = float(getattr(self.encoder_spec, "wide_c", 0.0) or 0.0)
            wide = WideModule(wide_buckets, n_members, self.n_labels, scale, c)
        return CommitteeNet(enc, trunk, heads, self.plan.model.dropout, n_members, self.n_labels, wide)

    def member(self, k: int) -> CommitteeNet:
        """Member k alone, as a one-member network with exactly its parameters."""
        if not 0 <= k < self.n_members:
            raise IndexError(f"member {k} of a committee of {self.n_members}")
        return member_network(self.net, k, self.n_members, lambda: self.build_net(1))

    # -- training ---------------------------------------------------------------------------

    def fit(self, req: FitRequest) -> dict[str, float]:
        start = time.perf_counter()
        items, targets, weights = check_request(req, self.dataset.n_items, self.n_labels)
        plan = self.plan
        warm = bool(plan.train.warm_start and self.fitted)
        if not warm:
            reset_members(self.net, seeds.sub_seed(req.seed, seeds.INIT))
        elif self._wide_solved():
            self._reset_deep(seeds.sub_seed(req.seed, seeds.INIT))
        self.fitted, self.last_seed, self.last_round = True, int(req.seed), int(req.round)
        if len(items) == 0:
            self.thresholds = np.full(self.n_labels, plan.weighting.threshold, dtype=np.float32)
            return {"epochs": 0, "steps": 0, "train_loss": 0.0, "train_seconds": 0.0,
                    "n_train": 0, "n_holdout": 0, "fit_seconds": time.perf_counter() - start}
        data = self._round_data(req.seed, items, targets, weights)
        solved = self._solve_wide(data, warm)
        with _frozen(self.net.wide if solved else None):
            out = self._train(req, data)
        out.update(solved)
        out.update(self._set_thresholds(data, req.seed, req.fresh, req.unseen))
        out["fit_seconds"] = time.perf_counter() - start
        return out

    def _wide_solved(self) -> bool:
        return isinstance(self.net.wide, WideModule) and self.net.wide.solved

    def _reset_deep(self, seed: int) -> None:
        """Warm start with a solved wide path: the solve starts from the last optimum (it
        converges to the same answer, in a third of the iterations) and everything else starts
        afresh. Carried over 30 rounds, the deep path's few epochs a round added up to an
        over-fitted correction: at 1,000 labelled packages macro-AP 0.319 against 0.330 with a
        fresh deep path, at the same cost."""
        wide = self.net.wide
        assert wide is not None
        kept = {n: t.detach().clone() for n, t in wide.state_dict().items()}
        reset_members(self.net, seed)
        wide.load_state_dict(kept)

    def _solve_wide(self, data: RoundData, warm: bool) -> dict[str, float]:
        """Solve the wide path on the round's training rows (nothing when it is trained by
        steps, or absent): its figures (seconds, evaluations, buckets), else ``{}``."""
        wide = self.net.wide
        if not isinstance(wide, WideModule) or not wide.solved:
            return {}
        start = time.perf_counter()
        out = wide.solve(data.train, warm)
        out["wide_seconds"] = time.perf_counter() - start
        return out

    def _train(self, req: FitRequest, data: RoundData) -> dict[str, float]:
        """One ``Trainer.fit`` over the round's rows; the best held-out epoch restored."""
        plan, module = self.plan, self.module
        early = plan.train.early_stop_patience is not None and data.holdout is not None
        module.set_label_counts(LabelCounts.from_cells(data.train.targets.numpy(), data.train.weights.numpy()))
        module.keep_best, module.epoch_losses, module.val_losses, module.steps = early, [], [], 0
        n_batches = -(-len(data.train) // max(data.batch_size, 1))
        if self._wide_solved():
            n_batches = deep_batches(n_batches, data.train.targets)
        epochs = round_epochs(plan.train.epochs, len(data.train), plan.train.batch_size, plan.train.min_steps)
        start = time.perf_counter()
        with _quiet():
            trainer = self._trainer(req, early, n_batches, epochs)
            # under a data-parallel strategy each of the world's processes steps through its
            # share of the batches: the schedule spans the steps one process takes
            module.total_steps = -(-n_batches // max(int(trainer.world_size), 1)) * epochs
            with torch.random.fork_rng(devices=cuda_devices()):
                torch.manual_seed(seeds.sub_seed(req.seed, seeds.DROPOUT))
                trainer.fit(module, train_dataloaders=data.train_loader(), val_dataloaders=data.holdout_loader())
        seconds = time.perf_counter() - start
        module.restore_best()
        loss = module.epoch_losses[-1] if module.epoch_losses else float("nan")
        if not np.isfinite(loss):
            raise RunError(
                f"training loss became {loss} in round {req.round}",
                code="R312",
                hint="lower the learning rate (train { lr ... }) or check the cell weights",
            )
        out: dict[str, float] = {
            "epochs": len(module.epoch_losses),
            "steps": module.steps,
            "train_loss": loss,
            "train_seconds": seconds,
            "n_train": len(data.train),
            "n_train_cells": int((data.train.targets >= 0).sum()),
            "n_holdout": 0 if data.holdout is None else len(data.holdout),
            "stopped_early": int(early and len(module.epoch_losses) < epochs),
        }
        if module.val_losses:
            out["val_loss"] = min(module.val_losses) if early else module.val_losses[-1]
        return out

    def _round_data(self, seed: int, items: np.ndarray, targets: np.ndarray, weights: np.ndarray) -> RoundData:
        """Held-out split and member multiplicities of this round, from their own sub-seeds."""
        plan = self.plan
        need_holdout = plan.train.early_stop_patience is not None or plan.weighting.thresholds == "tuned"
        split_rng = np.random.default_rng(seeds.sub_seed(seed, seeds.SPLIT))
        fraction = HOLDOUT_FRACTION if need_holdout else 0.0
        rows, held = split_holdout(len(items), fraction, MIN_HOLDOUT_ITEMS, split_rng)
        resample_rng = np.random.default_rng(seeds.sub_seed(seed, seeds.RESAMPLE))
        mult = member_multiplicity(len(rows), self.n_members, plan.model.diversity, resample_rng)  # [m, K]
        train = LabelledRows(self.features, items[rows], targets[rows], weights[rows], mult)
        holdout = None
        if len(held):
            holdout = LabelledRows(self.features, items[held], targets[held], weights[held], None)
        return RoundData(train, holdout, plan.train.batch_size, seeds.sub_seed(seed, seeds.SHUFFLE))

    def _trainer(self, req: FitRequest, early: bool, n_batches: int, epochs: int) -> pl.Trainer:
        tp = self.plan.trainer
        callbacks = list(req.callbacks)
        strategy = tp.strategy
        if strategy in ("auto", "ddp") and _processes(_devices(tp.devices)) > 1:  # Lightning's auto: ddp
            if self._on_gpu():
                raise RunError(
                    "trainer { strategy ddp } starts each process by running the command line again, which "
                    "an alframe run cannot share its folder with; several GPUs are not supported yet",
                    code="R310",
                    hint="train on one GPU (devices 1), or on CPU processes with accelerator cpu",
                )
            strategy = "ddp_fork"  # the processes start from this one, data and model in hand
        if early:
            patience = int(self.plan.train.early_stop_patience or 0)
            callbacks.append(EarlyStopping(monitor="val_loss", mode="min", patience=patience))
        try:
            return pl.Trainer(
                max_epochs=epochs,
                accelerator=tp.accelerator,
                devices=_devices(tp.devices),
                strategy=strategy,
                precision=tp.precision,  # type: ignore[arg-type]  # a str the spec check accepted
                logger=req.logger,
                callbacks=callbacks,
                default_root_dir=req.root_dir,
                enable_progress_bar=False,
                enable_model_summary=False,
                enable_checkpointing=False,
                num_sanity_val_steps=0,
                deterministic="warn" if tp.deterministic and self._on_gpu() else None,
                limit_train_batches=n_batches,
                log_every_n_steps=max(1, min(50, n_batches)),
            )
        except Exception as exc:  # Lightning's MisconfigurationException and friends
            raise RunError(
                f"trainer {{ accelerator {tp.accelerator} devices {tp.devices} strategy {tp.strategy} "
                f"precision {tp.precision} }} cannot run here: {exc}",
                code="R310",
            ) from None

    def _set_thresholds(
        self, data: RoundData, seed: int, fresh: dict[str, Any] | None, unseen: np.ndarray | None = None
    ) -> dict[str, float]:
        """Set :attr:`thresholds` by the plan's rule. Returns the figures for the round's record:
        ``threshold`` (the one cut of the progressive and expected rules) and, with
        progressive, ``threshold_fresh`` 1.0 when the cut came from fresh answers, 0.0 when it
        fell back to the expected cut — computed over ``unseen`` items where there are some (a
        cell run's reserve), else over a sample of the pool."""
        fixed = self.plan.weighting.threshold
        mode = self.plan.weighting.thresholds
        if mode == "progressive":
            cut = progressive_threshold(fresh)
            if cut is not None:
                self.thresholds = np.full(self.n_labels, cut, dtype=np.float32)
                return {"threshold_fresh": 1.0, "threshold": cut}
            mode = "expected"  # round 0, or too few fresh positives: the label-free cut
        if mode == "expected":
            pool = np.asarray(self.dataset.pool_idx if unseen is None or not len(unseen) else unseen, dtype=np.int64)
            if len(pool) > EXPECTED_SAMPLE:  # a fixed-size sample bounds the cost on big pools
                rng = np.random.default_rng(seeds.sub_seed(seed, seeds.SPLIT) + 1)
                pool = np.sort(rng.choice(pool, EXPECTED_SAMPLE, replace=False))
            probs = self.predict_proba(pool).mean(2).numpy() if len(pool) else np.zeros((0, self.n_labels))
            cut = expected_f1_threshold(probs)
            self.thresholds = np.full(self.n_labels, cut, dtype=np.float32)
            return {"threshold": cut} | ({"threshold_fresh": 0.0} if self.plan.weighting.thresholds == "progressive" else {})
        if mode != "tuned" or data.holdout is None:
            self.thresholds = np.full(self.n_labels, fixed, dtype=np.float32)
            return {}
        hold = data.holdout
        probs = self.predict_proba(hold.items.numpy()).mean(2).numpy()  # [m, L]
        self.thresholds = tune_thresholds(probs, hold.targets.numpy(), hold.weights.numpy(), fixed)
        return {}

    # -- prediction -------------------------------------------------------------------------

    def predict_proba(self, idx: np.ndarray, mc_samples: int = 0) -> torch.Tensor:
        """Members' probabilities ``[n, L, K]``; with ``mc_samples=T`` dropout stays on and
        sample t of member k is column ``k*T + t`` of ``[n, L, K*T]``."""
        idx = np.asarray(idx, dtype=np.int64).reshape(-1)
        if len(idx) and (idx.min() < 0 or idx.max() >= self.dataset.n_items):
            raise RunError(f"predict: item index outside 0..{self.dataset.n_items - 1}", code="R313")
        if mc_samples < 0:
            raise ValueError(f"mc_samples must be >= 0, got {mc_samples}")
        k, t = self.n_members, max(int(mc_samples), 1)
        step = max(256, min(PREDICT_BATCH, PREDICT_FLOATS // max(self.net.width, 1)))
        if self._processes() > 1 and len(idx) >= max(SPLIT_PREDICT_ITEMS, self._processes()) and not self._on_gpu():
            return self._predict_split(idx, mc_samples, min(step, -(-len(idx) // self._processes())))
        out = torch.empty(len(idx), self.n_labels, k, t, dtype=torch.float32)  # [n, L, K, T]
        device = self._device()
        net = self.net.to(device)
        was_training = net.training
        net.train(mc_samples > 0)
        all_idx = torch.from_numpy(idx)
        try:
            with torch.inference_mode(), torch.random.fork_rng(devices=cuda_devices()):
                torch.manual_seed(seeds.sub_seed(self.last_seed, seeds.MC))
                for s in range(0, len(idx), step):
                    chunk = self.features.batch(all_idx[s : s + step])
                    batch = {n: v.to(device, non_blocking=True) for n, v in chunk.items()}
                    for j in range(t):
                        logits = net(batch).float()  # [B, K, L]
                        out[s : s + step, :, :, j] = torch.sigmoid(logits).permute(0, 2, 1).cpu()
        finally:
            net.train(was_training)
        return out.reshape(len(idx), self.n_labels, k * t)

    def _processes(self) -> int:
        """How many processes the plan's trainer runs (``devices``)."""
        return _processes(_devices(self.plan.trainer.devices))

    def _predict_split(self, idx: np.ndarray, mc_samples: int, step: int) -> torch.Tensor:
        """:meth:`predict_proba` by the trainer's processes (``Trainer.predict``, as ``ddp_fork``
        on CPUs, as training runs): each predicts a share of the items, in chunks of ``step``
        (at least one chunk a process: Lightning's sampler for prediction repeats none)."""
        from alframe.models.predict import predict_split

        tp = self.plan.trainer
        k, t = self.n_members, max(int(mc_samples), 1)
        was_training = self.net.training
        try:
            with _quiet():
                out = predict_split(
                    self.net, self.features, idx, mc_samples, seeds.sub_seed(self.last_seed, seeds.MC),
                    (self.n_labels, k, t), step,
                    {"accelerator": tp.accelerator, "devices": _devices(tp.devices), "strategy": "ddp_fork",
                     "precision": tp.precision},
                )
        finally:
            self.net.train(was_training)
        return out.reshape(len(idx), self.n_labels, k * t)

    def embed(self, idx: np.ndarray) -> torch.Tensor:
        """Member 0's penultimate features ``[n, d]`` (the heads' input), dropout off.

        Member 0 rather than the members' mean: the members' hidden units are not aligned with
        each other (unit j of one trunk has nothing to do with unit j of another), so a mean
        would blend unrelated coordinates; member 0 is one real network's representation. With
        a shared encoder and heads that read it, every member has the same features anyway.

        Before any training this is the freshly initialised network: the encoder's output is
        a Gaussian random projection (N(0, 1/dim) table rows) of the L2-normalised TF-IDF bag,
        a Johnson–Lindenstrauss sketch, and the untrained trunk a random ReLU layer over it,
        which keeps most of the sketch's neighbourhoods (on the catalogue's texts: the nearest
        TF-IDF neighbour is among the 10 nearest in 41% of the items for the 64-wide encoder
        output, 36% after the 256-wide trunk, 0.6% for unrelated vectors). Standardised
        numeric fields are appended to the sketch unscaled, so before training they weigh as
        much each as the whole text.
        """
        idx = np.asarray(idx, dtype=np.int64).reshape(-1)
        if len(idx) and (idx.min() < 0 or idx.max() >= self.dataset.n_items):
            raise RunError(f"embed: item index outside 0..{self.dataset.n_items - 1}", code="R313")
        out = torch.empty(len(idx), self.embed_dim, dtype=torch.float32)
        device = self._device()
        net = self.net.to(device)
        was_training = net.training
        net.eval()
        step = max(256, min(PREDICT_BATCH, PREDICT_FLOATS // max(self.embed_dim * self.n_members, 1)))
        all_idx = torch.from_numpy(idx)
        try:
            with torch.inference_mode():
                for s in range(0, len(idx), step):
                    chunk = self.features.batch(all_idx[s : s + step])
                    batch = {n: v.to(device, non_blocking=True) for n, v in chunk.items()}
                    h = net.hidden(batch)  # [B, D] | [B, K, H]
                    if h.dim() == 3:
                        h = h[:, 0]
                    out[s : s + step] = h.float().cpu()
        finally:
            net.train(was_training)
        return out

    def _on_gpu(self) -> bool:
        """Whether the trainer will run on a CUDA device.

        Only there is torch's deterministic mode asked for (``deterministic="warn"``): the CPU
        kernels used here are deterministic for a fixed thread count, and the mode would also
        fill every new tensor with NaN, which costs about a third of a CPU step.
        """
        acc = str(self.plan.trainer.accelerator).lower()
        return acc in ("gpu", "cuda", "auto") and torch.cuda.is_available()

    def _device(self) -> torch.device:
        if self._on_gpu():
            return torch.device("cuda", torch.cuda.current_device())
        return torch.device("cpu")

    # -- checkpoints ------------------------------------------------------------------------

    def save_checkpoint(self, path: str | os.PathLike[str]) -> None:
        state = {n: v.detach().cpu() for n, v in self.net.state_dict().items()}
        ckpt.write_checkpoint(
            {
                "format": ckpt.FORMAT,
                "version": ckpt.VERSION,
                "model": str(self.plan.model),
                "members": self.n_members,
                "labels": list(self.dataset.label_names),
                "state": state,
                "thresholds": torch.from_numpy(np.asarray(self.thresholds, dtype=np.float32).copy()),
                "fitted": bool(self.fitted),
                "seed": int(self.last_seed),
                "round": int(self.last_round),
            },
            path,
        )

    def load_checkpoint(self, path: str | os.PathLike[str]) -> None:
        obj = ckpt.read_checkpoint(path)
        if list(obj.get("labels", [])) != list(self.dataset.label_names) or obj.get("members") != self.n_members:
            raise RunError(f"checkpoint {path} belongs to another label space or committee size", code="R305")
        state = obj.get("state")
        mine = self.net.state_dict()
        if not isinstance(state, dict) or set(state) != set(mine) or any(
            not isinstance(state[n], torch.Tensor) or state[n].shape != mine[n].shape for n in mine
        ):
            raise RunError(f"checkpoint {path} was written by a different model: {obj.get('model')}", code="R305")
        thresholds = obj.get("thresholds")
        if not isinstance(thresholds, torch.Tensor) or thresholds.shape != (self.n_labels,):
            raise RunError(f"checkpoint {path} has no thresholds for {self.n_labels} labels", code="R305")
        self.net.load_state_dict(state)
        self.thresholds = thresholds.numpy().astype(np.float32)
        self.fitted = bool(obj.get("fitted", True))
        self.last_seed = int(obj.get("seed", self.plan.seed))
        self.last_round = int(obj.get("round", -1))


def round_epochs(epochs: int, n_items: int, batch: int, min_steps: int) -> int:
    """Epochs of a round: ``train { epochs }``, or more when that many passes over a small
    labelled set would make fewer than ``min_steps`` steps of ``batch`` items.

    Ten epochs of 200 items are 40 steps: too few for the sparse tables to leave their start
    (the first rounds then scored far below a logistic regression on the same items). The rule
    changes nothing from about 1,300 items on (at batch 64, the default 200 steps).
    """
    needed = -(-int(min_steps) * max(int(batch), 1) // max(int(n_items), 1))
    return max(int(epochs), needed)


def deep_batches(n_batches: int, targets: torch.Tensor) -> int:
    """Batches per epoch of the deep path on top of a solved wide path: the epoch's batches
    times the share of the rows' cells that are known, at least one.

    An epoch then carries about as many answers whatever the query unit. Random single cells
    spread over most of the pool (26,200 cells of the whole catalogue fall on about 16,000
    packages, 1.6 known cells each): three full epochs over them were 750 steps of a network
    that had seen 200 packages' worth of answers, and its correction cost the solved linear
    model a seventh of its macro-AP (0.145 against 0.168 after the first cell round). Whole
    items (every cell known) keep every batch.
    """
    if targets.numel() == 0:
        return n_batches
    share = float((targets >= 0).sum()) / float(targets.numel())
    return max(1, min(n_batches, math.ceil(n_batches * share)))


def _devices(text: str) -> Any:
    """Lightning's ``devices``: an int for "2", a list for "0,1", else the text ("auto")."""
    value = str(text).strip()
    if value.isdigit():
        return int(value)
    if "," in value and all(p.strip().isdigit() for p in value.split(",") if p.strip()):
        return [int(p) for p in value.split(",") if p.strip()]
    return value


def _processes(devices: Any) -> int:
    """How many processes Lightning's ``devices`` asks for (``auto``: one here, as on a CPU)."""
    if isinstance(devices, int):
        return devices
    return len(devices) if isinstance(devices, list) else 1


@contextlib.contextmanager
def _frozen(module: torch.nn.Module | None) -> Iterator[None]:
    """``module``'s parameters out of training (no gradient, no optimiser) for the block."""
    if module is None:
        yield
        return
    saved = [(p, p.requires_grad) for p in module.parameters()]
    for p, _ in saved:
        p.requires_grad_(False)
    try:
        yield
    finally:
        for p, flag in saved:
            p.requires_grad_(flag)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Silence Lightning's start-up chatter (GPU/TPU lines, worker hints) around one fit."""
    saved = [(name, logging.getLogger(name).level) for name in _NOISY_LOGGERS]
    for name, _ in saved:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        with warnings.catch_warnings():
            for pattern in _NOISY_WARNINGS:
                warnings.filterwarnings("ignore", message=pattern)
            yield
    finally:
        for name, level in saved:
            logging.getLogger(name).setLevel(level)
