"""Building the plan section by section, collecting every error on the way.

Each plan field goes through :data:`alframe.lang.fields.FIELDS` (one check per field); a field
that fails keeps its default so the rest can still be checked, and the error is collected. What
the spec wrote is recorded in ``origins`` under the field's dotted plan path, and each argument
of a call under ``path.argument``; blocks are recorded under their own name (``"query"``), so a
later error about a defaulted field can still point at its block.
"""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

from alframe import plan as P
from alframe.errors import Pos, SpecError, nearest
from alframe.lang import paths
from alframe.lang import values as V
from alframe.lang.fields import FIELDS, VARY_KEYS, run_name_problem
from alframe.lang.values import Context, SpecErrorGroup
from alframe.spec import CodeRef, ListValue, Name, Spec, Text

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

    def default_call(self, kind: str, name: str) -> P.Call:
        comp = self.ctx.registry.get(kind, name)
        if comp is None:
            return P.Call(name)
        return P.Call(name, tuple((p.name, p.default) for p in comp.params if not p.required))

    def missing(self, message: str, pos: Pos | None, hint: str | None = None) -> None:
        self.errors.append(SpecError(message, code="E312", pos=pos, hint=hint))


def _defaults(cls: type) -> dict[str, Any]:
    return {
        f.name: f.default
        for f in dataclasses.fields(cls)
        if f.default is not dataclasses.MISSING
    }


