"""The compiled plan: what the engine executes.

``compile.py`` turns a parsed :mod:`alframe.spec` into a :class:`Plan`: every name resolved
against the registry, every default filled, every value checked. The plan holds only primitive
values (strings, numbers, tuples, registry names with their arguments), so it serialises to JSON
for the run store and for ``alframe explain``; classes are looked up from the registry only when
the engine builds things.

``Plan.origins`` maps a dotted field path (``"query.batch"``) to the spec position it came from;
a path missing there came from a default. Errors found later (when data is loaded) use it to
point at the spec line responsible.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from alframe.errors import Pos
from alframe.registry import arg
from alframe.settings import (
    Bool,
    Chars,
    Choice,
    Component,
    Custom,
    Int,
    Names,
    OrNo,
    Real,
    Setting,
    Strings,
    setting,
    setting_of,
)

# ---- the values a setting may take ------------------------------------------------------

MAX_SEED = 2**32 - 1
#: the largest price of an item or a cell: any currency, far below float overflow for any run
MAX_COST = 1e9
OPTIMIZERS = ("adam", "adamw", "sgd")
SCHEDULES = ("cosine", "constant")
DIVERSITY = ("init", "bootstrap", "poisson")
UNITS = ("item", "cell")
THRESHOLDS = ("fixed", "tuned", "expected", "progressive")
FORMATS = ("csv", "jsonl", "parquet")
ACCELERATORS = ("auto", "cpu", "gpu", "cuda", "mps", "tpu", "hpu")
STRATEGIES = (
    "auto", "single_device", "ddp", "ddp_spawn", "ddp_fork", "ddp_notebook",
    "ddp_find_unused_parameters_true", "ddp_find_unused_parameters_false",
    "ddp_spawn_find_unused_parameters_true", "ddp_fork_find_unused_parameters_true",
    "fsdp", "fsdp_cpu_offload", "deepspeed", "deepspeed_stage_1", "deepspeed_stage_2",
    "deepspeed_stage_2_offload", "deepspeed_stage_3", "deepspeed_stage_3_offload",
    "deepspeed_stage_3_offload_nvme", "xla", "xla_fsdp", "single_xla",
)  # fmt: skip
PRECISIONS = (
    "64-true", "32-true", "16-true", "bf16-true", "16-mixed", "bf16-mixed",
    "transformer-engine", "transformer-engine-float16",
)  # fmt: skip
LOGGERS = ("csv", "tensorboard", "wandb", "mlflow", "comet", "neptune")


@dataclass(frozen=True)
class Call:
    """A registered component by name, with its checked arguments (defaults filled)."""

    name: str
    args: tuple[tuple[str, Any], ...] = ()

    @property
    def kwargs(self) -> dict[str, Any]:
        return dict(self.args)

    def __str__(self) -> str:
        if not self.args:
            return self.name
        inner = ", ".join(f"{k}={_fmt(v)}" for k, v in self.args)
        return f"{self.name}({inner})"


def _fmt(v: Any) -> str:
    if isinstance(v, tuple) and len(v) == 2 and all(isinstance(x, int) for x in v):
        return f"{v[0]}..{v[1]}"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, str):
        return v
    if isinstance(v, tuple) and v and all(isinstance(x, Call) for x in v):  # a "policies" argument
        return "[" + ", ".join(str(x) for x in v) + "]"
    return repr(v)


# ---- the sections: each field a spec sets declares its setting (alframe.settings) --------
#
# A field's default is its dataclass default; ``default=`` in the setting is for the fields the
# plan requires (a default only a spec gets), and a field with neither has its default computed
# by its section's builder (alframe.lang.build). ``rule=None`` marks a statement with its own
# parse-tree handler and its own building code (composite statements, block heads).


@dataclass(frozen=True)
class DataPlan:
    #: resolved absolute path, inside the spec's folder
    path: str = field(metadata=setting(
        'data "FILE" { ... }', "the data file, inside the spec's folder", Custom("none"), rule=None))
    #: "csv" | "jsonl" | "parquet" (from the extension, ".gz" allowed for csv/jsonl)
    format: str = field(metadata=setting(
        "format csv|jsonl|parquet", "file format (default: from the extension)", Choice(FORMATS)))
    id_field: str = field(metadata=setting(
        "id FIELD", "the field holding each item's unique id", Custom("field"), rule=None))
    text_fields: tuple[str, ...] = field(default=(), metadata=setting(
        "text FIELD, ...", "text fields, joined with ' | ' for the encoder", Strings(), rule=None))
    numeric_fields: tuple[str, ...] = field(default=(), metadata=setting(
        "numeric FIELD, ...", "numeric fields, standardised", Strings(), rule=None))
    test_fraction: float = field(default=0.2, metadata=setting(
        "test fraction F seed N", "share of items held out for evaluation (0: no test split)",
        Real(0.0, 1.0, open_high=True, what="test fraction"), vary="test_fraction", rule=None))
    test_seed: int = field(default=0, metadata=setting(
        "test fraction F seed N", "seed of the held-out split", Int(0, MAX_SEED, what="test seed"),
        vary="test_seed", rule=None))
    test_path: str | None = field(default=None, metadata=setting(
        'test file "FILE"', "a separate test file instead of a fraction", Custom("none"), rule=None))
    limit: int | None = field(default=None, metadata=setting(
        "limit N", "read only the first N rows (quick slices)", Int(1, 10**9), vary="limit"))


@dataclass(frozen=True)
class LabelPlan:
    source: str  # "list" (one column holding a list / separated string) | "columns" (binary columns)
    #: for source "list"
    column: str | None = field(default=None, metadata=setting(
        'labels from "FIELD"', "the field holding each item's labels", Custom("field"), rule=None))
    #: for a list stored as a string in csv
    separator: str = field(default=",", metadata=setting(
        'separator "S"', "separator of labels stored as one string (csv)", Chars(16)))
    #: for source "columns": names or globs
    columns: tuple[str, ...] = field(default=(), metadata=setting(
        'labels columns ["GLOB", ...]', "binary 0/1 columns, by name or glob", Strings(what="columns"), rule=None))
    min_positives: int = field(default=1, metadata=setting(
        "min_positives N", "drop labels with fewer positives", Int(0, 10**9), vary="min_positives"))
    #: keep the N most frequent after filters
    max_labels: int | None = field(default=None, metadata=setting(
        "max_labels N", "keep the N most frequent labels", Int(1, 10**6), vary="max_labels"))
    include: tuple[str, ...] = field(default=(), metadata=setting(
        'include ["GLOB", ...]', "keep only labels matching a glob", Strings()))
    exclude: tuple[str, ...] = field(default=(), metadata=setting(
        'exclude ["GLOB", ...]', "drop labels matching a glob", Strings()))
    #: an explicit list: exactly these labels (``names file "F"`` is read when the spec is compiled)
    names: tuple[str, ...] = field(default=(), metadata=setting(
        'names ["LABEL", ...]|file "F"', "exactly these labels (a file: one a line)", Strings()))


@dataclass(frozen=True)
class ModelPlan:
    encoder: Call = field(metadata=setting(
        "encoder NAME(ARGS)", "turns an item's fields into a vector", Component("encoder", default="hashed_bag"),
        vary="encoder"))
    trunk: Call = field(metadata=setting(
        "trunk NAME(ARGS)", "shared layers between encoder and heads", Component("trunk", default="mlp"), vary="trunk"))
    #: joint | independent | grouped(...)
    heads: Call = field(metadata=setting(
        "heads NAME(ARGS)", "the output layer: one binary output per label", Component("heads", default="joint"),
        vary="heads"))
    ensemble: int = field(default=1, metadata=setting(
        "ensemble N", "committee members, trained as one batched module", Int(1, 64), vary="ensemble"))
    diversity: str = field(default="bootstrap", metadata=setting(
        "diversity init|bootstrap|poisson", "how committee members differ", Choice(DIVERSITY), vary="diversity"))
    dropout: float = field(default=0.0, metadata=setting(
        "dropout F", "dropout on the encoder output", Real(0.0, 1.0, open_high=True), vary="dropout"))


@dataclass(frozen=True)
class TrainPlan:
    epochs: int = field(default=3, metadata=setting(
        "epochs N", "epochs per round", Int(1, 10_000), vary="epochs"))
    batch_size: int = field(default=64, metadata=setting(
        "batch N", "training mini-batch size", Int(1, 1_000_000), vary="train_batch"))
    lr: float = field(default=1e-3, metadata=setting(
        "lr F", "learning rate", Real(0.0, 10.0, open_low=True), vary="lr"))
    optimizer: str = field(default="adam", metadata=setting(
        "optimizer adam|adamw|sgd", "optimiser of the dense parameters", Choice(OPTIMIZERS), vary="optimizer"))
    weight_decay: float = field(default=0.0, metadata=setting(
        "weight_decay F", "L2 penalty", Real(0.0, 10.0), vary="weight_decay"))
    warm_start: bool = field(default=True, metadata=setting(
        "warm_start yes|no", "continue from last round's weights", Bool(), vary="warm_start"))
    #: a round takes at least this many steps (more epochs for small sets)
    min_steps: int = field(default=0, metadata=setting(
        "min_steps N", "at least N optimiser steps a round: small labelled sets get more epochs",
        Int(0, 1_000_000), vary="min_steps"))
    #: the learning rate over each round's steps
    schedule: str = field(default="cosine", metadata=setting(
        "schedule cosine|constant", "learning rate over each round: warm-up then cosine decay, or constant",
        Choice(SCHEDULES), vary="schedule"))
    #: epochs without improvement on held-out labelled data
    early_stop_patience: int | None = field(default=None, metadata=setting(
        "early_stop N|no", "stop after N epochs without improvement", OrNo(Int(1, 10_000), "a patience in epochs"),
        vary="early_stop"))


@dataclass(frozen=True)
class WeightPlan:
    #: use 1/p importance weights of queried labels in the loss
    importance: bool = field(default=True, metadata=setting(
        "importance yes|no", "weight each answer by 1/p, its query probability", Bool(), vary="importance"))
    clip: float | None = field(default=None, metadata=setting(
        "clip F|no", "clip importance weights at F", OrNo(Real(1.0, 1e6), "a number"), vary="clip"))
    #: rescale weights to mean 1 over the labelled set
    normalize: bool = field(default=False, metadata=setting(
        "normalize yes|no", "rescale weights to mean 1", Bool(), vary="normalize"))
    imbalance: Call = field(default=Call("none"), metadata=setting(
        "imbalance NAME(ARGS)", "class-imbalance correction in the loss", Component("imbalance", default="none"),
        vary="imbalance"))
    thresholds: str = field(default="progressive", metadata=setting(
        "thresholds fixed F|tuned|expected|progressive", "decision thresholds", Choice(THRESHOLDS),
        vary="thresholds", rule=None))
    threshold: float = field(default=0.5, metadata=setting(
        "thresholds fixed F", "the fixed decision threshold",
        Real(0.0, 1.0, open_low=True, open_high=True, what="threshold"), vary="threshold", rule=None))


@dataclass(frozen=True)
class StopRule:
    metric: str  # e.g. "micro_f1"
    target: float
    of_ceiling: bool = False  # target is a fraction of the ceiling's value
    estimated: bool = False  # on the estimate from the answers, not the test split (alframe.stopping)


@dataclass(frozen=True)
class StableRule:
    """``stop stable(window=3, agreement=0.99)``: stop once the mean Cohen's kappa between
    consecutive models' predictions on the stop set over the last ``window`` rounds is at least
    ``agreement`` (Bloodgood & Vijay-Shanker, CoNLL 2009; see :mod:`alframe.stopping`). Its
    fields are the arguments ``stop stable(...)`` takes (:data:`alframe.lang.fields.STOP_RULES`)."""

    window: int = field(default=3, metadata=arg(1, 1000, help="consecutive rounds whose agreement is averaged"))
    agreement: float = field(default=0.99, metadata=arg(
        0.0, 1.0,
        help="the mean Cohen's kappa between consecutive models' predictions that stops the run (more than 0, at most 1)"))


@dataclass(frozen=True)
class QueryPlan:
    seed_size: int = field(metadata=setting(
        "seed N POLICY", "size of the first labelled set (default: the batch)", Int(0, 10**9),
        vary="seed_size", rule=None))
    seed_policy: Call = field(metadata=setting(
        "seed N POLICY", "the policy choosing the seed set", Component("policy", default="random"),
        vary="seed_policy", rule=None))
    batch: int = field(metadata=setting(
        "batch N", "queries per round (items, or cells for unit cell)", Int(1, 10**7), vary="batch", default=100))
    unit: str = field(metadata=setting(  # "item" | "cell"
        "unit item|cell", "ask whole items or single item-label cells", Choice(UNITS), vary="unit", default="item"))
    #: its default depends on the unit (alframe.lang.build.DEFAULT_POLICY)
    policy: Call = field(metadata=setting(
        "policy NAME(ARGS)", "chooses what to ask each round", Component("policy"), vary="policy"))
    #: labels (cells answered), seed set included (0: no query block, a ceiling alone)
    budget: int = field(metadata=setting(
        "budget N", "labels (answered cells) to spend, seed set included; an item costs one per unknown label",
        Int(1, 10**12), vary="budget", default=0))
    #: optional cap on rounds
    rounds: int | None = field(default=None, metadata=setting(
        "rounds N", "stop after N rounds", Int(1, 10**6), vary="rounds"))
    stop: tuple[StopRule, ...] = field(default=(), metadata=setting(
        "target METRIC F [of ceiling|estimated]",
        "stop when a test metric (or, estimated, its estimate from the answers) reaches a target",
        Custom("none"), rule=None))
    #: stop when predictions stabilise
    stable: StableRule | None = field(default=None, metadata=setting(
        "stop stable(window=N, agreement=F)",
        "stop when consecutive models' predictions agree (mean kappa over N rounds ≥ F)", Custom("stop_rule")))


@dataclass(frozen=True)
class EvalPlan:
    metrics: tuple[str, ...] = field(default=("micro_f1", "macro_f1", "macro_ap"), metadata=setting(
        "metrics [NAME, ...]", "test metrics computed each evaluation", Names(kind="metric")))
    #: evaluate every N rounds (and always at the last)
    every: int = field(default=1, metadata=setting(
        "every N", "evaluate every N rounds (and at the last)", Int(1, 10**6), vary="every"))


@dataclass(frozen=True)
class TrainerPlan:
    accelerator: str = field(default="cpu", metadata=setting(
        "accelerator NAME", "Lightning accelerator", Choice(ACCELERATORS)))
    #: Lightning accepts int, list or "auto"; kept as text
    devices: str = field(default="1", metadata=setting(
        "devices N|[I, ...]|auto", "Lightning devices", Custom("devices")))
    strategy: str = field(default="auto", metadata=setting(
        "strategy NAME", "Lightning strategy (e.g. ddp)", Choice(STRATEGIES)))
    precision: str = field(default="32-true", metadata=setting(
        'precision "32-true"', "Lightning precision", Custom("precision")))
    loggers: tuple[str, ...] = field(default=("csv",), metadata=setting(
        "loggers [NAME, ...]|none", "Lightning loggers", Names(choices=LOGGERS)))
    deterministic: bool = field(default=True, metadata=setting(
        "deterministic yes|no", "Lightning deterministic algorithms", Bool()))
    #: write the round's checkpoint every N rounds (and at the last, and before the run waits
    #: for answers): a checkpoint is a cache, so this trades the write (0.1–0.2 s a round on
    #: the whole catalogue) against retraining up to N − 1 rounds on a resume
    checkpoint_every: int = field(default=1, metadata=setting(
        "checkpoint_every N",
        "write the model's checkpoint every N rounds (and at the last, and before waiting for answers); "
        "a resume retrains the rounds after the newest",
        Int(1, 10**6)))


@dataclass(frozen=True)
class CostPlan:
    """What a person's work costs (``cost { item 1.0  cell 0.1 }``), for reports.

    An item costs ``item`` once, the first time any of its cells is answered (reading it), and
    every answered cell costs ``cell``: cost = item × items touched + cell × answered cells. The
    defaults (item 0, cell 1) make the cost the answered cells, the budget's currency. The cost
    is a function of two counts every round already stores, so ``run.db``'s rounds keep no cost
    column (the figures are computed where they are shown) and an old run is priced like a new one.
    """

    item: float = field(default=0.0, metadata=setting(
        "item F",
        "what reading an item costs, once, when its first cell is answered "
        "(cost = item × items touched + cell × answered cells)",
        Real(0.0, MAX_COST, what="cost item"), rule="cost_item"))
    cell: float = field(default=1.0, metadata=setting(
        "cell F", "what answering one cell costs", Real(0.0, MAX_COST, what="cost cell"), rule="cost_cell"))

    def of(self, labels: int, items: int) -> float:
        """The cost of ``labels`` answered cells spread over ``items`` items."""
        return self.item * items + self.cell * labels

    @property
    def is_default(self) -> bool:
        return self == CostPlan()

    @classmethod
    def from_plan_dict(cls, plan: dict[str, Any]) -> CostPlan:
        """The cost model of a stored plan (``run.db``'s ``plan``); a run made before the cost
        model has none, and is priced by the default, its answered cells."""
        given = plan.get("cost") if isinstance(plan, dict) else None
        if not isinstance(given, dict):
            return cls()
        return cls(**{k: float(given[k]) for k in ("item", "cell") if isinstance(given.get(k), (int, float))})


@dataclass(frozen=True)
class VaryAxis:
    """One ``vary`` line: a plan field and the checked values it takes."""

    key: str  # the spec's word: "policy", "heads", "unit", "imbalance", "ensemble", ...
    path: str  # dotted plan path, e.g. "query.policy"
    values: tuple[Any, ...]


#: Policy arguments added after runs were made, with the values that ask what those runs asked
#: for each query unit: left out of a plan's fingerprint at such a value, so the runs keep their
#: fingerprint (and resume). ``auto`` (``balance``, ``top``) asks the old way for item runs only.
LATER_POLICY_ARGS: dict[str, dict[str, tuple[Any, ...]]] = {
    "diversity": {"item": ("none",), "cell": ("none",)},
    "candidates": {"item": (10.0,), "cell": (10.0,)},
    "balance": {"item": ("none", "auto"), "cell": ("none",)},
    "top": {"item": (0.0, "auto"), "cell": (0.0,)},
}


def _drop_later_args(node: Any, unit: str) -> None:
    """Remove :data:`LATER_POLICY_ARGS` at an old-behaviour value for the run's ``unit`` from
    every component call in a plan's dict (the policy, the seed policy, the values a ``vary``
    gives the policy). Only policies declare these argument names (tested)."""
    if isinstance(node, dict):
        if set(node) == {"name", "args"} and isinstance(node["args"], (list, tuple)):
            node["args"] = tuple(
                (k, v) for k, v in (tuple(a) for a in node["args"])
                if v not in LATER_POLICY_ARGS.get(k, {}).get(unit, ())
            )
        for value in node.values():
            _drop_later_args(value, unit)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _drop_later_args(value, unit)


@dataclass(frozen=True)
class Plan:
    name: str = field(metadata=setting(
        'run "NAME"', "the run's name (default: the spec file's name)", Custom("run_name")))
    seed: int = field(metadata=setting(
        "seed N", "the run seed: every random choice derives from it", Int(0, MAX_SEED), vary="seed", default=0))
    data: DataPlan
    labels: LabelPlan
    model: ModelPlan
    train: TrainPlan
    weighting: WeightPlan
    query: QueryPlan
    oracle: Call = field(metadata=setting(
        "oracle NAME(ARGS)", "who answers the questions", Component("oracle", default="simulated"), vary="oracle"))
    evaluate: EvalPlan
    trainer: TrainerPlan
    vary: tuple[VaryAxis, ...] = field(default=(), metadata=setting(
        "vary KEY [V, ...]", "run every combination of the listed values", Custom("none"), rule=None))
    repeat: int = field(default=1, metadata=setting(
        "repeat N", "repeat every setting N times with derived seeds", Int(1, 1000)))
    ceiling: bool = field(default=False, metadata=setting(
        "ceiling yes|no", "also train on all pool labels, for an upper bound", Bool()))
    cost: CostPlan = field(default_factory=CostPlan)
    spec_path: str = ""
    spec_text: str = ""
    origins: dict[str, Pos] = field(default_factory=dict, compare=False, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view (no spec text, no origins)."""
        d = dataclasses.asdict(self)
        d.pop("origins")
        d.pop("spec_text")
        return d

    def fingerprint(self) -> str:
        """A hash of what determines the results (not the file's path or comments)."""
        d = self.to_dict()
        d.pop("spec_path")
        if self.cost.is_default:
            d.pop("cost")  # runs made before the cost model keep their fingerprint (and resume)
        d["trainer"].pop("checkpoint_every")  # a cache's cadence: a resume may change it
        if self.query.stable is None:  # the same for runs made before the stopping rules
            d["query"].pop("stable")
        for rule in d["query"]["stop"]:
            if not rule["estimated"]:
                rule.pop("estimated")
        _drop_later_args(d, self.query.unit)  # and those made before the newer policy arguments
        blob = json.dumps(d, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    @property
    def ceiling_only(self) -> bool:
        """``ceiling yes`` in a spec without a query block: train the ceiling and nothing else
        (no budget, so no active-learning run)."""
        return self.ceiling and self.query.budget == 0

    def origin(self, path: str) -> Pos | None:
        return self.origins.get(path)

    def replace_path(self, path: str, value: Any) -> Plan:
        """A copy with the dotted field ``path`` set to ``value`` (used by ``vary``)."""
        head, _, rest = path.partition(".")
        if not rest:
            return dataclasses.replace(self, **{head: value})
        sub = getattr(self, head)
        return dataclasses.replace(self, **{head: _replace(sub, rest, value)})


def _replace(obj: Any, path: str, value: Any) -> Any:
    head, _, rest = path.partition(".")
    if not rest:
        return dataclasses.replace(obj, **{head: value})
    return dataclasses.replace(obj, **{head: _replace(getattr(obj, head), rest, value)})


#: the plan's sections, each a block of the spec of the same name (``train { ... }``), in the
#: plan's order; the other fields of :class:`Plan` that declare a setting are top-level statements
SECTIONS: dict[str, type] = {
    "data": DataPlan,
    "labels": LabelPlan,
    "model": ModelPlan,
    "train": TrainPlan,
    "weighting": WeightPlan,
    "query": QueryPlan,
    "evaluate": EvalPlan,
    "trainer": TrainerPlan,
    "cost": CostPlan,
}


def declared() -> Iterator[tuple[str, str | None, dataclasses.Field[Any], Setting]]:
    """(dotted plan path, block or None for the top level, field, setting) of every setting the
    plan declares, in the plan's order."""
    for f in dataclasses.fields(Plan):
        section = SECTIONS.get(f.name)
        if section is None:
            if (s := setting_of(f)) is not None:
                yield f.name, None, f, s
            continue
        for sub in dataclasses.fields(section):
            if (s := setting_of(sub)) is not None:
                yield f"{f.name}.{sub.name}", f.name, sub, s
