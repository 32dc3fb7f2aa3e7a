"""Registers the built-in encoders, trunks, heads and imbalance methods.

Declarations (names, arguments, defaults, ranges) are the contract a spec is checked against;
each component's arguments are the fields of its dataclass in :mod:`alframe.models.args`, which
its implementation subclasses. Factories import their implementation lazily so that
``alframe check`` stays fast.
"""

from __future__ import annotations

from alframe.models import args as A
from alframe.registry import Registry, lazy


def register(registry: Registry) -> None:
    registry.register(
        "encoder",
        "hashed_bag",
        lazy("alframe.models.encoders", "HashedBagEncoder"),
        params=A.HashedBagArgs,
        help="Hashed word/char n-grams, TF-IDF weighted, through a sparse EmbeddingBag, plus a "
        "linear path from the same bag to the labels (sparse optimiser).",
    )
    registry.register(
        "encoder",
        "numeric_mlp",
        lazy("alframe.models.encoders", "NumericEncoder"),
        params=A.NumericArgs,
        help="Standardised numeric/vector fields through a linear projection.",
    )
    registry.register(
        "trunk",
        "mlp",
        lazy("alframe.models.trunks", "MLPTrunk"),
        params=A.MLPArgs,
        help="A shared multi-layer perceptron between encoder and heads.",
    )
    registry.register(
        "trunk",
        "identity",
        lazy("alframe.models.trunks", "IdentityTrunk"),
        help="No trunk: heads read the encoder's output directly.",
    )
    registry.register(
        "heads",
        "joint",
        lazy("alframe.models.heads", "JointHeads"),
        help="One linear layer for all labels over the shared trunk (one matmul).",
    )
    registry.register(
        "heads",
        "independent",
        lazy("alframe.models.heads", "IndependentHeads"),
        params=A.IndependentHeadsArgs,
        help="A separate small MLP per label over the encoder output; no parameter is shared "
        "between labels (one batched einsum, not a loop).",
    )
    registry.register(
        "heads",
        "grouped",
        lazy("alframe.models.heads", "GroupedHeads"),
        params=A.GroupedHeadsArgs,
        help="A trunk per group of labels (groups by name prefix, e.g. 'facet::').",
    )
    registry.register(
        "imbalance",
        "none",
        lazy("alframe.models.losses", "NoCorrection"),
        help="Plain (masked, weighted) binary cross-entropy.",
    )
    registry.register(
        "imbalance",
        "pos_weight",
        lazy("alframe.models.losses", "PosWeight"),
        params=A.PosWeightArgs,
        help="Weight positives by negatives/positives per label (safe with zero positives).",
        reference="torch.nn.BCEWithLogitsLoss(pos_weight=...)",
    )
    registry.register(
        "imbalance",
        "focal",
        lazy("alframe.models.losses", "Focal"),
        params=A.FocalArgs,
        help="Focal loss: down-weights easy cells.",
        reference="Lin et al., Focal Loss for Dense Object Detection, ICCV 2017",
    )
    registry.register(
        "imbalance",
        "logit_adjust",
        lazy("alframe.models.losses", "LogitAdjust"),
        params=A.LogitAdjustArgs,
        help="Logit adjustment by the label's prior (log-odds of the positive rate).",
        reference="Menon et al., Long-tail learning via logit adjustment, ICLR 2021",
    )
