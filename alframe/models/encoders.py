"""Encoders: item features → a vector per item (shared) or per item and member.

An encoder component is a small frozen description built from the spec's arguments. It has two
steps, so the expensive one runs once per run:

- ``featurize(dataset) -> FeatureSource``: turn every item into model inputs (hash the texts,
  standardise the numbers);
- ``build(features, n_members) -> nn.Module`` with ``out_dim``: a module whose ``forward(batch)``
  returns ``[B, D]`` when all members share it, or ``[B, K, D]`` when each member has its own.

A plugin encoder follows the same two steps. Any ``nn.Embedding``/``nn.EmbeddingBag`` built with
``sparse=True`` is trained with ``SparseAdam`` (at the train lr times the module's
``sparse_lr_scale``); every other parameter with the dense optimiser.

:class:`WideModule` is the hashed bag's second path: a linear model straight from the bag to
every label (what a logistic regression on TF-IDF n-grams is), added to the deep path's logits.
It does not go through the ``dim``-wide embedding, so a rare but decisive n-gram keeps its own
weight per label; the deep path shares what labels have in common.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from alframe.data.dataset import Dataset
from alframe.errors import DataError
from alframe.models.args import HashedBagArgs, NumericArgs
from alframe.models.ensemble import StackedLinear
from alframe.models.features import Features, standardise
from alframe.models.hashing import hash_bags
from alframe.models.tfidf import mean_weights, tfidf_bags

TABLES = ("shared", "per_member")
WEIGHTS = ("tfidf", "mean")


def _pair(value: object, name: str) -> tuple[int, int]:
    """A spec range (``1..2``), given as a tuple or list of two ints."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        lo, hi = int(value[0]), int(value[1])
        if 0 <= lo <= hi:
            return lo, hi
    raise ValueError(f"{name} must be a range a..b with 0 <= a <= b, got {value!r}")


def _numeric(dataset: Dataset) -> torch.Tensor | None:
    if dataset.numeric is None or dataset.numeric.size == 0:
        return None
    return standardise(dataset.numeric, dataset.pool_idx, dataset.numeric_names, dataset.path)


@dataclass(frozen=True)
class HashedBagEncoder(HashedBagArgs):
    """Hashed word and character n-grams, weighted, through a sparse ``EmbeddingBag``.

    ``weights="tfidf"``: each item's distinct n-grams weighted by sublinear TF-IDF (document
    frequencies from the pool), ``"mean"``: a plain mean. ``table="shared"``: one table for all
    members (members differ above it); ``"per_member"``: K tables stacked as K blocks of rows of
    one bag, each member looking up its own block (K times the memory and optimiser state).
    ``wide``: hash buckets of the linear path from the bag to the labels (0: none); it is
    built beside the network by the committee, which knows the labels. ``wide_c``: that
    path's inverse L2 penalty when it is solved to its optimum each round (0: trained by
    gradient steps with the deep path instead).
    """

    def featurize(self, dataset: Dataset) -> Features:
        words = _pair(self.ngrams, "ngrams")
        chars = _pair(self.char_ngrams, "char_ngrams")
        if self.weights not in WEIGHTS:
            raise ValueError(f"weights {self.weights!r}: one of {WEIGHTS}")
        values, offsets = hash_bags(dataset.texts, self.buckets, words, chars)
        if self.weights == "tfidf":
            values, offsets, weights = tfidf_bags(values, offsets, dataset.pool_idx, self.buckets)
        else:
            weights = mean_weights(offsets)
        numeric = _numeric(dataset) if self.numeric else None
        if values.size == 0 and numeric is None:
            raise DataError(
                "encoder hashed_bag found no text to hash and no numeric field to use",
                path=dataset.path,
                hint="name a text field in the data block, or use encoder numeric_mlp",
                code="D212",
            )
        return Features(
            n_items=dataset.n_items,
            bag_values=torch.from_numpy(values),
            bag_offsets=torch.from_numpy(offsets),
            numeric=numeric,
            bag_weights=torch.from_numpy(weights),
        )

    def build(self, features: Features, n_members: int) -> HashedBagModule:
        if self.table not in TABLES:
            raise ValueError(f"table {self.table!r}: one of {TABLES}")
        d_num = 0 if features.numeric is None else int(features.numeric.shape[1])
        per_member = self.table == "per_member" and n_members > 1
        return HashedBagModule(self.dim, self.buckets, d_num, n_members, per_member, self.lr_scale)


