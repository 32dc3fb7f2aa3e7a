"""One declaration per plan field: how the spec writes it, how its value is checked.

The compiler converts each statement through this table; ``vary`` checks each of its values
through the same entry, so ``vary ensemble [1, 0]`` fails exactly as ``ensemble 0`` does; and
``alframe explain`` and the docs take each field's description from here. Defaults are not
repeated: they come from the dataclasses in :mod:`alframe.plan` (or, for the few fields the
plan leaves without one, from :mod:`alframe.compile`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from alframe.errors import SpecError
from alframe.fsutil import name_problem
from alframe.lang import values as V
from alframe.lang.values import Context
from alframe.registry import Param
from alframe.spec import CallValue, ListValue, Name, Number, Text, Value

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
#: short forms Lightning also accepts, normalised to the full name
PRECISION_ALIASES = {"64": "64-true", "32": "32-true", "16": "16-mixed", "bf16": "bf16-mixed"}
LOGGERS = ("csv", "tensorboard", "wandb", "mlflow", "comet", "neptune")
#: built-in metrics where lower is better: a stop target (reached at value >= target) makes no
#: sense on them. A plugin's metric is taken to be higher-is-better, as the stop rule does.
LOWER_IS_BETTER = ("hamming",)

Convert = Callable[[Value, Context], Any]


@dataclass(frozen=True)
class Field:
    """A plan field as the spec language knows it."""

    path: str  # dotted plan path
    syntax: str  # how it is written
    help: str
    convert: Convert
    vary: str | None = None  # the key ``vary`` uses for it (None: cannot be varied)


def _int(what: str, low: int, high: int) -> Convert:
    return lambda v, ctx: V.integer(v, what, low, high)


def _real(what: str, low: float, high: float, **kw: bool) -> Convert:
    return lambda v, ctx: V.real(v, what, low, high, **kw)


def _bool(what: str) -> Convert:
    return lambda v, ctx: V.boolean(v, what)


def _choice(what: str, choices: tuple[str, ...]) -> Convert:
    return lambda v, ctx: V.choice(v, what, choices)


def _call(kind: str, path: str) -> Convert:
    return lambda v, ctx: V.call(v, kind, ctx, origin=path)


def _names(what: str, kind: str | None = None, choices: tuple[str, ...] | None = None) -> Convert:
    """A list of names (or one name); ``none`` or ``[]`` is the empty list."""

    def convert(v: Value, ctx: Context) -> tuple[str, ...]:
        items = v.items if isinstance(v, ListValue) else (v,)
        out: list[str] = []
        for item in items:
            if kind is not None:
                word = V.component(item, kind, ctx)
            elif choices is not None:
                word = V.name(item, what)
                if word == "none" and len(items) == 1:
                    return ()
                word = V.choice(item, what, choices)
            else:
                word = V.name(item, what)
            if word in out:
                raise SpecError(f"'{word}' is listed twice in {what}", code="E401", pos=item.pos)
            out.append(word)
        if kind is not None and not out:
            raise SpecError(f"{what} needs at least one name", code="E311", pos=v.pos)
        return tuple(out)

    return convert


def _optional(convert: Convert, what: str, takes: str) -> Convert:
    """``early_stop 3`` / ``early_stop no``: a value, or no (None)."""

    def inner(v: Value, ctx: Context) -> Any:
        if isinstance(v, Name):
            if V.BOOLS.get(v.value.lower()) is False:
                return None
            raise SpecError(f"{what} takes {takes} or no, not '{v.value}'", code="E310", pos=v.pos)
        return convert(v, ctx)

    return inner


def _run_name(v: Value, ctx: Context) -> str:
    word = v.value if isinstance(v, Text) else V.name(v, "run")
    problem = run_name_problem(word)
    if problem is not None:
        raise SpecError(problem[0], code=problem[1], pos=v.pos, hint=RUN_NAME_HINT)
    return word


#: the rules ``query { stop NAME(ARGS) }`` may name, with their declared arguments (checked as a
#: component's are: unknown argument with "did you mean", type, bounds); see alframe.stopping
STOP_RULES: dict[str, tuple[Param, ...]] = {
    "stable": (
        Param("window", "int", 3, 1, 1000, help="consecutive rounds whose agreement is averaged"),
        Param("agreement", "float", 0.99, 0.0, 1.0,
              help="the mean Cohen's kappa between consecutive models' predictions that stops the run (more than 0, at most 1)"),
    ),
}


def _stop_rule(v: Value, ctx: Context) -> Any:
    """``stable(window=3, agreement=0.99)`` → :class:`alframe.plan.StableRule`."""
    from alframe import plan

    if not isinstance(v, CallValue):
        raise SpecError(f"stop takes a rule such as stable(window=3, agreement=0.99), not {V.describe(v)}",
                        code="E310", pos=v.pos)
    word = V.choice(v.name, "stop rule", tuple(STOP_RULES), code="E201")
    who = f"stop rule '{word}'"
    given = V._bind(v, STOP_RULES[word], who)
    values: dict[str, Any] = {}
    errors: list[SpecError] = []
    for p in STOP_RULES[word]:
        arg = given.get(p.name)
        if arg is None:
            values[p.name] = p.default
            continue
        try:
            if p.name == "agreement":  # (0, 1]: a kappa of 0 is chance agreement, never a stop
                values[p.name] = _open_low(arg.value, f"argument 'agreement' of {who}", p)
            else:
                values[p.name] = V.argument(arg.value, p, who, ctx)
        except SpecError as exc:
            errors.extend(exc.errors if isinstance(exc, V.SpecErrorGroup) else [exc])
    if errors:
        raise V.SpecErrorGroup(errors)
    return plan.StableRule(**values)


def _open_low(v: Value, what: str, p: Param) -> float:
    """A real argument in (low, high]: the type error as an argument's (E305), the range as an
    argument's (E306)."""
    if not isinstance(v, Number):
        raise SpecError(f"{what} takes a number, not {V.describe(v)}", code="E305", pos=v.pos)
    try:
        return V.real(v, what, p.low, p.high, open_low=True)
    except SpecError as exc:
        exc.code = "E306"
        exc.hint = "agreement is a mean Cohen's kappa; Bloodgood & Vijay-Shanker stop at 0.99"
        raise


