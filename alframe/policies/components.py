"""Registers the built-in query policies.

Declarations (names, arguments, defaults, ranges) are the contract a spec is checked against;
factories import their implementation lazily.
"""

from __future__ import annotations

from alframe.registry import Param, Registry, lazy

AGGREGATES = ("mean", "max", "sum")


def register(registry: Registry) -> None:
    registry.register(
        "policy",
        "random",
        lazy("alframe.policies.random_policy", "RandomPolicy"),
        help="Uniform random items (or cells): the baseline every other policy must beat.",
    )
    registry.register(
        "policy",
        "uncertainty",
        lazy("alframe.policies.uncertainty", "UncertaintyPolicy"),
        params=[
            Param("measure", "name", "least_confidence", choices=("least_confidence", "margin", "entropy")),
            Param("aggregate", "name", "mean", choices=AGGREGATES, help="per-label scores → one per item"),
            Param("rare_bonus", "float", 0.0, 0.0, 10.0, help="favour likely positives of rare labels"),
        ],
        help="Cells closest to their decision threshold, on the members' mean probability.",
        reference="Lewis & Gale, A sequential algorithm for training text classifiers, SIGIR 1994",
    )
    registry.register(
        "policy",
        "disagreement",
        lazy("alframe.policies.committee", "DisagreementPolicy"),
        params=[
            Param("measure", "name", "vote_entropy", choices=("vote_entropy", "kl")),
            Param("aggregate", "name", "mean", choices=AGGREGATES),
            Param("rare_bonus", "float", 0.0, 0.0, 10.0),
        ],
        help="Query by committee: where ensemble members disagree most.",
        reference="Seung, Opper & Sompolinsky, Query by committee, COLT 1992; McCallum & Nigam 1998",
    )
    registry.register(
        "policy",
        "bald",
        lazy("alframe.policies.committee", "BaldPolicy"),
        params=[
            Param("aggregate", "name", "mean", choices=AGGREGATES),
            Param("mc_dropout", "int", 0, 0, 256, help="MC-dropout samples instead of members (0: members)"),
            Param("rare_bonus", "float", 0.0, 0.0, 10.0),
        ],
        help="Mutual information between prediction and model (members or MC dropout).",
        reference="Houlsby et al., Bayesian Active Learning for Classification and Preference Learning, 2011; "
        "Gal, Islam & Ghahramani, Deep Bayesian Active Learning with Image Data, ICML 2017",
    )
    registry.register(
        "policy",
        "iwal",
        lazy("alframe.policies.iwal", "IWALPolicy"),
        params=[
            Param("base", "name", "disagreement", choices=("uncertainty", "margin", "disagreement", "bald")),
            Param("rule", "name", "floor", choices=("floor", "threshold")),
            Param("floor", "float", 0.02, 1e-6, 1.0, help="p_min: smallest p of either rule, before batch fitting"),
            Param("scale", "float", 1.0, 0.0, 1e6, help="s of the floor rule (p = max(p_min, s·signal))"),
            Param("c0", "float", 0.01, 1e-9, 1e3, help="mellowness of the threshold rule"),
            Param("loss_bound", "float", 0.25, 0.0, 1e3, help="L of the threshold rule"),
            Param("combine", "name", "max", choices=("max", "mean"), help="cell p → item p (unit item)"),
            Param("fit_batch", "bool", True, help="scale p so the expected number of queries is the batch"),
            Param(
                "sampling",
                "name",
                "poisson",
                choices=("poisson", "systematic"),
                help="independent coins (count random, mean = batch) or coupled ones (exactly the batch)",
            ),
        ],
        help="Importance-weighted active learning: query with probability p, weight answers 1/p.",
        reference="Beygelzimer, Hsu, Langford & Zhang, Agnostic Active Learning Without Constraints, NIPS 2010",
    )
