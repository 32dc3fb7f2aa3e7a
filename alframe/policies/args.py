"""The arguments of the built-in query policies, declared once.

Each dataclass here is both the registry's declaration (:func:`alframe.registry.params_of`: the
spec's arguments are checked against it) and the base of the implementation, which subclasses
it (``UncertaintyPolicy(UncertaintyArgs, RankingPolicy)``) and so takes exactly these fields;
checks of the values and derived attributes live in the implementation's ``__post_init__``.
``random`` and ``diverse`` take no arguments. This module imports no torch, so ``alframe check``
reads the declarations without loading the implementations.

A built policy is a mutable object (the engine sets its ``info``, a committee its
``warning``), so these dataclasses are not frozen; ``eq=False`` keeps comparison and hashing
by identity, as for any other policy object.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from alframe.registry import arg

#: per-label scores → one per item
AGGREGATES = ("mean", "max", "sum")
#: the batch-diversity steps (:mod:`alframe.policies.diversity`)
DIVERSITY = ("none", "badge", "coreset", "cluster")
#: ``auto`` (the default): ``labels`` when the run asks cells, ``none`` when it asks items
BALANCES = ("auto", "none", "labels")


# -- the batch-diversity step every ranking policy takes (:mod:`alframe.policies.diversity`) ---
# Each declared once here, as a field the ranking policies (and a plugin's RankingPolicy) list
# last among theirs: a shared base dataclass would put them first.


def diversity_arg() -> Any:
    return field(default="none", metadata=arg(
        choices=DIVERSITY,
        help="spread the batch over the model's features: BADGE k-means++, core-set k-centre or k-means clusters"))


def candidates_arg() -> Any:
    return field(default=10.0, metadata=arg(
        1.0, 1000.0, help="the diversity step sees the best candidates × batch by the policy's score"))


def balance_arg() -> Any:
    return field(default="auto", metadata=arg(
        choices=BALANCES,
        help="labels: rank cells within each label first (round-robin over labels; rare labels kept); "
             "auto: labels when the run asks cells, none when it asks items"))


@dataclass(eq=False)
class UncertaintyArgs:
    measure: str = field(default="least_confidence", metadata=arg(
        choices=("least_confidence", "margin", "entropy")))
    aggregate: str = field(default="mean", metadata=arg(choices=AGGREGATES, help="per-label scores → one per item"))
    rare_bonus: float = field(default=0.0, metadata=arg(0.0, 10.0, help="favour likely positives of rare labels"))
    diversity: str = diversity_arg()
    candidates: float = candidates_arg()
    balance: str = balance_arg()


@dataclass(eq=False)
class DisagreementArgs:
    measure: str = field(default="vote_entropy", metadata=arg(choices=("vote_entropy", "kl")))
    aggregate: str = field(default="mean", metadata=arg(choices=AGGREGATES))
    rare_bonus: float = field(default=0.0, metadata=arg(0.0, 10.0))
    diversity: str = diversity_arg()
    candidates: float = candidates_arg()
    balance: str = balance_arg()


@dataclass(eq=False)
class BaldArgs:
    aggregate: str = field(default="mean", metadata=arg(choices=AGGREGATES))
    mc_dropout: int = field(default=0, metadata=arg(0, 256, help="MC-dropout samples instead of members (0: members)"))
    rare_bonus: float = field(default=0.0, metadata=arg(0.0, 10.0))
    diversity: str = diversity_arg()
    candidates: float = candidates_arg()
    balance: str = balance_arg()


@dataclass(eq=False)
class AdaptiveArgs:
    #: in a spec (and as the default) the policies by name, each with its own arguments; the
    #: registry builds each and hands the implementation ``(label, built policy)`` pairs
    arms: Sequence[Any] = field(default=("random", "uncertainty"), metadata=arg(
        type="policies",
        help="the policies to choose among, each with its own arguments; keep random among them"))
    explore: float = field(default=0.1, metadata=arg(0.01, 1.0, help="share of π spread evenly over the arms"))
    rate: float = field(default=5.0, metadata=arg(0.0, 1000.0, help="learning rate on the summed micro-F1 gains"))


@dataclass(eq=False)
class IWALArgs:
    base: str = field(default="uncertainty", metadata=arg(choices=("uncertainty", "margin", "disagreement", "bald")))
    rule: str = field(default="floor", metadata=arg(choices=("floor", "threshold")))
    floor: float = field(default=0.02, metadata=arg(
        1e-6, 1.0, help="p_min: smallest p of either rule, before batch fitting"))
    scale: float = field(default=1.0, metadata=arg(0.0, 1e6, help="s of the floor rule (p = max(p_min, s·signal))"))
    c0: float = field(default=0.01, metadata=arg(1e-9, 1e3, help="mellowness of the threshold rule"))
    loss_bound: float = field(default=0.25, metadata=arg(0.0, 1e3, help="L of the threshold rule"))
    combine: str = field(default="max", metadata=arg(choices=("max", "mean"), help="cell p → item p (unit item)"))
    fit_batch: bool = field(default=True, metadata=arg(
        help="scale p so the expected number of queries is the batch"))
    sampling: str = field(default="poisson", metadata=arg(
        choices=("poisson", "systematic"),
        help="independent coins (count random, mean = batch) or coupled ones (exactly the batch)"))
    balance: str = field(default="auto", metadata=arg(
        choices=BALANCES,
        help="labels (cells, with fit_batch): each label's p fitted to an equal share of the batch; "
             "auto: labels when the run asks cells, none when it asks items"))
    top: float | str = field(default="auto", metadata=arg(
        0.0, 1.0, choices=("auto",), type="float",
        help="share of the batch (of each label's share, balanced) asked for sure (p = 1) among the "
             "candidates with the largest p, the rest drawn by coins over the others; auto: 0.9 when "
             "the run asks cells, 0 when it asks items"))
