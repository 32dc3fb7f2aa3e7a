"""Building the plan section by section, collecting every error on the way.

Each section is built by one generic loop over the settings its plan dataclass declares
(:func:`_section`); only composite statements and defaults computed from other fields are built
by hand here. Each plan field goes through :data:`alframe.lang.fields.FIELDS` (one check per field); a field
that fails keeps its default so the rest can still be checked, and the error is collected. What
the spec wrote is recorded in ``origins`` under the field's dotted plan path, and each argument
of a call under ``path.argument``; blocks are recorded under their own name (``"query"``), so a
later error about a defaulted field can still point at its block.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from alframe import plan as P
from alframe.errors import Pos, SpecError, nearest
from alframe.lang import paths
from alframe.lang import values as V
from alframe.lang.fields import FIELDS, LOWER_IS_BETTER, VARY_KEYS, run_name_problem
from alframe.lang.values import Context, SpecErrorGroup
from alframe.settings import COMPUTED, Component, Setting, setting_of
from alframe.spec import CodeRef, ListValue, Name, NamesFile, Spec, Text

_T = TypeVar("_T")

_FORMATS_BY_SUFFIX = {
    ".csv": "csv",
    ".csv.gz": "csv",
    ".jsonl": "jsonl",
    ".jsonl.gz": "jsonl",
    ".ndjson": "jsonl",
    ".ndjson.gz": "jsonl",
    ".parquet": "parquet",
}


class Builder:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.errors: list[SpecError] = []
        self.origins: dict[str, Pos] = {}

    def fail(self, exc: SpecError) -> None:
        self.errors.extend(exc.errors if isinstance(exc, SpecErrorGroup) else [exc])

    def take(self, path: str, node: Any, default: Any) -> Any:
        """The checked value of ``node`` for plan field ``path``, or ``default``."""
        if node is None:
            return default
        try:
            value = FIELDS[path].convert(node, self.ctx)
        except SpecError as exc:
            self.fail(exc)
            return default
        self.mark(path, node)
        return value

    def mark(self, path: str, node: Any) -> None:
        pos = getattr(node, "pos", None)
        if pos is None and isinstance(node, tuple) and node:
            pos = getattr(node[0], "pos", None)
        if pos is not None:
            self.origins[path] = pos
        for arg, where in (self.ctx.arg_origins or {}).pop(path, {}).items():
            if where is not None:
                self.origins[f"{path}.{arg}"] = where

    def default_call(self, kind: str, name: str, **chosen: Any) -> P.Call:
        return default_call(self.ctx.registry, kind, name, **chosen)

    def missing(self, message: str, pos: Pos | None, hint: str | None = None) -> None:
        self.errors.append(SpecError(message, code="E312", pos=pos, hint=hint))


def _settings(b: Builder, cls: type, prefix: str, node: Any, skip: Iterable[str] = ()) -> dict[str, Any]:
    """Every setting plan section ``cls`` declares with a simple statement, checked from what the
    block ``node`` writes (None: the block is not written) or defaulted; but those in ``skip``,
    which the caller builds by hand."""
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        s = setting_of(f)
        if s is None or f.name in skip:
            continue
        if s.rule is None:
            raise TypeError(f"{prefix}{f.name} is a composite statement: its section builds it by hand")
        written = node.get(s.word) if node is not None else None
        if isinstance(written, tuple) and not written:
            written = None  # an empty list of strings: as if not written
        values[f.name] = b.take(prefix + f.name, written, _default(b, s))
    return values


def _section(b: Builder, cls: type[_T], prefix: str, node: Any, **given: Any) -> _T:
    """Plan section ``cls``: the fields in ``given`` as the caller built them, the rest by
    :func:`_settings`."""
    return cls(**given, **_settings(b, cls, prefix, node, skip=given))


def _default(b: Builder, s: Setting) -> Any:
    """What a spec that does not write setting ``s`` gets."""
    if isinstance(s.check, Component) and s.check.default is not None:
        return b.default_call(s.check.kind, s.check.default)
    if s.default is COMPUTED:
        raise TypeError(f"the setting {s.syntax!r} has no default: its section builds it by hand")
    return s.default


def build_plan(spec: Spec, ctx: Context, *, name: str) -> tuple[P.Plan, list[SpecError]]:
    b = Builder(ctx)
    for block in P.SECTIONS:
        node = spec.get(block)
        if node is not None and node.pos is not None:
            b.origins[block] = node.pos
    data = _data(b, spec)
    labels = _labels(b, spec)
    model = _model(b, spec)
    train = _train(b, spec)
    weighting = _weighting(b, spec)
    query = _query(b, spec)
    evaluate = _evaluate(b, spec)
    trainer = _trainer(b, spec)
    if spec.run is None and run_name_problem(name) is not None:
        b.fail(SpecError(
            f"the spec file's name gives the run name {name!r}, which cannot be a folder inside runs/",
            code="E311",
            pos=None,
            hint='name the run in the spec, e.g. run "nightly"',
        ))
    plan = _section(
        b, P.Plan, "", spec,
        name=b.take("name", spec.run, name),
        data=data,
        labels=labels,
        model=model,
        train=train,
        weighting=weighting,
        query=query,
        evaluate=evaluate,
        trainer=trainer,
        vary=(),
        cost=_cost(b, spec),
    )
    plan = dataclasses.replace(plan, vary=_vary(b, spec, plan))
    _contradictions(b, spec, plan)
    plan.origins.update(b.origins)
    return plan, b.errors


# ---- sections ---------------------------------------------------------------------------


def _data(b: Builder, spec: Spec) -> P.DataPlan:
    d = spec.data
    if d is None:
        b.missing('the spec has no data statement', None, hint='add e.g. data "items.jsonl" { id sku  text title }')
        return P.DataPlan(path="", format="jsonl", id_field="")
    path = ""
    try:
        path = str(paths.confine(d.path.value, d.path, b.ctx.spec_dir, b.ctx.root))
        b.mark("data.path", d.path)
    except SpecError as exc:
        b.fail(exc)
    fmt = b.take("data.format", d.format, None)
    if fmt is None and d.format is None:
        fmt = _format_of(b, d.path)
    elif fmt == "parquet" and d.path.value.endswith(".gz"):
        b.fail(SpecError("parquet files are compressed inside; '.gz' applies to csv and jsonl only", code="E504", pos=d.path.pos))
    if d.id_field is None:
        b.missing("data needs an id field", d.pos, hint="add `id FIELD` inside data { ... }")
    test = d.test
    fraction, seed, test_path = 0.2, 0, None
    if test is not None:
        fraction = b.take("data.test_fraction", test.fraction, fraction)
        seed = b.take("data.test_seed", test.seed, seed)
        if test.file is not None:
            try:
                test_path = str(paths.confine(test.file.value, test.file, b.ctx.spec_dir, b.ctx.root))
                b.mark("data.test_path", test.file)
                _format_of(b, test.file)
                if path and test_path == path:
                    b.fail(SpecError(
                        "the test file is the data file: the model would be tested on the items it learns from",
                        code="E404", pos=test.file.pos,
                        hint="name a separate test file, or hold out a share of the data: test fraction 0.2",
                    ))
            except SpecError as exc:
                b.fail(exc)
    texts = b.take("data.text_fields", d.text_fields or None, ())
    numerics = b.take("data.numeric_fields", d.numeric_fields or None, ())
    for node in d.numeric_fields or ():
        if node.value in texts:
            b.fail(SpecError(f"field '{node.value}' is both text and numeric", code="E404", pos=node.pos,
                             hint="name each field once: as text or as numeric"))
    return _section(
        b, P.DataPlan, "data.", d,
        path=path,
        format=fmt or "jsonl",
        id_field=b.take("data.id_field", d.id_field, ""),
        text_fields=texts,
        numeric_fields=numerics,
        test_fraction=fraction if test_path is None else 0.0,
        test_seed=seed,
        test_path=test_path,
    )


def _format_of(b: Builder, node: Text) -> str | None:
    lower = node.value.lower()
    for suffix, fmt in _FORMATS_BY_SUFFIX.items():
        if lower.endswith(suffix):
            return fmt
    b.fail(
        SpecError(
            f"cannot tell the format of '{node.value}' from its extension",
            code="E504",
            pos=node.pos,
            expected=list(_FORMATS_BY_SUFFIX),
            hint="rename the file, or say it: data \"...\" { format csv }",
        )
    )
    return None


#: the policy of a spec that names none, by query unit: the one the policy study shows best
#: (docs/results.md, "The policy study"; docs/strategies.md, "What to use"). With cells it is
#: uncertainty ranked label by label. With items it is iwal at its item defaults (uncertainty
#: as the signal, every item asked with probability p, answers weighted 1/p) drawn
#: systematically, so a round asks exactly the batch: 1.23x fewer answers than random to 90 %
#: of the ceiling on the catalogue and 1.22x on FOLDOC (95 % there in every repeat), level with
#: independent coins (1.28x, 1.19x) but with macro-F1 at or above random's at every budget on
#: both data sets, where the coins' fell to 0.57x early on FOLDOC. Plain uncertainty, the
#: earlier default, took 1.5x *more* answers than random on the catalogue, and no diversity
#: step or committee over items beat random there. A run begun under the earlier default keeps
#: it when resumed (EARLIER_DEFAULT_POLICY)
DEFAULT_POLICY: dict[str, tuple[str, dict[str, Any]]] = {
    "item": ("iwal", {"sampling": "systematic"}),
    "cell": ("uncertainty", {"balance": "labels"}),
}

#: the policies a spec naming none got before, by query unit, newest first: a run started then
#: keeps asking what it asked when it is resumed (alframe.record.folder, "earlier default")
EARLIER_DEFAULT_POLICY: dict[str, tuple[tuple[str, dict[str, Any]], ...]] = {
    "item": (("uncertainty", {}),),
}


def default_call(registry: Any, kind: str, name: str, **chosen: Any) -> P.Call:
    """The call a spec gets when it names no ``kind``: ``name`` with its declared defaults,
    except the arguments in ``chosen``."""
    comp = registry.get(kind, name)
    if comp is None:
        return P.Call(name, tuple(chosen.items()))
    return P.Call(name, tuple((p.name, chosen.get(p.name, p.default)) for p in comp.params if not p.required))


def _default_entry(unit: str, earlier: int | None) -> tuple[str, dict[str, Any]]:
    """The (name, arguments set) of today's default policy for ``unit``, or of the
    ``earlier``-th one before it."""
    return DEFAULT_POLICY.get(unit, DEFAULT_POLICY["item"]) if earlier is None else EARLIER_DEFAULT_POLICY[unit][earlier]


def default_policy(registry: Any, unit: str, earlier: int | None = None) -> P.Call:
    """The policy of a spec that names none, for query ``unit``; ``earlier=i``: the ``i``-th
    default it had before (:data:`EARLIER_DEFAULT_POLICY`)."""
    name, args = _default_entry(unit, earlier)
    return default_call(registry, "policy", name, **args)


def default_policy_text(unit: str, earlier: int | None = None) -> str:
    """How a spec would name :func:`default_policy` (only the arguments it sets), for messages:
    ``iwal(sampling=systematic)`` rather than every argument spelled out."""
    name, args = _default_entry(unit, earlier)
    return str(P.Call(name, tuple(args.items())))


#: a label file is a list of names, not data: a few MB at most
MAX_NAMES_FILE = 1 << 20


def _names_of(b: Builder, names: tuple[Text, ...] | NamesFile) -> tuple[Text, ...]:
    """The spec's label names: the list written in it, or those of ``names file "F"`` (one a
    line, UTF-8; blank lines and lines starting with ``#`` are skipped), read when the spec is
    compiled, so the plan holds the names themselves and a changed file is a changed spec."""
    if not isinstance(names, NamesFile):
        return names
    node = names.path
    try:
        path = paths.confine(node.value, node, b.ctx.spec_dir, b.ctx.root)
    except SpecError as exc:
        b.fail(exc)
        return ()
    from alframe.fsutil import NotRegularFile, read_regular

    problem = None
    try:
        raw = read_regular(path, MAX_NAMES_FILE + 1)
        if len(raw) > MAX_NAMES_FILE:
            problem = f"it is larger than {MAX_NAMES_FILE:,} bytes"
        else:
            text = raw.decode("utf-8-sig")
    except NotRegularFile as exc:
        problem = str(exc)
    except FileNotFoundError:
        problem = "no such file"
    except OSError as exc:
        problem = exc.strerror or str(exc)
    except UnicodeDecodeError as exc:
        problem = f"byte 0x{exc.object[exc.start]:02x} at offset {exc.start} is not UTF-8"
    if problem is not None:
        b.fail(SpecError(f"cannot read the label file '{node.value}': {problem}", code="E506", pos=node.pos,
                         hint="one label name a line, UTF-8, in the spec's folder (or under --data-root)"))
        return ()
    found = tuple(
        Text(line.strip(), pos=node.pos) for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")
    )
    if not found:
        b.fail(SpecError(f"the label file '{node.value}' holds no label name", code="E311", pos=node.pos,
                         hint="one label name a line; lines starting with # are comments"))
    return found


def _labels(b: Builder, spec: Spec) -> P.LabelPlan:
    lab = spec.labels
    if lab is None:
        b.missing("the spec has no labels statement", None, hint='add e.g. labels from "tags"')
        return P.LabelPlan(source="list")
    plan = _section(
        b, P.LabelPlan, "labels.", lab,
        source=lab.source,
        column=b.take("labels.column", lab.column, None),
        columns=b.take("labels.columns", lab.columns or None, ()),
        names=b.take("labels.names", _names_of(b, lab.names or ()) or None, ()),
    )
    if lab.source == "columns" and not lab.columns:
        b.fail(SpecError("labels columns needs at least one column name or glob", code="E311", pos=lab.pos))
    for node in lab.exclude or ():
        if node.value in plan.include:
            b.fail(SpecError(
                f"'{node.value}' is both included and excluded: no label it matches can be kept",
                code="E404", pos=node.pos, hint="remove it from one of the two lists",
            ))
    return plan


def _model(b: Builder, spec: Spec) -> P.ModelPlan:
    return _section(b, P.ModelPlan, "model.", spec.model)


def _train(b: Builder, spec: Spec) -> P.TrainPlan:
    return _section(b, P.TrainPlan, "train.", spec.train)


def _weighting(b: Builder, spec: Spec) -> P.WeightPlan:
    w = spec.weighting
    mode, threshold = FIELDS["weighting.thresholds"].default, FIELDS["weighting.threshold"].default
    if w is not None and w.thresholds is not None:
        mode = b.take("weighting.thresholds", w.thresholds.mode, mode)
        if w.thresholds.value is not None and mode in ("tuned", "expected", "progressive"):
            b.fail(SpecError(f"thresholds {mode} takes no value (the value is for thresholds fixed)", code="E404", pos=w.thresholds.value.pos,
                             hint=f"write thresholds {mode}, or thresholds fixed {w.thresholds.value.text}"))
        else:
            threshold = b.take("weighting.threshold", w.thresholds.value, threshold)
    return _section(b, P.WeightPlan, "weighting.", w, thresholds=mode, threshold=threshold)


def _query(b: Builder, spec: Spec) -> P.QueryPlan:
    q = spec.query
    get = q.get if q is not None else (lambda k: None)
    taken = _settings(b, P.QueryPlan, "query.", q, skip=("seed_size", "seed_policy", "policy", "stop"))
    batch, budget, unit = taken["batch"], taken["budget"], taken["unit"]
    if get("budget") is None and not (q is None and spec.ceiling is not None and b.take("ceiling", spec.ceiling, False)):
        b.missing(
            "the spec has no budget",
            q.pos if q is not None else None,
            hint="add `budget N` inside query { ... }: how many labels may be asked",
        )
    seed = get("seed")
    seed_size = b.take("query.seed_size", seed.size if seed else None, min(batch, budget) if budget else batch)
    seed_policy = b.take("query.seed_policy", seed.policy if seed else None, b.default_call("policy", "random"))
    stop = tuple(_target(b, t, i) for i, t in enumerate(get("targets") or ()))
    if stop:
        b.origins["query.stop"] = q.targets[0].pos  # stop implies query { ... } with targets
    return P.QueryPlan(
        seed_size=seed_size,
        seed_policy=seed_policy,
        policy=b.take("query.policy", get("policy"), default_policy(b.ctx.registry, unit)),
        stop=tuple(s for s in stop if s is not None),
        **taken,
    )


def _target(b: Builder, t: Any, i: int) -> P.StopRule | None:
    try:
        metric = V.component(t.metric, "metric", b.ctx)
        limit = V.real(t.value, f"target {metric}", 0.0, 1.0, open_low=True)
    except SpecError as exc:
        if exc.code == "E311":
            exc.hint = "a target of 0 is reached before anything is asked: leave the target out to run until the budget is spent"
        b.fail(exc)
        return None
    if t.estimated and metric not in ESTIMATED_METRICS:
        b.fail(SpecError(
            f"the answers give an estimate of {', '.join(ESTIMATED_METRICS)} only, not of {metric}",
            code="E404", pos=t.metric.pos, expected=list(ESTIMATED_METRICS),
            hint=f"write target micro_f1 {t.value.text} estimated, or leave out 'estimated' to stop on the test split's {metric}",
        ))
        return None
    b.origins[f"query.stop.{i}"] = t.pos
    return P.StopRule(metric=metric, target=limit, of_ceiling=t.of_ceiling, estimated=t.estimated)


#: metrics a target may take ``estimated``: those the answers give an estimate of (alframe.stopping)
ESTIMATED_METRICS = ("micro_f1",)


def _evaluate(b: Builder, spec: Spec) -> P.EvalPlan:
    return _section(b, P.EvalPlan, "evaluate.", spec.evaluate)


def _trainer(b: Builder, spec: Spec) -> P.TrainerPlan:
    return _section(b, P.TrainerPlan, "trainer.", spec.trainer)


def _cost(b: Builder, spec: Spec) -> P.CostPlan:
    """``cost { item F  cell F }``; a price not written keeps its default (item 0, cell 1)."""
    c = spec.cost
    plan = _section(b, P.CostPlan, "cost.", c)
    if c is not None and plan.item == 0 and plan.cell == 0 and (c.item is not None or c.cell is not None):
        b.fail(SpecError(
            "every cost is 0: nothing a person does would cost anything, so every cost to a target is 0",
            code="E404", pos=(c.cell or c.item).pos,  # one of them was written
            hint="give the cell (or the item) a price above 0, e.g. cost { item 1  cell 0.1 }",
        ))
    return plan


# ---- vary and whole-spec checks -------------------------------------------------------


def _vary(b: Builder, spec: Spec, plan: P.Plan) -> tuple[P.VaryAxis, ...]:
    axes: list[P.VaryAxis] = []
    seen: set[str] = set()
    for v in spec.vary:
        key, path = _vary_key(b, v.key)
        if path is None:
            continue
        if path in seen:
            b.fail(SpecError(f"'{key}' is varied twice", code="E401", pos=v.key.pos, hint="give all values in one list"))
            continue
        seen.add(path)
        b.origins[f"vary.{key}"] = v.key.pos
        axes.append(P.VaryAxis(key=key, path=path, values=_vary_values(b, key, path, v.values)))
    return tuple(axes)


def _vary_key(b: Builder, node: Any) -> tuple[str, str | None]:
    if isinstance(node, CodeRef) and node.style == "dotted":
        for key, path in VARY_KEYS.items():
            if path == node.text:
                return key, path
        word = node.text
    elif isinstance(node, CodeRef):
        b.fail(V.code_ref(node))
        return "", None
    else:
        word = node.value
        if word in VARY_KEYS:
            return word, VARY_KEYS[word]
    guess = nearest(word, list(VARY_KEYS))
    b.fail(
        SpecError(
            f"cannot vary '{word}'",
            code="E202",
            pos=node.pos,
            expected=sorted(VARY_KEYS),
            hint=f"did you mean '{guess}'?" if guess else None,
        )
    )
    return word, None


def _vary_values(b: Builder, key: str, path: str, values: ListValue) -> tuple[Any, ...]:
    if not values.items:
        b.fail(SpecError(f"vary {key} needs at least one value", code="E406", pos=values.pos))
        return ()
    out: list[Any] = []
    for i, node in enumerate(values.items):
        try:
            value = FIELDS[path].convert(node, b.ctx)
        except SpecError as exc:
            b.fail(exc)
            continue
        (b.ctx.arg_origins or {}).pop(path, None)
        if value in out:
            b.fail(SpecError(f"vary {key}: the value {V.describe(node)} is listed twice", code="E406", pos=node.pos))
            continue
        out.append(value)
        b.origins[f"vary.{key}.{i}"] = node.pos  # type: ignore[assignment]
    return tuple(out)


@dataclass(frozen=True)
class Idle:
    """A setting that does nothing where another one holds (``clip`` without importance
    weights): refused when the spec writes or varies it and it would do nothing in every run of
    the grid; accepted when at least one run uses it (``vary importance [yes, no]``)."""

    path: str  # the setting refused, as a plan path
    reads: tuple[str, ...]  # the plan paths the condition looks at
    idle: Callable[..., bool]  # (the setting's value, *the read values) → it does nothing
    message: str  # str.format'ed with value= and the read paths' last parts
    hint: str


_NAMES = "names lists the labels exactly, so {what} does not apply"
_NAMES_HINT = "give either names [...] or the filters, not both"

#: every setting that can do nothing because of another one; see docs/spec-language.md
IDLE: tuple[Idle, ...] = (
    Idle("weighting.clip", ("weighting.importance",), lambda clip, imp: clip is not None and not imp,
         "clip limits importance weights, but importance is no",
         "importance no weighs every answer 1: remove clip, or write importance yes"),
    Idle("weighting.normalize", ("weighting.importance",), lambda norm, imp: norm and not imp,
         "normalize rescales importance weights, but importance is no",
         "importance no weighs every answer 1 already: remove normalize, or write importance yes"),
    Idle("weighting.threshold", ("weighting.thresholds",), lambda _, mode: mode in ("expected", "progressive"),
         "the fixed threshold is not used: thresholds are {thresholds}",
         "vary it with thresholds fixed (or tuned, which falls back to it)"),
    Idle("model.diversity", ("model.ensemble",), lambda _, k: k == 1,
         "diversity {value} makes committee members differ, but the committee has one member (ensemble 1)",
         "raise ensemble (e.g. ensemble 5), or leave diversity out"),
    Idle("train.early_stop_patience", ("train.epochs", "train.min_steps"),
         lambda p, epochs, steps: p is not None and p >= epochs and steps == 0,
         "early_stop {value} waits {value} epochs without improvement, but a round trains {epochs} epochs: it never stops one early",
         "lower early_stop below epochs, raise epochs, or write early_stop no"),
    Idle("data.test_fraction", ("data.test_path",), lambda _, f: f is not None,
         "test fraction is not used: the test split comes from the test file",
         "vary the test file's split only without `test file`"),
    Idle("data.test_seed", ("data.test_path",), lambda _, f: f is not None,
         "the test seed is not used: the test split comes from the test file",
         "vary the test file's split only without `test file`"),
    Idle("labels.separator", ("labels.source",), lambda _, src: src == "columns",
         "separator splits a field holding a label list, but the labels come from 0/1 columns",
         'remove separator, or read the labels from one field: labels from "FIELD"'),
    Idle("labels.min_positives", ("labels.names",), lambda _, names: bool(names),
         _NAMES.format(what="min_positives"), _NAMES_HINT),
    Idle("labels.max_labels", ("labels.names",), lambda _, names: bool(names),
         _NAMES.format(what="max_labels"), _NAMES_HINT),
    Idle("labels.include", ("labels.names",), lambda _, names: bool(names),
         _NAMES.format(what="include"), _NAMES_HINT),
    Idle("labels.exclude", ("labels.names",), lambda _, names: bool(names),
         _NAMES.format(what="exclude"), _NAMES_HINT),
    Idle("query.seed_policy", ("query.seed_size",), lambda _, size: size == 0,
         "the seed policy {value} chooses nothing: the seed set is 0",
         "remove the policy after seed 0, or give the seed set a size"),
)


def _idle(b: Builder, plan: P.Plan) -> None:
    for rule in IDLE:
        pos = b.origins.get(rule.path) or b.origins.get(f"vary.{_vary_key_of(plan, rule.path)}")
        if pos is None:
            continue  # neither written nor varied (or already refused)
        paths = (rule.path, *rule.reads)
        combos = list(itertools.product(*(_values_of(plan, p) for p in paths)))
        if not all(rule.idle(*combo) for combo in combos):
            continue
        value, *read = combos[0]
        names = {p.rpartition(".")[2]: v for p, v in zip(rule.reads, read)}
        b.fail(SpecError(rule.message.format(value=_shown(value), **names), code="E404", pos=pos, hint=rule.hint))


def _vary_key_of(plan: P.Plan, path: str) -> str | None:
    return next((a.key for a in plan.vary if a.path == path), None)


def _shown(value: Any) -> str:
    return value.name if isinstance(value, P.Call) else str(value)


def _where(b: Builder, plan: P.Plan, *paths: str, value: Any = None) -> Pos | None:
    """Where the spec wrote the first of ``paths`` it wrote or varied: a varied one at its
    ``value`` in the vary list (at the vary key without one)."""
    for path in paths:
        key = _vary_key_of(plan, path)
        axis = next((a for a in plan.vary if a.path == path), None)
        if axis is not None and value in axis.values:
            pos = b.origins.get(f"vary.{key}.{axis.values.index(value)}")
            if pos is not None:
                return pos
        pos = b.origins.get(path) or b.origins.get(f"vary.{key}")
        if pos is not None:
            return pos
    return None


def _contradictions(b: Builder, spec: Spec, plan: P.Plan) -> None:
    _idle(b, plan)
    _query_sizes(b, spec, plan)
    _label_fields(b, spec, plan)
    _trainer_combination(b, plan)
    q = spec.query
    if q is not None:
        for t in q.targets:
            if t.of_ceiling and not plan.ceiling and not any(a.path == "ceiling" for a in plan.vary):
                b.fail(SpecError("the target is relative to the ceiling, but no ceiling is computed", code="E405", pos=t.pos, hint="add `ceiling yes`"))
            name = t.metric.value if isinstance(t.metric, Name) else None
            if t.estimated:
                continue  # the estimate needs no test split and no evaluated metric
            if name and name not in plan.evaluate.metrics and b.ctx.registry.get("metric", name):
                b.fail(
                    SpecError(
                        f"the target metric '{name}' is not evaluated",
                        code="E404",
                        pos=t.metric.pos,
                        hint=f"add {name} to evaluate {{ metrics [...] }}",
                    )
                )
            elif name in LOWER_IS_BETTER:
                b.fail(SpecError(
                    f"a target stops the run once {name} reaches {t.value.text} or more, but {name} is an error rate "
                    "(lower is better): the run would stop at once",
                    code="E404", pos=t.metric.pos,
                    hint=f"give the target on a metric where higher is better ({', '.join(m for m in plan.evaluate.metrics if m not in LOWER_IS_BETTER) or 'micro_f1'}), or leave it out",
                ))


def _query_sizes(b: Builder, spec: Spec, plan: P.Plan) -> None:
    """The seed set and the batch against the budget, and the seed set against a data limit."""
    q = spec.query
    budgets = _values_of(plan, "query.budget")
    seeds = _values_of(plan, "query.seed_size")
    if q is not None and q.budget is not None:
        for seed_size, budget in itertools.product(seeds, budgets):
            if budget and seed_size > budget:
                node = q.seed.size if q.seed is not None else q.budget
                b.fail(
                    SpecError(
                        f"the seed set ({seed_size}) is larger than the budget ({budget})",
                        code="E403",
                        pos=node.pos,
                        hint="the budget counts the seed set too: lower the seed set or raise the budget",
                    )
                )
                break
    for batch, budget, unit in itertools.product(_values_of(plan, "query.batch"), budgets, _values_of(plan, "query.unit")):
        pos = _where(b, plan, "query.batch", value=batch)
        if pos is not None and budget and batch > budget:
            b.fail(SpecError(
                f"the batch ({batch} {unit}s) is larger than the budget ({budget} labels): no round can ask a whole batch",
                code="E404", pos=pos,
                hint=f"every question costs at least one label: write batch {budget} or less, or raise the budget",
            ))
            break
    for seed_size, limit, unit in itertools.product(seeds, _values_of(plan, "data.limit"), _values_of(plan, "query.unit")):
        if limit is not None and unit == "item" and seed_size > limit:
            b.fail(SpecError(
                f"the seed set ({seed_size} items) is larger than the pool: limit {limit} reads at most {limit} items",
                code="E410", pos=_where(b, plan, "query.seed_size", "query.batch", "data.limit"),
                hint="the pool is what is left of those rows after the test split: lower the seed set, or raise the limit",
            ))
            break


def _label_fields(b: Builder, spec: Spec, plan: P.Plan) -> None:
    """A label field that is also the id or an input field: the model would read its answers."""
    lab, d = spec.labels, plan.data
    if lab is None:
        return
    roles = {name: "text field" for name in d.text_fields}
    roles.update({name: "numeric field" for name in d.numeric_fields})
    roles[d.id_field] = "the id field"
    nodes = (lab.column,) if lab.source == "list" else lab.columns
    for node in nodes:
        role = roles.get(node.value) if node is not None else None
        if node is None or role is None:
            continue
        b.fail(SpecError(
            f"the label field '{node.value}' is also {'a ' + role if role != 'the id field' else role}: "
            + ("every item would be its own label" if role == "the id field" else "the model would read the answers it is asked for"),
            code="E404", pos=node.pos,
            hint="read the labels from a field that is not the id, text or numeric field",
        ))


def _trainer_combination(b: Builder, plan: P.Plan) -> None:
    """Accelerator, devices, strategy and precision that Lightning refuses together (or, for
    16-bit mixed precision on a CPU, silently replaces)."""
    t = plan.trainer
    acc = t.accelerator
    said = "" if "trainer.accelerator" in b.origins else " (the default)"
    if acc == "cpu" and "," in t.devices:
        b.fail(SpecError(
            f"accelerator cpu{said} takes a count of processes, not a list of device indices",
            code="E404", pos=b.origins.get("trainer.devices"),
            hint="write devices 2 (a count), or accelerator gpu to pick devices by index",
        ))
    if acc == "cpu" and t.precision == "16-mixed":
        b.fail(SpecError(
            f"precision 16-mixed needs a GPU, but the accelerator is cpu{said}: Lightning would run bf16-mixed instead",
            code="E404", pos=b.origins.get("trainer.precision"),
            hint='write precision bf16 (bf16-mixed) for mixed precision on a CPU, or accelerator gpu',
        ))
    if acc in ("cpu", "mps", "tpu") and t.precision.startswith("transformer-engine"):
        b.fail(SpecError(
            f"precision {t.precision} needs an NVIDIA GPU, but the accelerator is {acc}{said}",
            code="E404", pos=b.origins.get("trainer.precision"),
            hint="write accelerator gpu, or a precision such as 32-true or bf16-mixed",
        ))
    if t.strategy.startswith("fsdp") and acc not in ("gpu", "cuda"):
        b.fail(SpecError(
            f"strategy {t.strategy} needs a GPU accelerator, but the accelerator is {acc}{said}",
            code="E404", pos=b.origins.get("trainer.strategy"),
            hint="write accelerator gpu, or strategy ddp (which also runs on CPUs)",
        ))
    if acc == "tpu" and t.strategy not in ("auto", "xla", "xla_fsdp", "single_xla"):
        b.fail(SpecError(
            f"accelerator tpu runs only the xla strategies, not {t.strategy}",
            code="E404", pos=b.origins.get("trainer.strategy"),
            hint="write strategy xla (or auto)",
        ))


def _values_of(plan: P.Plan, path: str) -> list[Any]:
    for axis in plan.vary:
        if axis.path == path:
            return list(axis.values)
    obj: Any = plan
    for part in path.split("."):
        obj = getattr(obj, part)
    return [obj]