class HashedBagModule(nn.Module):
    """Weighted sum of the n-gram embeddings, with the standardised numeric fields appended.

    Output ``[B, dim + d]`` (shared table) or ``[B, K, dim + d]`` (per-member tables).
    """

    def __init__(
        self, dim: int, buckets: int, d_numeric: int, n_members: int, per_member: bool, lr_scale: float
    ) -> None:
        super().__init__()
        self.dim, self.buckets, self.n_members, self.per_member = dim, buckets, n_members, per_member
        self.d_numeric = d_numeric
        self.out_dim = dim + d_numeric
        self.sparse_lr_scale = lr_scale
        rows = buckets * (n_members if per_member else 1)
        # an explicit weight skips nn.EmbeddingBag's own init, which draws from the global RNG
        self.bag = nn.EmbeddingBag(rows, dim, mode="sum", sparse=True, _weight=torch.empty(rows, dim))
        self.reset_members(torch.Generator().manual_seed(0))

    def reset_members(self, gen: torch.Generator) -> None:
        """N(0, 1/dim) entries: a bag whose weights have unit norm then has a small, even scale."""
        with torch.no_grad():
            self.bag.weight.normal_(0.0, 1.0 / math.sqrt(self.dim), generator=gen)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        values, starts = batch["bag_values"], batch["bag_offsets"]
        weights = bag_weights(batch)
        if not self.per_member:
            z = self.bag(values, starts, per_sample_weights=weights)  # [B, dim]
            num = batch.get("numeric")
            return z if num is None or self.d_numeric == 0 else torch.cat([z, num.to(z.dtype)], 1)
        k, b, nnz = self.n_members, starts.shape[0], values.shape[0]
        shift = torch.arange(k, device=values.device) * self.buckets  # [K]
        all_values = (values.unsqueeze(0) + shift.unsqueeze(1)).reshape(-1)  # [K*nnz]
        all_starts = (starts.unsqueeze(0) + (torch.arange(k, device=values.device) * nnz).unsqueeze(1)).reshape(-1)
        all_weights = weights.repeat(k)  # [K*nnz]
        z = self.bag(all_values, all_starts, per_sample_weights=all_weights).view(k, b, self.dim).transpose(0, 1)
        num = batch.get("numeric")
        if num is None or self.d_numeric == 0:
            return z
        return torch.cat([z, num.to(z.dtype).unsqueeze(1).expand(b, k, self.d_numeric)], 2)