RUN_NAME_HINT = 'the run folder is runs/<name>: use letters, digits, "-", "_" and "." (e.g. run "nightly")'


def run_name_problem(word: str) -> tuple[str, str] | None:
    """(message, code) when ``word`` cannot name a run folder inside the run root: ``.``,
    ``..`` or a path would put it elsewhere (E501); blank, too long or control characters are
    out of range (E311)."""
    problem = name_problem(word)
    if problem is None:
        return None
    leaves = set(word) <= {"."} or any(c in word for c in "/\\")
    return (f"the run name {word!r} cannot be a folder inside runs/: {problem}", "E501" if leaves else "E311")


DEVICES_HINT = (
    "devices takes a count of at least 1, a list of device indices such as [0, 1], or auto "
    "(every device Lightning finds: what Lightning's -1 means)"
)


def _devices(v: Value, ctx: Context) -> str:
    """A count (at least 1), a list of distinct indices, or auto; a quoted "2" or "0,1" is read
    as the count or list it spells. Lightning's -1 ("all") and 0 are refused: ``auto`` says all,
    and no device is no trainer."""
    if isinstance(v, Number):
        return str(_device_number(v, 1))
    if isinstance(v, ListValue):
        if not v.items:
            raise SpecError("devices needs at least one device index", code="E311", pos=v.pos, hint=DEVICES_HINT)
        ids: list[int] = []
        for item in v.items:
            index = _device_number(item, 0)
            if index in ids:
                raise SpecError(f"device {index} is listed twice in devices", code="E401", pos=item.pos)
            ids.append(index)
        return ",".join(map(str, ids)) + ("," if len(ids) == 1 else "")
    word = v.value if isinstance(v, Text) else V.name(v, "devices")
    if word == "auto":
        return word
    parts = [part.strip() for part in word.split(",")]
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()  # "0," is a list of one index
    if not all(part.isdigit() for part in parts):
        raise SpecError(f"devices takes a count, a list of indices or auto, not '{word}'", code="E310", pos=v.pos, hint=DEVICES_HINT)
    if len(parts) == 1 and "," not in word and int(parts[0]) < 1:
        raise SpecError(f"devices must be at least 1, not '{word}'", code="E311", pos=v.pos, hint=DEVICES_HINT)
    if len(set(map(int, parts))) < len(parts):
        raise SpecError(f"a device is listed twice in devices '{word}'", code="E401", pos=v.pos)
    return word


