"""Registers the built-in encoders, trunks, heads and imbalance methods.

Declarations (names, arguments, defaults, ranges) are the contract a spec is checked against;
factories import their implementation lazily so that ``alframe check`` stays fast.
"""

from __future__ import annotations

from alframe.registry import Param, Registry, lazy


def register(registry: Registry) -> None:
    registry.register(
        "encoder",
        "hashed_bag",
        lazy("alframe.models.encoders", "HashedBagEncoder"),
        params=[
            Param("dim", "int", 64, 1, 4096, help="embedding width"),
            Param("buckets", "int", 262144, 1024, 1 << 24, help="hash buckets of the embedding table"),
            Param("ngrams", "range", (1, 2), 1, 5, help="word n-gram lengths"),
            Param("char_ngrams", "range", (2, 5), 0, 6, help="character n-gram lengths (0..0: none)"),
            Param("numeric", "bool", True, help="also feed the spec's numeric fields, standardised"),
            Param(
                "table",
                "name",
                "shared",
                choices=("shared", "per_member"),
                help="one embedding table for all committee members, or one per member (K x memory)",
            ),
            Param(
                "lr_scale",
                "float",
                30.0,
                0.01,
                1e5,
                help="SparseAdam's lr = train lr x this (both sparse tables): a row of a hashed table sees few updates",
            ),
            Param(
                "weights",
                "name",
                "tfidf",
                choices=("tfidf", "mean"),
                help="weight of each n-gram in the bag: sublinear TF-IDF (pool statistics), or a plain mean",
            ),
            Param(
                "wide",
                "int",
                65536,
                0,
                1 << 22,
                help="hash buckets of the linear path from the bag straight to every label (0: none)",
            ),
            Param(
                "wide_c",
                "float",
                10.0,
                0.0,
                1e6,
                help="the linear path is solved each round as an L2-penalised logistic regression with "
                "this inverse penalty (scikit-learn's C); 0: trained by gradient steps with the deep path",
            ),
        ],
        help="Hashed word/char n-grams, TF-IDF weighted, through a sparse EmbeddingBag, plus a "
        "linear path from the same bag to the labels (sparse optimiser).",
    )
    registry.register(
        "encoder",
        "numeric_mlp",
        lazy("alframe.models.encoders", "NumericEncoder"),
        params=[Param("hidden", "int", 64, 1, 8192, help="width of the projection")],
        help="Standardised numeric/vector fields through a linear projection.",
    )
    registry.register(
        "trunk",
        "mlp",
        lazy("alframe.models.trunks", "MLPTrunk"),
        params=[
            Param("hidden", "int", 256, 1, 16384),
            Param("layers", "int", 1, 0, 8),
            Param("dropout", "float", 0.1, 0.0, 0.9),
        ],
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
        params=[
            Param("hidden", "int", 32, 1, 4096, help="per-label hidden width"),
            Param(
                "dropout",
                "float",
                0.0,
                0.0,
                0.9,
                help="dropout on the per-label hidden layer (K x L x hidden masks per item: not free)",
            ),
        ],
        help="A separate small MLP per label over the encoder output; no parameter is shared "
        "between labels (one batched einsum, not a loop).",
    )
    registry.register(
        "heads",
        "grouped",
        lazy("alframe.models.heads", "GroupedHeads"),
        params=[
            Param("separator", "str", "::", help="labels are grouped by the text before it"),
            Param("hidden", "int", 64, 1, 8192, help="per-group trunk width"),
            Param("dropout", "float", 0.1, 0.0, 0.9, help="dropout on the per-group hidden layer"),
        ],
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
        params=[
            Param("mode", "name", "sqrt", choices=("ratio", "sqrt"), help="negatives/positives, or its root"),
            Param("max", "float", 50.0, 1.0, 1e6, help="clip the weight"),
        ],
        help="Weight positives by negatives/positives per label (safe with zero positives).",
        reference="torch.nn.BCEWithLogitsLoss(pos_weight=...)",
    )
    registry.register(
        "imbalance",
        "focal",
        lazy("alframe.models.losses", "Focal"),
        params=[Param("gamma", "float", 2.0, 0.0, 10.0), Param("alpha", "float", 0.25, 0.0, 1.0)],
        help="Focal loss: down-weights easy cells.",
        reference="Lin et al., Focal Loss for Dense Object Detection, ICCV 2017",
    )
    registry.register(
        "imbalance",
        "logit_adjust",
        lazy("alframe.models.losses", "LogitAdjust"),
        params=[Param("tau", "float", 1.0, 0.0, 10.0)],
        help="Logit adjustment by the label's prior (log-odds of the positive rate).",
        reference="Menon et al., Long-tail learning via logit adjustment, ICLR 2021",
    )