def bag_weights(batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """The batch's per-entry bag weights; 1/len (the plain mean) when features carry none."""
    weights = batch.get("bag_weights")
    if weights is not None:
        return weights
    values, starts = batch["bag_values"], batch["bag_offsets"]
    ends = torch.cat([starts[1:], starts.new_tensor([values.shape[0]])])
    lens = ends - starts
    return torch.repeat_interleave(1.0 / lens.clamp(min=1).float(), lens, output_size=values.shape[0])


class WideModule(nn.Module):
    """A linear model from the hashed bag to every label of every member: ``[B, K, L]`` logits.

    One sparse ``EmbeddingBag`` of K blocks of ``buckets`` rows (member k's weights are block
    k, as in a per-member embedding table) by L columns; bucket ids fold modulo ``buckets``;
    a bias ``[K, L]``. Zero at the start of every fresh round. With ``c > 0`` the committee
    solves it to its penalised optimum (one solve, shared by the members) before the deep path trains
    (:mod:`alframe.models.wide_fit`) and keeps it fixed while the deep path learns what the
    linear model leaves; with ``c == 0`` it is trained beside the deep path by gradient steps
    (RowAdam at ``lr_scale``), and its bias stays zero (the heads have one).
    """

    def __init__(self, buckets: int, n_members: int, n_labels: int, lr_scale: float, c: float = 0.0) -> None:
        super().__init__()
        self.buckets, self.n_members, self.n_labels = buckets, n_members, n_labels
        self.sparse_lr_scale = lr_scale
        self.c = float(c)
        rows = buckets * n_members
        self.bag = nn.EmbeddingBag(rows, n_labels, mode="sum", sparse=True, _weight=torch.zeros(rows, n_labels))
        self.bias = nn.Parameter(torch.zeros(n_members, n_labels), requires_grad=False)

    @property
    def solved(self) -> bool:
        """Whether the committee solves this path (rather than training it by steps)."""
        return self.c > 0

    def reset_members(self, gen: torch.Generator) -> None:
        with torch.no_grad():
            self.bag.weight.zero_()
            self.bias.zero_()

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        values, starts = torch.remainder(batch["bag_values"], self.buckets), batch["bag_offsets"]
        weights = bag_weights(batch)
        k, b, nnz = self.n_members, starts.shape[0], values.shape[0]
        if k == 1:
            return self.bag(values, starts, per_sample_weights=weights).unsqueeze(1) + self.bias  # [B, 1, L]
        member = torch.arange(k, device=values.device)
        all_values = (values.unsqueeze(0) + (member * self.buckets).unsqueeze(1)).reshape(-1)  # [K*nnz]
        all_starts = (starts.unsqueeze(0) + (member * nnz).unsqueeze(1)).reshape(-1)  # [K*B]
        out = self.bag(all_values, all_starts, per_sample_weights=weights.repeat(k))  # [K*B, L]
        return out.view(k, b, self.n_labels).transpose(0, 1) + self.bias

    def solve(self, rows: Any, warm: bool) -> dict[str, float]:
        """Set the weights to the penalised optimum on ``rows`` (a
        :class:`~alframe.models.datamodule.LabelledRows`), one solve over every row as given,
        the same for every member. ``warm``: start from the current weights (the last round's
        optimum).

        Why not one solve per member over its resampled rows (the bootstrap the deep path
        trains on): on the whole catalogue at 1,200 labelled packages, five bootstrap solves of
        this convex path cost 5× one solve (12.3 s of a 16.9 s round with a committee of 5)
        and their mean *lost* test macro-AP against the one solve over all rows (0.326 against
        0.340: each member sees 63 % of the items), while the members' disagreement it added
        was small (a mean standard deviation of 0.003 between members' probabilities over the
        pool). Shared, the members differ where a committee's diversity means something — the
        deep path's initialisation and resampling — and a committee of 5 on ``disagreement``
        rose faster (macro-AP 0.399 against 0.375 at 1,800 labelled packages; docs/results.md).
        """
        from alframe.models.wide_fit import MAX_ITER, MAX_ITER_WARM, WideProblem, solve

        batch = rows.features.batch(rows.items)
        problem = WideProblem.build(
            batch["bag_values"], batch["bag_offsets"], bag_weights(batch), self.buckets, rows.targets, rows.weights
        )
        with torch.no_grad():
            weight = self.bag.weight  # solved on the CPU, wherever the weights live
            used = problem.columns.to(weight.device)
            start = (weight[used].float().cpu(), self.bias[0].float().cpu()) if warm else None
            w, b, calls = solve(problem, self.c, start, MAX_ITER_WARM if warm else MAX_ITER)
            w, b = w.to(weight.device, weight.dtype), b.to(self.bias.device, self.bias.dtype)
            weight.zero_()  # a bucket no training row uses has its optimum at zero (held-out rows change)
            for k in range(self.n_members):
                weight[used + k * self.buckets] = w
                self.bias[k] = b
        return {"wide_evaluations": float(calls), "wide_buckets": float(problem.columns.shape[0])}


@dataclass(frozen=True)
class NumericEncoder(NumericArgs):
    """Standardised numeric/vector fields through a per-member linear projection and ReLU."""

    def featurize(self, dataset: Dataset) -> Features:
        numeric = _numeric(dataset)
        if numeric is None:
            raise DataError(
                "encoder numeric_mlp needs numeric fields, and the data names none",
                path=dataset.path,
                hint="name numeric fields in the data block, or use encoder hashed_bag",
                code="D213",
            )
        return Features(n_items=dataset.n_items, numeric=numeric)

    def build(self, features: Features, n_members: int) -> NumericModule:
        if features.numeric is None:
            raise ValueError("numeric_mlp: features carry no numeric block")
        return NumericModule(int(features.numeric.shape[1]), self.hidden, n_members)


class NumericModule(nn.Module):
    """``[B, d] → [B, K, hidden]``: one stacked linear layer for all members."""

    def __init__(self, d_in: int, hidden: int, n_members: int) -> None:
        super().__init__()
        self.out_dim = hidden
        self.proj = StackedLinear(n_members, d_in, hidden)

    def reset_members(self, gen: torch.Generator) -> None:
        self.proj.reset_members(gen)

    def forward(self, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        x = batch["numeric"]  # [B, d]
        return torch.relu(self.proj(x.to(self.proj.weight.dtype)))  # [B, K, hidden]


def sparse_parameters(module: nn.Module) -> list[nn.Parameter]:
    """Weights of sparse embeddings (trained with ``SparseAdam``), in module order."""
    return [p for group in sparse_groups(module) for p in group[1]]


def sparse_groups(module: nn.Module) -> list[tuple[float, list[nn.Parameter]]]:
    """Sparse embedding weights grouped by learning-rate scale: ``[(scale, [weights])]``.

    A table's scale is the ``sparse_lr_scale`` of the nearest module above it that sets one
    (the encoder's, the wide path's), else 1.
    """
    groups: dict[float, list[nn.Parameter]] = {}
    seen: set[int] = set()

    def walk(mod: nn.Module, scale: float) -> None:
        scale = float(getattr(mod, "sparse_lr_scale", scale))
        if (
            isinstance(mod, (nn.Embedding, nn.EmbeddingBag))
            and mod.sparse
            and mod.weight.requires_grad
            and id(mod.weight) not in seen
        ):
            seen.add(id(mod.weight))
            groups.setdefault(scale, []).append(mod.weight)  # type: ignore[arg-type]  # a Parameter
        for child in mod.children():
            walk(child, scale)

    walk(module, 1.0)
    return list(groups.items())


def empty_bag_fraction(features: Features) -> float:
    """Share of items whose bag is empty (a hint when a text field is mostly blank)."""
    if features.bag_offsets is None or features.n_items == 0:
        return 0.0
    lens = np.diff(features.bag_offsets.numpy())
    return float((lens == 0).mean())
