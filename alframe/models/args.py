"""The arguments of the built-in encoders, trunks, heads and imbalance methods, declared once.

Each dataclass here is both the registry's declaration (:func:`alframe.registry.params_of`: the
spec's arguments are checked against it) and the base of the implementation, which subclasses
it (``HashedBagEncoder(HashedBagArgs)``) and so takes exactly these fields. This module imports
no torch, so ``alframe check`` reads the declarations without loading the implementations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from alframe.registry import arg


@dataclass(frozen=True)
class HashedBagArgs:
    dim: int = field(default=64, metadata=arg(1, 4096, help="embedding width"))
    buckets: int = field(default=262144, metadata=arg(1024, 1 << 24, help="hash buckets of the embedding table"))
    ngrams: tuple[int, int] = field(default=(1, 2), metadata=arg(1, 5, help="word n-gram lengths"))
    char_ngrams: tuple[int, int] = field(default=(2, 5), metadata=arg(
        0, 6, help="character n-gram lengths (0..0: none)"))
    numeric: bool = field(default=True, metadata=arg(help="also feed the spec's numeric fields, standardised"))
    table: str = field(default="shared", metadata=arg(
        choices=("shared", "per_member"),
        help="one embedding table for all committee members, or one per member (K x memory)"))
    lr_scale: float = field(default=30.0, metadata=arg(
        0.01, 1e5, help="SparseAdam's lr = train lr x this (both sparse tables): a row of a hashed table sees few updates"))
    weights: str = field(default="tfidf", metadata=arg(
        choices=("tfidf", "mean"),
        help="weight of each n-gram in the bag: sublinear TF-IDF (pool statistics), or a plain mean"))
    wide: int = field(default=65536, metadata=arg(
        0, 1 << 22, help="hash buckets of the linear path from the bag straight to every label (0: none)"))
    wide_c: float = field(default=10.0, metadata=arg(
        0.0, 1e6,
        help="the linear path is solved each round as an L2-penalised logistic regression with "
        "this inverse penalty (scikit-learn's C); 0: trained by gradient steps with the deep path"))


@dataclass(frozen=True)
class NumericArgs:
    hidden: int = field(default=64, metadata=arg(1, 8192, help="width of the projection"))


@dataclass(frozen=True)
class MLPArgs:
    hidden: int = field(default=256, metadata=arg(1, 16384))
    layers: int = field(default=1, metadata=arg(0, 8))
    dropout: float = field(default=0.1, metadata=arg(0.0, 0.9))


@dataclass(frozen=True)
class IndependentHeadsArgs:
    hidden: int = field(default=32, metadata=arg(1, 4096, help="per-label hidden width"))
    dropout: float = field(default=0.0, metadata=arg(
        0.0, 0.9, help="dropout on the per-label hidden layer (K x L x hidden masks per item: not free)"))


@dataclass(frozen=True)
class GroupedHeadsArgs:
    separator: str = field(default="::", metadata=arg(help="labels are grouped by the text before it"))
    hidden: int = field(default=64, metadata=arg(1, 8192, help="per-group trunk width"))
    dropout: float = field(default=0.1, metadata=arg(0.0, 0.9, help="dropout on the per-group hidden layer"))


@dataclass(frozen=True)
class PosWeightArgs:
    mode: str = field(default="sqrt", metadata=arg(choices=("ratio", "sqrt"), help="negatives/positives, or its root"))
    max: float = field(default=50.0, metadata=arg(1.0, 1e6, help="clip the weight"))


@dataclass(frozen=True)
class FocalArgs:
    gamma: float = field(default=2.0, metadata=arg(0.0, 10.0))
    alpha: float = field(default=0.25, metadata=arg(0.0, 1.0))


@dataclass(frozen=True)
class LogitAdjustArgs:
    tau: float = field(default=1.0, metadata=arg(0.0, 10.0))
