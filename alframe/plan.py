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
from dataclasses import dataclass, field
from typing import Any

from alframe.errors import Pos


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


@dataclass(frozen=True)
class DataPlan:
    path: str  # resolved absolute path, inside the spec's folder
    format: str  # "csv" | "jsonl" | "parquet" (from the extension, ".gz" allowed for csv/jsonl)
    id_field: str
    text_fields: tuple[str, ...] = ()
    numeric_fields: tuple[str, ...] = ()
    test_fraction: float = 0.2
    test_seed: int = 0
    test_path: str | None = None  # a separate test file instead of a fraction
    limit: int | None = None  # read only the first N rows (quick slices)


@dataclass(frozen=True)
class LabelPlan:
    source: str  # "list" (one column holding a list / separated string) | "columns" (binary columns)
    column: str | None = None  # for source "list"
    separator: str = ","  # for a list stored as a string in csv
    columns: tuple[str, ...] = ()  # for source "columns": names or globs
    min_positives: int = 1
    max_labels: int | None = None  # keep the N most frequent after filters
    include: tuple[str, ...] = ()  # globs
    exclude: tuple[str, ...] = ()  # globs
    names: tuple[str, ...] = ()  # an explicit list: exactly these labels


@dataclass(frozen=True)
class ModelPlan:
    encoder: Call
    trunk: Call
    heads: Call  # joint | independent | grouped(...)
    ensemble: int = 1
    diversity: str = "bootstrap"  # "init" | "bootstrap" | "poisson"
    dropout: float = 0.0


@dataclass(frozen=True)
class TrainPlan:
    epochs: int = 3
    batch_size: int = 64
    lr: float = 1e-3
    optimizer: str = "adam"  # "adam" | "adamw" | "sgd"
    weight_decay: float = 0.0
    warm_start: bool = True
    min_steps: int = 0  # a round takes at least this many steps (more epochs for small sets)
    schedule: str = "cosine"  # "cosine" | "constant": the learning rate over each round's steps
    early_stop_patience: int | None = None  # epochs without improvement on held-out labelled data


@dataclass(frozen=True)
class WeightPlan:
    importance: bool = True  # use 1/p importance weights of queried labels in the loss
    clip: float | None = None  # clip importance weights at this value
    normalize: bool = False  # rescale weights to mean 1 over the labelled set
    imbalance: Call = Call("none")
    thresholds: str = "progressive"  # "fixed" | "tuned" | "expected" | "progressive"
    threshold: float = 0.5  # the fixed decision threshold


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
    ``agreement`` (Bloodgood & Vijay-Shanker, CoNLL 2009; see :mod:`alframe.stopping`)."""

    window: int = 3
    agreement: float = 0.99


@dataclass(frozen=True)
class QueryPlan:
    seed_size: int
    seed_policy: Call
    batch: int
    unit: str  # "item" | "cell"
    policy: Call
    budget: int  # labels (cells answered), seed set included
    rounds: int | None = None  # optional cap on rounds
    stop: tuple[StopRule, ...] = ()
    stable: StableRule | None = None  # stop when predictions stabilise


@dataclass(frozen=True)
class EvalPlan:
    metrics: tuple[str, ...] = ("micro_f1", "macro_f1", "macro_ap")
    every: int = 1  # evaluate every N rounds (and always at the last)


@dataclass(frozen=True)
class TrainerPlan:
    accelerator: str = "cpu"
    devices: str = "1"  # Lightning accepts int, list or "auto"; kept as text
    strategy: str = "auto"
    precision: str = "32-true"
    loggers: tuple[str, ...] = ("csv",)
    deterministic: bool = True
    #: write the round's checkpoint every N rounds (and at the last, and before the run waits
    #: for answers): a checkpoint is a cache, so this trades the write (0.1–0.2 s a round on
    #: the whole catalogue) against retraining up to N − 1 rounds on a resume
    checkpoint_every: int = 1


@dataclass(frozen=True)
class CostPlan:
    """What a person's work costs (``cost { item 1.0  cell 0.1 }``), for reports.

    An item costs ``item`` once, the first time any of its cells is answered (reading it), and
    every answered cell costs ``cell``: cost = item × items touched + cell × answered cells. The
    defaults (item 0, cell 1) make the cost the answered cells, the budget's currency. The cost
    is a function of two counts every round already stores, so ``run.db``'s rounds keep no cost
    column (the figures are computed where they are shown) and an old run is priced like a new one.
    """

    item: float = 0.0
    cell: float = 1.0

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


#: Policy arguments added after runs were made, at the value that asks what those runs asked:
#: left out of a plan's fingerprint at that value, so the runs keep their fingerprint (and resume)
LATER_POLICY_ARGS: dict[str, Any] = {"diversity": "none", "candidates": 10.0, "balance": "none"}
_UNSET = object()


def _drop_later_args(node: Any, unit: str) -> None:
    """Remove :data:`LATER_POLICY_ARGS` at their old-behaviour value from every component call
    in a plan's dict (the policy, the seed policy, the values a ``vary`` gives the policy).
    ``balance=auto`` (the default since) asks what ``none`` asked when the run's unit is item.
    Only policies declare these argument names (tested)."""
    if isinstance(node, dict):
        if set(node) == {"name", "args"} and isinstance(node["args"], (list, tuple)):
            node["args"] = tuple(
                (k, v) for k, v in (tuple(a) for a in node["args"])
                if LATER_POLICY_ARGS.get(k, _UNSET) != v and not (k == "balance" and v == "auto" and unit == "item")
            )
        for value in node.values():
            _drop_later_args(value, unit)
    elif isinstance(node, (list, tuple)):
        for value in node:
            _drop_later_args(value, unit)


@dataclass(frozen=True)
class Plan:
    name: str
    seed: int
    data: DataPlan
    labels: LabelPlan
    model: ModelPlan
    train: TrainPlan
    weighting: WeightPlan
    query: QueryPlan
    oracle: Call
    evaluate: EvalPlan
    trainer: TrainerPlan
    vary: tuple[VaryAxis, ...] = ()
    repeat: int = 1
    ceiling: bool = False
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