def build_plan(spec: Spec, ctx: Context, *, name: str) -> tuple[P.Plan, list[SpecError]]:
    b = Builder(ctx)
    for block in ("data", "labels", "model", "train", "weighting", "query", "evaluate", "trainer"):
        node = getattr(spec, block)
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
    plan = P.Plan(
        name=b.take("name", spec.run, name),
        seed=b.take("seed", spec.seed, 0),
        data=data,
        labels=labels,
        model=model,
        train=train,
        weighting=weighting,
        query=query,
        oracle=b.take("oracle", spec.oracle, b.default_call("oracle", "simulated")),
        evaluate=evaluate,
        trainer=trainer,
        ceiling=b.take("ceiling", spec.ceiling, False),
        repeat=b.take("repeat", spec.repeat, 1),
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
            except SpecError as exc:
                b.fail(exc)
    texts = b.take("data.text_fields", d.text_fields or None, ())
    numerics = b.take("data.numeric_fields", d.numeric_fields or None, ())
    for node in d.numeric_fields:
        if node.value in texts:
            b.fail(SpecError(f"field '{node.value}' is both text and numeric", code="E404", pos=node.pos))
    return P.DataPlan(
        path=path,
        format=fmt or "jsonl",
        id_field=b.take("data.id_field", d.id_field, ""),
        text_fields=texts,
        numeric_fields=numerics,
        test_fraction=fraction if test_path is None else 0.0,
        test_seed=seed,
        test_path=test_path,
        limit=b.take("data.limit", d.limit, None),
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


def _labels(b: Builder, spec: Spec) -> P.LabelPlan:
    lab = spec.labels
    if lab is None:
        b.missing("the spec has no labels statement", None, hint='add e.g. labels from "tags"')
        return P.LabelPlan(source="list")
    d = _defaults(P.LabelPlan)
    plan = P.LabelPlan(
        source=lab.source,
        column=b.take("labels.column", lab.column, None),
        separator=b.take("labels.separator", lab.separator, d["separator"]),
        columns=b.take("labels.columns", lab.columns or None, ()),
        min_positives=b.take("labels.min_positives", lab.min_positives, d["min_positives"]),
        max_labels=b.take("labels.max_labels", lab.max_labels, None),
        include=b.take("labels.include", lab.include or None, ()),
        exclude=b.take("labels.exclude", lab.exclude or None, ()),
        names=b.take("labels.names", lab.names or None, ()),
    )
    if lab.source == "columns" and not lab.columns:
        b.fail(SpecError("labels columns needs at least one column name or glob", code="E311", pos=lab.pos))
    if lab.names:
        for word, node in (("include", lab.include), ("exclude", lab.exclude)):
            if node:
                b.fail(SpecError(f"names lists the labels exactly, so {word} does not apply", code="E404", pos=node[0].pos))
        if lab.max_labels is not None:
            b.fail(SpecError("names lists the labels exactly, so max_labels does not apply", code="E404", pos=lab.max_labels.pos))
    return plan


def _model(b: Builder, spec: Spec) -> P.ModelPlan:
    m = spec.model
    d = _defaults(P.ModelPlan)
    get = (lambda k: getattr(m, k)) if m is not None else (lambda k: None)
    return P.ModelPlan(
        encoder=b.take("model.encoder", get("encoder"), b.default_call("encoder", "hashed_bag")),
        trunk=b.take("model.trunk", get("trunk"), b.default_call("trunk", "mlp")),
        heads=b.take("model.heads", get("heads"), b.default_call("heads", "joint")),
        ensemble=b.take("model.ensemble", get("ensemble"), d["ensemble"]),
        diversity=b.take("model.diversity", get("diversity"), d["diversity"]),
        dropout=b.take("model.dropout", get("dropout"), d["dropout"]),
    )


def _train(b: Builder, spec: Spec) -> P.TrainPlan:
    t = spec.train
    d = _defaults(P.TrainPlan)
    if t is None:
        return P.TrainPlan()
    return P.TrainPlan(
        epochs=b.take("train.epochs", t.epochs, d["epochs"]),
        min_steps=b.take("train.min_steps", t.min_steps, d["min_steps"]),
        batch_size=b.take("train.batch_size", t.batch, d["batch_size"]),
        lr=b.take("train.lr", t.lr, d["lr"]),
        optimizer=b.take("train.optimizer", t.optimizer, d["optimizer"]),
        weight_decay=b.take("train.weight_decay", t.weight_decay, d["weight_decay"]),
        warm_start=b.take("train.warm_start", t.warm_start, d["warm_start"]),
        schedule=b.take("train.schedule", t.schedule, d["schedule"]),
        early_stop_patience=b.take("train.early_stop_patience", t.early_stop, None),
    )


def _weighting(b: Builder, spec: Spec) -> P.WeightPlan:
    w = spec.weighting
    d = _defaults(P.WeightPlan)
    imbalance = b.default_call("imbalance", "none")
    if w is None:
        return P.WeightPlan(imbalance=imbalance)
    mode, threshold = d["thresholds"], d["threshold"]
    if w.thresholds is not None:
        mode = b.take("weighting.thresholds", w.thresholds.mode, mode)
        if w.thresholds.value is not None and mode in ("tuned", "expected"):
            b.fail(SpecError(f"thresholds {mode} takes no value (the value is for thresholds fixed)", code="E404", pos=w.thresholds.value.pos))
        else:
            threshold = b.take("weighting.threshold", w.thresholds.value, threshold)
    plan = P.WeightPlan(
        importance=b.take("weighting.importance", w.importance, d["importance"]),
        clip=b.take("weighting.clip", w.clip, None),
        normalize=b.take("weighting.normalize", w.normalize, d["normalize"]),
        imbalance=b.take("weighting.imbalance", w.imbalance, imbalance),
        thresholds=mode,
        threshold=threshold,
    )
    if w.clip is not None and plan.clip is not None and not plan.importance and w.importance is not None:
        b.fail(SpecError("clip limits importance weights, but importance is no", code="E404", pos=w.clip.pos))
    return plan


def _query(b: Builder, spec: Spec) -> P.QueryPlan:
    q = spec.query
    get = (lambda k: getattr(q, k)) if q is not None else (lambda k: None)
    batch = b.take("query.batch", get("batch"), 100)
    budget = b.take("query.budget", get("budget"), 0)
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
        b.origins["query.stop"] = q.targets[0].pos  # type: ignore[union-attr,assignment]  # stop implies query { ... } with targets; parsed nodes carry a position
    return P.QueryPlan(
        seed_size=seed_size,
        seed_policy=seed_policy,
        batch=batch,
        unit=b.take("query.unit", get("unit"), "item"),
        policy=b.take("query.policy", get("policy"), b.default_call("policy", "uncertainty")),
        budget=budget,
        rounds=b.take("query.rounds", get("rounds"), None),
        stop=tuple(s for s in stop if s is not None),
    )


def _target(b: Builder, t: Any, i: int) -> P.StopRule | None:
    try:
        metric = V.component(t.metric, "metric", b.ctx)
        limit = V.real(t.value, f"target {metric}", 0.0, 1.0, open_low=t.of_ceiling)
    except SpecError as exc:
        b.fail(exc)
        return None
    b.origins[f"query.stop.{i}"] = t.pos
    return P.StopRule(metric=metric, target=limit, of_ceiling=t.of_ceiling)


def _evaluate(b: Builder, spec: Spec) -> P.EvalPlan:
    e = spec.evaluate
    d = _defaults(P.EvalPlan)
    if e is None:
        return P.EvalPlan()
    return P.EvalPlan(
        metrics=b.take("evaluate.metrics", e.metrics, d["metrics"]),
        every=b.take("evaluate.every", e.every, d["every"]),
    )


def _trainer(b: Builder, spec: Spec) -> P.TrainerPlan:
    t = spec.trainer
    d = _defaults(P.TrainerPlan)
    if t is None:
        return P.TrainerPlan()
    return P.TrainerPlan(
        **{
            key: b.take(f"trainer.{key}", getattr(t, key), d[key])
            for key in ("accelerator", "devices", "strategy", "precision", "loggers", "deterministic")
        }
    )


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
        b.origins[f"vary.{key}"] = v.key.pos  # type: ignore[assignment]
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


def _contradictions(b: Builder, spec: Spec, plan: P.Plan) -> None:
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
    if q is not None:
        for t in q.targets:
            if t.of_ceiling and not plan.ceiling and not any(a.path == "ceiling" for a in plan.vary):
                b.fail(SpecError("the target is relative to the ceiling, but no ceiling is computed", code="E405", pos=t.pos, hint="add `ceiling yes`"))
            name = t.metric.value if isinstance(t.metric, Name) else None
            if name and name not in plan.evaluate.metrics and b.ctx.registry.get("metric", name):
                b.fail(
                    SpecError(
                        f"the target metric '{name}' is not evaluated",
                        code="E404",
                        pos=t.metric.pos,
                        hint=f"add {name} to evaluate {{ metrics [...] }}",
                    )
                )


def _values_of(plan: P.Plan, path: str) -> list[Any]:
    for axis in plan.vary:
        if axis.path == path:
            return list(axis.values)
    obj: Any = plan
    for part in path.split("."):
        obj = getattr(obj, part)
    return [obj]
