"""Registers the built-in query policies.

Declarations (names, arguments, defaults, ranges) are the contract a spec is checked against;
factories import their implementation lazily.
"""

from __future__ import annotations

from alframe.registry import Param, Registry, lazy

AGGREGATES = ("mean", "max", "sum")


def _diversity_params() -> list[Param]:
    """The batch-diversity step every ranking policy takes (:mod:`alframe.policies.diversity`)."""
    return [
        Param("diversity", "name", "none", choices=("none", "badge", "cluster"),
              help="spread the batch over the model's features: BADGE k-means++ or k-means clusters"),
        Param("candidates", "float", 10.0, 1.0, 1000.0,
              help="the diversity step sees the best candidates × batch by the policy's score"),
        Param("balance", "name", "auto", choices=("auto", "none", "labels"),
              help="labels: rank cells within each label first (round-robin over labels; rare labels kept); "
                   "auto: labels when the run asks cells, none when it asks items"),
    ]


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
            *_diversity_params(),
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
            *_diversity_params(),
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
            *_diversity_params(),
        ],
        help="Mutual information between prediction and model (members or MC dropout).",
        reference="Houlsby et al., Bayesian Active Learning for Classification and Preference Learning, 2011; "
        "Gal, Islam & Ghahramani, Deep Bayesian Active Learning with Image Data, ICML 2017",
    )
    registry.register(
        "policy",
        "adaptive",
        lazy("alframe.policies.adaptive", "AdaptivePolicy"),
        params=[
            Param("arms", "policies", ("random", "uncertainty"),
                  help="the policies to choose among, each with its own arguments; keep random among them"),
            Param("explore", "float", 0.1, 0.01, 1.0, help="share of π spread evenly over the arms"),
            Param("rate", "float", 5.0, 0.0, 1000.0, help="learning rate on the summed micro-F1 gains"),
        ],
        help="A bandit that learns which policy works: each round one arm asks the batch, rewarded by "
        "the importance-weighted micro-F1 gain it bought.",
        reference="Hsu & Lin, Active Learning by Learning, AAAI 2015; Auer et al., The Nonstochastic "
        "Multiarmed Bandit Problem, SIAM J. Comput. 2002",
    )
    registry.register(
        "policy",
        "diverse",
        lazy("alframe.policies.diversity", "DiversePolicy"),
        help="Representative items: k-means over the features, the item nearest each centre (typicality).",
        reference="Zhdanov, Diverse mini-batch Active Learning, 2019; Arthur & Vassilvitskii, "
        "k-means++, SODA 2007",
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
            Param("balance", "name", "none", choices=("auto", "none", "labels"),
                  help="labels (cells, with fit_batch): each label's p fitted to an equal share of the batch; "
                       "auto: labels when the run asks cells, none when it asks items"),
        ],
        help="Importance-weighted active learning: query with probability p, weight answers 1/p.",
        reference="Beygelzimer, Hsu, Langford & Zhang, Agnostic Active Learning Without Constraints, NIPS 2010",
    )
