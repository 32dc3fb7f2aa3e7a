"""The parsed spec: what the file says, as frozen dataclasses, before any checking.

:mod:`alframe.lang.transform` builds these from the parse tree; :mod:`alframe.compile` checks
them against the registry and turns them into a :class:`alframe.plan.Plan`. Every node keeps the
position it was written at (``pos``), so any later error can point at the exact text; positions
are excluded from equality, so two specs that say the same thing compare equal whatever their
layout. Values stay primitive (numbers, strings, names): nothing is resolved or imported here.

A statement that is absent is ``None`` (or an empty tuple); the compiler fills the default.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from alframe.errors import Pos


@dataclass(frozen=True)
class Node:
    pos: Pos | None = field(default=None, compare=False, repr=False, kw_only=True)


# ---- values -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Number(Node):
    value: int | float
    text: str  # as written (``2^18``, ``1e-3``), for messages


@dataclass(frozen=True)
class Text(Node):
    """A quoted string (or a field name written bare)."""

    value: str


@dataclass(frozen=True)
class Name(Node):
    """A bare identifier: a registry name, a choice (``item``), ``yes``/``no``."""

    value: str


@dataclass(frozen=True)
class CodeRef(Node):
    """Something that looks like code (``os.system``, ``pkg:attr``). Always rejected, except a
    dotted plan path after ``vary`` (``vary train.lr [...]``)."""

    text: str
    style: str  # "dotted" | "colon"


@dataclass(frozen=True)
class Range(Node):
    low: int
    high: int


@dataclass(frozen=True)
class ListValue(Node):
    items: tuple[Value, ...]


@dataclass(frozen=True)
class Arg(Node):
    name: str | None  # None for a positional argument
    value: Value
    name_pos: Pos | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class CallValue(Node):
    """``name`` or ``name(arg, key=value, ...)``: a registered component with arguments."""

    name: Name | CodeRef
    args: tuple[Arg, ...] = ()
    parens: bool = False  # written with parentheses, e.g. ``joint()``


Value = Number | Text | Name | CodeRef | Range | ListValue | CallValue
NameLike = Name | CodeRef


# ---- blocks -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SplitSpec(Node):
    fraction: Number | None = None
    seed: Number | None = None
    file: Text | None = None


@dataclass(frozen=True)
class DataSpec(Node):
    path: Text
    id_field: Text | None = None
    text_fields: tuple[Text, ...] = ()
    numeric_fields: tuple[Text, ...] = ()
    test: SplitSpec | None = None
    limit: Number | None = None
    format: NameLike | None = None


@dataclass(frozen=True)
class NamesFile(Node):
    """``names file "labels.txt"``: the label names, one a line, in a file beside the spec."""

    path: Text


@dataclass(frozen=True)
class LabelsSpec(Node):
    source: str  # "list" | "columns"
    column: Text | None = None
    columns: tuple[Text, ...] = ()
    separator: Text | None = None
    min_positives: Number | None = None
    max_labels: Number | None = None
    include: tuple[Text, ...] = ()
    exclude: tuple[Text, ...] = ()
    names: tuple[Text, ...] | NamesFile = ()


@dataclass(frozen=True)
class ModelSpec(Node):
    encoder: CallValue | None = None
    trunk: CallValue | None = None
    heads: CallValue | None = None
    ensemble: Number | None = None
    diversity: NameLike | None = None
    dropout: Number | None = None


@dataclass(frozen=True)
class TrainSpec(Node):
    epochs: Number | None = None
    min_steps: Number | None = None
    batch: Number | None = None
    lr: Number | None = None
    optimizer: NameLike | None = None
    weight_decay: Number | None = None
    warm_start: NameLike | None = None
    schedule: NameLike | None = None
    early_stop: Number | NameLike | None = None


@dataclass(frozen=True)
class ThresholdSpec(Node):
    mode: NameLike
    value: Number | None = None


@dataclass(frozen=True)
class WeightingSpec(Node):
    importance: NameLike | None = None
    clip: Number | NameLike | None = None
    normalize: NameLike | None = None
    imbalance: CallValue | None = None
    thresholds: ThresholdSpec | None = None


@dataclass(frozen=True)
class SeedSetSpec(Node):
    size: Number
    policy: CallValue | None = None


@dataclass(frozen=True)
class TargetSpec(Node):
    metric: NameLike
    value: Number
    of_ceiling: bool = False
    estimated: bool = False  # on the estimate from the answers (target micro_f1 0.9 estimated)


@dataclass(frozen=True)
class QuerySpec(Node):
    seed: SeedSetSpec | None = None
    batch: Number | None = None
    unit: NameLike | None = None
    policy: CallValue | None = None
    budget: Number | None = None
    rounds: Number | None = None
    targets: tuple[TargetSpec, ...] = ()
    stop: CallValue | None = None  # stop stable(window=3, agreement=0.99)


@dataclass(frozen=True)
class EvaluateSpec(Node):
    metrics: ListValue | NameLike | None = None
    every: Number | None = None


@dataclass(frozen=True)
class TrainerSpec(Node):
    accelerator: NameLike | None = None
    devices: Value | None = None
    strategy: NameLike | Text | None = None
    precision: Number | NameLike | Text | None = None
    loggers: ListValue | NameLike | None = None
    deterministic: NameLike | None = None
    checkpoint_every: Number | None = None


@dataclass(frozen=True)
class CostSpec(Node):
    """``cost { item 1.0  cell 0.1 }``: what reading a newly touched item and answering one
    cell cost, for reports in a person's work rather than in answered cells."""

    item: Number | None = None
    cell: Number | None = None


@dataclass(frozen=True)
class VarySpec(Node):
    key: NameLike
    values: ListValue


@dataclass(frozen=True)
class Spec(Node):
    """One ``.al`` file."""

    run: Text | Name | None = None
    seed: Number | None = None
    data: DataSpec | None = None
    labels: LabelsSpec | None = None
    model: ModelSpec | None = None
    train: TrainSpec | None = None
    weighting: WeightingSpec | None = None
    query: QuerySpec | None = None
    oracle: CallValue | None = None
    evaluate: EvaluateSpec | None = None
    trainer: TrainerSpec | None = None
    ceiling: NameLike | None = None
    vary: tuple[VarySpec, ...] = ()
    repeat: Number | None = None
    cost: CostSpec | None = None
