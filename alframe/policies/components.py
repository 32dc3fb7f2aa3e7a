"""Registers the built-in query policies.

Declarations (names, arguments, defaults, ranges) are the contract a spec is checked against;
the arguments are the dataclasses of :mod:`alframe.policies.args`, which the implementations
subclass. Factories import their implementation lazily.
"""

from __future__ import annotations

from alframe.policies import args as A
from alframe.registry import Registry, lazy


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
        params=A.UncertaintyArgs,
        help="Cells closest to their decision threshold, on the members' mean probability.",
        reference="Lewis & Gale, A sequential algorithm for training text classifiers, SIGIR 1994",
    )
    registry.register(
        "policy",
        "disagreement",
        lazy("alframe.policies.committee", "DisagreementPolicy"),
        params=A.DisagreementArgs,
        help="Query by committee: where ensemble members disagree most.",
        reference="Seung, Opper & Sompolinsky, Query by committee, COLT 1992; McCallum & Nigam 1998",
    )
    registry.register(
        "policy",
        "bald",
        lazy("alframe.policies.committee", "BaldPolicy"),
        params=A.BaldArgs,
        help="Mutual information between prediction and model (members or MC dropout).",
        reference="Houlsby et al., Bayesian Active Learning for Classification and Preference Learning, 2011; "
        "Gal, Islam & Ghahramani, Deep Bayesian Active Learning with Image Data, ICML 2017",
    )
    registry.register(
        "policy",
        "adaptive",
        lazy("alframe.policies.adaptive", "AdaptivePolicy"),
        params=A.AdaptiveArgs,
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
        params=A.IWALArgs,
        help="Importance-weighted active learning: query with probability p, weight answers 1/p.",
        reference="Beygelzimer, Hsu, Langford & Zhang, Agnostic Active Learning Without Constraints, NIPS 2010",
    )