def _device_number(v: Value, low: int) -> int:
    try:
        return V.integer(v, "devices" if low else "a device index", low, 1 << 16)
    except SpecError as exc:
        exc.hint = exc.hint or DEVICES_HINT
        raise


def _precision(v: Value, ctx: Context) -> str:
    if isinstance(v, Number):
        word = v.text
    elif isinstance(v, Text):
        word = v.value
    else:
        word = V.name(v, "precision")
    word = PRECISION_ALIASES.get(word, word)
    return V.choice(Text(word, pos=v.pos), "precision", PRECISIONS)


def _strategy(v: Value, ctx: Context) -> str:
    return V.choice(v, "strategy", STRATEGIES)


def _texts(what: str) -> Convert:
    def convert(v: Value, ctx: Context) -> tuple[str, ...]:
        items = v if isinstance(v, tuple) else (v,)
        out = tuple(V.text(i, what) if not isinstance(i, Text) else i.value for i in items)
        for i, item in enumerate(items):
            if out[i] in out[:i]:
                raise SpecError(f"'{out[i]}' is listed twice in {what}", code="E401", pos=item.pos)
            if not out[i]:
                raise SpecError(f"{what} takes non-empty names", code="E311", pos=item.pos)
        return out

    return convert


def _text(what: str, max_len: int = 256) -> Convert:
    def convert(v: Value, ctx: Context) -> str:
        word = V.text(v, what)
        if not word or len(word) > max_len:
            raise SpecError(f"{what} takes 1 to {max_len} characters", code="E311", pos=v.pos)
        return word

    return convert


