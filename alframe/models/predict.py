"""Predictions split over the trainer's processes, through Lightning's ``Trainer.predict``.

With ``trainer { devices N }`` (N > 1) a round trains on N processes; scoring a large pool
should use them too, or it runs on one while the others idle. :func:`predict_split` runs one
``Trainer.predict`` on the same devices and strategy as training (``ddp_fork``: the processes
start from this one, features and network in hand), each process predicting its share of the
items in chunks. Lightning hands the main process only rank 0's return value, so every
process writes what it predicted to a file of its own in a temporary folder — the pattern of
Lightning's ``BasePredictionWriter`` — and the main process puts the chunks together by
position. A chunk the distributed sampler repeats to even out the shares is written twice
with the same values.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytorch_lightning as pl
import torch

from alframe.models.features import Features


class _Chunks(torch.utils.data.Dataset):
    """Chunk ``k`` is the positions ``[k·step, (k+1)·step)`` of the items to predict."""

    def __init__(self, n: int, step: int) -> None:
        self.n, self.step = n, step

    def __len__(self) -> int:
        return -(-self.n // self.step)

    def __getitem__(self, k: int) -> torch.Tensor:
        return torch.arange(k * self.step, min((k + 1) * self.step, self.n))


class _Predictor(pl.LightningModule):
    """Runs the network over chunks of items (``T`` passes with dropout on for MC samples) and
    writes each process's chunks to ``folder/rank-<r>.pt`` when its share is done."""

    def __init__(self, net: torch.nn.Module, features: Features, idx: torch.Tensor, mc_samples: int,
                 seed: int, folder: str) -> None:
        super().__init__()
        self.net, self.features, self.idx = net, features, idx
        self.mc, self.seed, self.folder = int(mc_samples), int(seed), folder
        self.parts: list[tuple[torch.Tensor, torch.Tensor]] = []

    def on_predict_start(self) -> None:
        torch.manual_seed(self.seed + self.global_rank)  # the MC masks: one stream per process
        self.net.train(self.mc > 0)

    def predict_step(self, positions: torch.Tensor, batch_idx: int) -> None:
        chunk = self.features.batch(self.idx[positions.cpu()])
        batch = {n: v.to(self.device, non_blocking=True) for n, v in chunk.items()}
        passes = [torch.sigmoid(self.net(batch).float()).permute(0, 2, 1) for _ in range(max(self.mc, 1))]
        self.parts.append((positions.cpu(), torch.stack(passes, dim=3).cpu()))  # [B], [B, L, K, T]

    def on_predict_epoch_end(self) -> None:
        positions = torch.cat([p for p, _ in self.parts]) if self.parts else torch.zeros(0, dtype=torch.int64)
        probs = torch.cat([v for _, v in self.parts]) if self.parts else torch.zeros(0)
        torch.save((positions, probs), Path(self.folder) / f"rank-{self.global_rank}.pt")


def predict_split(
    net: torch.nn.Module, features: Features, idx: np.ndarray, mc_samples: int, seed: int,
    shape: tuple[int, int, int], step: int, trainer: dict[str, Any],
) -> torch.Tensor:
    """Members' probabilities ``[n, L, K, T]`` of the items ``idx``, predicted by the
    processes of a ``Trainer(**trainer)`` (devices, accelerator, strategy, precision).

    :param shape: ``(L, K, T)``: labels, members, passes (``T = max(mc_samples, 1)``).
    :param step: items per chunk.
    """
    n_labels, k, t = shape
    out = torch.zeros((len(idx), n_labels, k, t), dtype=torch.float32)
    seen = torch.zeros(len(idx), dtype=torch.bool)
    with tempfile.TemporaryDirectory(prefix="alframe-predict-") as folder:
        module = _Predictor(net, features, torch.from_numpy(np.asarray(idx, dtype=np.int64)), mc_samples, seed, folder)
        runner = pl.Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False,
                            enable_checkpointing=False, **trainer)
        runner.predict(module, dataloaders=torch.utils.data.DataLoader(_Chunks(len(idx), step), batch_size=None),
                       return_predictions=False)
        for part in sorted(Path(folder).glob("rank-*.pt")):
            positions, probs = torch.load(part, weights_only=True)
            if len(positions):
                out[positions], seen[positions] = probs, True
    if not bool(seen.all()):  # a share never came back: not a prediction to use
        raise RuntimeError(f"{int((~seen).sum())} of {len(idx)} items were predicted by no process")
    return out