_FIELDS = [
    Field("name", 'run "NAME"', "the run's name (default: the spec file's name)", _run_name),
    Field("seed", "seed N", "the run seed: every random choice derives from it", _int("seed", 0, MAX_SEED), "seed"),
    # data
    Field("data.path", 'data "FILE" { ... }', "the data file, inside the spec's folder", lambda v, c: None),
    Field("data.format", "format csv|jsonl|parquet", "file format (default: from the extension)", _choice("format", FORMATS)),
    Field("data.id_field", "id FIELD", "the field holding each item's unique id", lambda v, c: v.value),  # type: ignore[union-attr]  # the grammar gives a Text here
    Field("data.text_fields", "text FIELD, ...", "text fields, joined with ' | ' for the encoder", _texts("text")),
    Field("data.numeric_fields", "numeric FIELD, ...", "numeric fields, standardised", _texts("numeric")),
    Field("data.test_fraction", "test fraction F seed N", "share of items held out for evaluation (0: no test split)", _real("test fraction", 0.0, 1.0, open_high=True), "test_fraction"),
    Field("data.test_seed", "test fraction F seed N", "seed of the held-out split", _int("test seed", 0, MAX_SEED), "test_seed"),
    Field("data.test_path", 'test file "FILE"', "a separate test file instead of a fraction", lambda v, c: None),
    Field("data.limit", "limit N", "read only the first N rows (quick slices)", _int("limit", 1, 10**9), "limit"),
    # labels
    Field("labels.column", 'labels from "FIELD"', "the field holding each item's labels", lambda v, c: v.value),  # type: ignore[union-attr]  # the grammar gives a Text here
    Field("labels.separator", 'separator "S"', "separator of labels stored as one string (csv)", _text("separator", 16)),
    Field("labels.columns", 'labels columns ["GLOB", ...]', "binary 0/1 columns, by name or glob", _texts("columns")),
    Field("labels.min_positives", "min_positives N", "drop labels with fewer positives", _int("min_positives", 0, 10**9), "min_positives"),
    Field("labels.max_labels", "max_labels N", "keep the N most frequent labels", _int("max_labels", 1, 10**6), "max_labels"),
    Field("labels.include", 'include ["GLOB", ...]', "keep only labels matching a glob", _texts("include")),
    Field("labels.exclude", 'exclude ["GLOB", ...]', "drop labels matching a glob", _texts("exclude")),
    Field("labels.names", 'names ["LABEL", ...]|file "F"', "exactly these labels (a file: one a line)", _texts("names")),
    # model
    Field("model.encoder", "encoder NAME(ARGS)", "turns an item's fields into a vector", _call("encoder", "model.encoder"), "encoder"),
    Field("model.trunk", "trunk NAME(ARGS)", "shared layers between encoder and heads", _call("trunk", "model.trunk"), "trunk"),
    Field("model.heads", "heads NAME(ARGS)", "the output layer: one binary output per label", _call("heads", "model.heads"), "heads"),
    Field("model.ensemble", "ensemble N", "committee members, trained as one batched module", _int("ensemble", 1, 64), "ensemble"),
    Field("model.diversity", "diversity init|bootstrap|poisson", "how committee members differ", _choice("diversity", DIVERSITY), "diversity"),
    Field("model.dropout", "dropout F", "dropout on the encoder output", _real("dropout", 0.0, 1.0, open_high=True), "dropout"),
    # train
    Field("train.epochs", "epochs N", "epochs per round", _int("epochs", 1, 10_000), "epochs"),
    Field("train.min_steps", "min_steps N", "at least N optimiser steps a round: small labelled sets get more epochs", _int("min_steps", 0, 1_000_000), "min_steps"),
    Field("train.batch_size", "batch N", "training mini-batch size", _int("batch", 1, 1_000_000), "train_batch"),
    Field("train.lr", "lr F", "learning rate", _real("lr", 0.0, 10.0, open_low=True), "lr"),
    Field("train.optimizer", "optimizer adam|adamw|sgd", "optimiser of the dense parameters", _choice("optimizer", OPTIMIZERS), "optimizer"),
    Field("train.weight_decay", "weight_decay F", "L2 penalty", _real("weight_decay", 0.0, 10.0), "weight_decay"),
    Field("train.warm_start", "warm_start yes|no", "continue from last round's weights", _bool("warm_start"), "warm_start"),
    Field("train.schedule", "schedule cosine|constant", "learning rate over each round: warm-up then cosine decay, or constant", _choice("schedule", SCHEDULES), "schedule"),
    Field("train.early_stop_patience", "early_stop N|no", "stop after N epochs without improvement", _optional(_int("early_stop", 1, 10_000), "early_stop", "a patience in epochs"), "early_stop"),
    # weighting
    Field("weighting.importance", "importance yes|no", "weight each answer by 1/p, its query probability", _bool("importance"), "importance"),
    Field("weighting.clip", "clip F|no", "clip importance weights at F", _optional(_real("clip", 1.0, 1e6), "clip", "a number"), "clip"),
    Field("weighting.normalize", "normalize yes|no", "rescale weights to mean 1", _bool("normalize"), "normalize"),
    Field("weighting.imbalance", "imbalance NAME(ARGS)", "class-imbalance correction in the loss", _call("imbalance", "weighting.imbalance"), "imbalance"),
    Field("weighting.thresholds", "thresholds fixed F|tuned|expected|progressive", "decision thresholds", _choice("thresholds", THRESHOLDS), "thresholds"),
    Field("weighting.threshold", "thresholds fixed F", "the fixed decision threshold", _real("threshold", 0.0, 1.0, open_low=True, open_high=True), "threshold"),
    # query
    Field("query.seed_size", "seed N POLICY", "size of the first labelled set (default: the batch)", _int("seed", 0, 10**9), "seed_size"),
    Field("query.seed_policy", "seed N POLICY", "the policy choosing the seed set", _call("policy", "query.seed_policy"), "seed_policy"),
    Field("query.batch", "batch N", "queries per round (items, or cells for unit cell)", _int("batch", 1, 10**7), "batch"),
    Field("query.unit", "unit item|cell", "ask whole items or single item-label cells", _choice("unit", UNITS), "unit"),
    Field("query.policy", "policy NAME(ARGS)", "chooses what to ask each round", _call("policy", "query.policy"), "policy"),
    Field("query.budget", "budget N", "labels (answered cells) to spend, seed set included; an item costs one per unknown label", _int("budget", 1, 10**12), "budget"),
    Field("query.rounds", "rounds N", "stop after N rounds", _int("rounds", 1, 10**6), "rounds"),
    Field("query.stop", "target METRIC F [of ceiling|estimated]", "stop when a test metric (or, estimated, its estimate from the answers) reaches a target", lambda v, c: None),
    Field("query.stable", "stop stable(window=N, agreement=F)", "stop when consecutive models' predictions agree (mean kappa over N rounds ≥ F)", _stop_rule),
    # oracle, evaluate, trainer
    Field("oracle", "oracle NAME(ARGS)", "who answers the questions", _call("oracle", "oracle"), "oracle"),
    Field("evaluate.metrics", "metrics [NAME, ...]", "test metrics computed each evaluation", _names("metrics", kind="metric")),
    Field("evaluate.every", "every N", "evaluate every N rounds (and at the last)", _int("every", 1, 10**6), "every"),
    Field("trainer.accelerator", "accelerator NAME", "Lightning accelerator", _choice("accelerator", ACCELERATORS)),
    Field("trainer.devices", "devices N|[I, ...]|auto", "Lightning devices", _devices),
    Field("trainer.strategy", "strategy NAME", "Lightning strategy (e.g. ddp)", _strategy),
    Field("trainer.precision", 'precision "32-true"', "Lightning precision", _precision),
    Field("trainer.loggers", "loggers [NAME, ...]|none", "Lightning loggers", _names("loggers", choices=LOGGERS)),
    Field("trainer.deterministic", "deterministic yes|no", "Lightning deterministic algorithms", _bool("deterministic")),
    Field("trainer.checkpoint_every", "checkpoint_every N", "write the model's checkpoint every N rounds (and at the last, and before waiting for answers); a resume retrains the rounds after the newest", _int("checkpoint_every", 1, 10**6)),
    # cost (reports only: the budget stays in answered cells)
    Field("cost.item", "item F", "what reading an item costs, once, when its first cell is answered (cost = item × items touched + cell × answered cells)", _real("cost item", 0.0, MAX_COST)),
    Field("cost.cell", "cell F", "what answering one cell costs", _real("cost cell", 0.0, MAX_COST)),
    # whole run
    Field("ceiling", "ceiling yes|no", "also train on all pool labels, for an upper bound", _bool("ceiling")),
    Field("vary", "vary KEY [V, ...]", "run every combination of the listed values", lambda v, c: None),
    Field("repeat", "repeat N", "repeat every setting N times with derived seeds", _int("repeat", 1, 1000)),
]

FIELDS: dict[str, Field] = {f.path: f for f in _FIELDS}
#: vary key → plan path
VARY_KEYS: dict[str, str] = {f.vary: f.path for f in _FIELDS if f.vary}
