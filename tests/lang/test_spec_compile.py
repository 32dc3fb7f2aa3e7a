"""Valid specs and the plans they compile to: defaults, every statement, origins, vary."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from alframe import plan as P
from alframe.compile import compile_file, compile_text, plan_error
from alframe.errors import Pos
from alframe.plugins import load

REGISTRY = load(autoload=False).registry
SPECS = Path(__file__).resolve().parents[2] / "specs"
BASE = 'data "items.jsonl" { id sku  text title }\nlabels from "tags"\nquery { budget 1000 }\n'


def default_call(kind: str, name: str, **chosen: object) -> P.Call:
    """What the compiler must fill in: every declared argument at its declared default, except
    those in ``chosen``."""
    comp = REGISTRY.get(kind, name)
    assert comp is not None
    return P.Call(name, tuple((p.name, chosen.get(p.name, p.default)) for p in comp.params))


def compiled(text: str, tmp_path: Path, **kw: Any) -> P.Plan:
    return compile_text(text, tmp_path / "spec.al", REGISTRY, **kw)


def get(plan: P.Plan, path: str) -> Any:
    obj: Any = plan
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def test_the_smallest_spec_gets_every_default(tmp_path: Path) -> None:
    plan = compiled(BASE, tmp_path)
    expected = P.Plan(
        name="spec",
        seed=0,
        data=P.DataPlan(path=str(tmp_path / "items.jsonl"), format="jsonl", id_field="sku", text_fields=("title",)),
        labels=P.LabelPlan(source="list", column="tags"),
        model=P.ModelPlan(
            encoder=default_call("encoder", "hashed_bag"),
            trunk=default_call("trunk", "mlp"),
            heads=default_call("heads", "joint"),
        ),
        train=P.TrainPlan(),
        weighting=P.WeightPlan(imbalance=default_call("imbalance", "none")),
        query=P.QueryPlan(
            seed_size=100,
            seed_policy=default_call("policy", "random"),
            batch=100,
            unit="item",
            # unit item: IWAL over uncertainty, drawn to exactly the batch (cells: balanced uncertainty)
            policy=default_call("policy", "iwal", sampling="systematic"),
            budget=1000,
        ),
        oracle=default_call("oracle", "simulated"),
        evaluate=P.EvalPlan(),
        trainer=P.TrainerPlan(),
        spec_path=str(tmp_path / "spec.al"),
        spec_text=BASE,
    )
    assert plan == expected
    assert set(plan.origins) == {
        "data", "data.path", "data.id_field", "data.text_fields", "labels", "labels.column", "query", "query.budget",
    }


# (statements added to BASE or replacing part of it, plan path, value it compiles to)
TABLE: list[tuple[str, str, Any]] = [
    ('run "nightly" seed 42', "name", "nightly"),
    ("seed 2^31", "seed", 2**31),
    ("ceiling yes", "ceiling", True),
    ("repeat 5", "repeat", 5),
    ('data "items.csv.gz" { id sku  numeric price, "n stock"  test fraction 0.1 seed 9  limit 500 }', "data",
     "csv|sku|()|('price', 'n stock')|0.1|9|500"),
    ('data "items.parquet" { id sku  test file "held-out.jsonl" }', "data.test_path", "held-out.jsonl"),
    ('data "items.dat" { id sku  format csv }', "data.format", "csv"),
    ('labels from "tags" { separator "|"  min_positives 25  max_labels 40  include ["role::*"]  exclude ["x*"] }',
     "labels", "list|tags|'|'|25|40|('role::*',)|('x*',)"),
    ('labels columns ["*::*", "extra"] { min_positives 0 }', "labels", "columns|('*::*', 'extra')|0"),
    ('labels from "tags" { names ["a", "b"] }', "labels.names", ("a", "b")),
    ("model { encoder hashed_bag(dim=32, ngrams=1..3)  trunk mlp(128, 2)  heads independent(hidden=8)  ensemble 5"
     "  diversity poisson  dropout 0.2 }", "model",
     "hashed_bag|32|(1, 3)|mlp|128|2|independent|8|5|poisson|0.2"),
    ("model { trunk identity  heads grouped(separator=\"::\") }", "model.heads.kwargs",
     {"separator": "::", "hidden": 64, "dropout": 0.1}),
    ("train { epochs 3  batch 32  lr 1e-2  optimizer sgd  weight_decay 0.001  warm_start no  early_stop 2 }",
     "train", P.TrainPlan(3, 32, 0.01, "sgd", 0.001, False, 0, "cosine", 2)),
    ("train { min_steps 200 }", "train.min_steps", 200),
    ("train { schedule constant }", "train.schedule", "constant"),
    ("train { early_stop no }", "train.early_stop_patience", None),
    ("weighting { importance yes  clip 10  normalize yes  imbalance focal(gamma=1)  thresholds tuned }", "weighting",
     "True|10.0|True|focal(gamma=1.0, alpha=0.25)|tuned"),
    ("weighting { thresholds fixed 0.3  clip no }", "weighting", "fixed|0.3|None"),
    ("weighting { thresholds expected }", "weighting.thresholds", "expected"),
    ("query { seed 20 uncertainty(measure=margin)  batch 10  unit cell  policy iwal(floor=0.1)  budget 900"
     "  rounds 7  target micro_f1 0.6 }", "query", "20|uncertainty|margin|10|cell|iwal|0.1|900|7|micro_f1>=0.6"),
    ("query { budget 30 }", "query.seed_size", 30),  # the default seed set (one batch) fits the budget
    ("oracle simulated(0.1)", "oracle", P.Call("simulated", (("noise", 0.1),))),
    ('oracle file(path="answers.csv")', "oracle.kwargs", {"path": "answers.csv"}),
    ("evaluate { metrics [hamming, micro_ap]  every 3 }", "evaluate", P.EvalPlan(("hamming", "micro_ap"), 3)),
    ("evaluate { metrics micro_f1 }", "evaluate.metrics", ("micro_f1",)),
    ('trainer { accelerator gpu  devices [0, 1]  strategy ddp  precision bf16  loggers [csv, tensorboard]'
     '  deterministic no }', "trainer", P.TrainerPlan("gpu", "0,1", "ddp", "bf16-mixed", ("csv", "tensorboard"), False)),
    ("trainer { accelerator gpu  devices [2]  precision 16  loggers none }", "trainer",
     P.TrainerPlan("gpu", "2,", "auto", "16-mixed", (), True)),
    ('trainer { accelerator cuda  devices auto  strategy "fsdp"  precision "32-true" }', "trainer",
     P.TrainerPlan("cuda", "auto", "fsdp", "32-true", ("csv",), True)),
    ("trainer { devices 2  strategy ddp  precision bf16 }", "trainer", "2|ddp|bf16-mixed"),
]


def summary(path: str, value: Any, tmp_path: Path) -> Any:
    """A compact view of a whole section, for the table above."""
    if path == "data":
        return f"{value.format}|{value.id_field}|{value.text_fields}|{value.numeric_fields}|{value.test_fraction}|{value.test_seed}|{value.limit}"
    if path == "labels" and value.source == "list":
        return f"list|{value.column}|'{value.separator}'|{value.min_positives}|{value.max_labels}|{value.include}|{value.exclude}"
    if path == "labels":
        return f"columns|{value.columns}|{value.min_positives}"
    if path == "model":
        e, t, h = value.encoder.kwargs, value.trunk.kwargs, value.heads.kwargs
        return (f"{value.encoder.name}|{e['dim']}|{e['ngrams']}|{value.trunk.name}|{t['hidden']}|{t['layers']}|"
                f"{value.heads.name}|{h['hidden']}|{value.ensemble}|{value.diversity}|{value.dropout}")
    if path == "weighting" and value.thresholds == "tuned":
        return f"{value.importance}|{value.clip}|{value.normalize}|{value.imbalance}|{value.thresholds}"
    if path == "weighting":
        return f"{value.thresholds}|{value.threshold}|{value.clip}"
    if path == "query":
        rules = ",".join(f"{r.metric}>={r.target}" for r in value.stop)
        return (f"{value.seed_size}|{value.seed_policy.name}|{value.seed_policy.kwargs['measure']}|{value.batch}|"
                f"{value.unit}|{value.policy.name}|{value.policy.kwargs['floor']}|{value.budget}|{value.rounds}|{rules}")
    if path == "data.test_path":
        return str(Path(value).relative_to(tmp_path))
    if path == "trainer" and isinstance(value, P.TrainerPlan) and value.accelerator == "cpu":
        parts = [value.devices, value.precision, str(value.loggers)] if value.strategy == "auto" else [value.devices, value.strategy, value.precision]
        return "|".join(parts)
    return value


def with_statement(text: str) -> str:
    """BASE with ``text`` added, replacing the statement of BASE that ``text`` redefines."""
    lines = BASE.splitlines()
    first = text.split()[0]
    lines = [line for line in lines if line.split()[0] != first]
    return "\n".join(lines) + "\n" + text + "\n"


@pytest.mark.parametrize(("text", "path", "expected"), TABLE, ids=[f"{i}-{t[1]}" for i, t in enumerate(TABLE)])
def test_statement_compiles_to(text: str, path: str, expected: Any, tmp_path: Path) -> None:
    plan = compiled(with_statement(text), tmp_path)
    value = get(plan, path) if not path.endswith(".kwargs") else get(plan, path[: -len(".kwargs")]).kwargs
    if path == "oracle.kwargs":
        value = {"path": str(Path(value["path"]).relative_to(tmp_path))}
    assert summary(path, value, tmp_path) == expected


def test_layout_and_comments_do_not_change_the_plan(tmp_path: Path) -> None:
    spread = BASE.replace(" { ", " {\n  # the id\n  ").replace("  text", "\n  text") + "# end\n"
    a, b = compiled(BASE, tmp_path), compiled(spread, tmp_path)
    assert dataclasses.replace(b, spec_text=BASE) == a
    assert a.fingerprint() == b.fingerprint()
    assert a.origins["data.text_fields"] != b.origins["data.text_fields"]


def test_origins_point_at_the_values_and_arguments(tmp_path: Path) -> None:
    text = BASE.replace("query { budget 1000 }", "query {\n  batch 50\n  policy iwal(floor=0.1)\n  budget 1000\n}")
    plan = compiled(text, tmp_path)
    assert plan.origins["query.batch"] == Pos(4, 9, 4, 11)
    assert plan.origins["query.policy"].line == 5
    assert (plan.origins["query.policy.floor"].line, plan.origins["query.policy.floor"].column) == (5, 15)
    assert "query.policy.base" not in plan.origins  # a defaulted argument has no origin
    assert "train.epochs" not in plan.origins


def test_vary_axes_are_checked_values(tmp_path: Path) -> None:
    text = BASE + "vary policy [random, iwal(floor=0.05)]\nvary train.lr [0.01, 1e-3]\nvary unit [item, cell]\nrepeat 2\n"
    plan = compiled(text, tmp_path)
    assert [(a.key, a.path) for a in plan.vary] == [
        ("policy", "query.policy"),
        ("lr", "train.lr"),
        ("unit", "query.unit"),
    ]
    assert plan.vary[0].values == (default_call("policy", "random"), dataclasses.replace(
        default_call("policy", "iwal"),
        args=tuple((k, 0.05 if k == "floor" else v) for k, v in default_call("policy", "iwal").args),
    ))
    assert plan.vary[1].values == (0.01, 0.001)
    assert plan.vary[2].values == ("item", "cell")
    assert plan.repeat == 2 and plan.origins["vary.lr.1"].line == 5


def test_a_wider_root_allows_data_above_the_spec(tmp_path: Path) -> None:
    folder = tmp_path / "specs"
    folder.mkdir()
    text = BASE.replace('"items.jsonl"', '"../shared/items.jsonl"')
    spec = folder / "spec.al"
    spec.write_text(text)
    plan = compile_file(spec, REGISTRY, root=tmp_path)
    assert plan.data.path == str(tmp_path / "shared" / "items.jsonl")
    assert plan.spec_path == str(spec) and plan.spec_text == text


@pytest.mark.parametrize("spec", sorted(SPECS.glob("*.al")), ids=lambda p: p.name)
def test_every_example_spec_compiles(spec: Path) -> None:
    """Example specs are valid (with the first-party plugin where they name it)."""
    registry = load(autoload=False, names=["alframe-cardinality"]).registry
    plan = compile_file(spec, registry)
    assert plan.data.path.startswith(str(SPECS / "data"))
    assert plan.origins["query.budget"].line > 0


def test_plan_error_points_at_the_spec_line(tmp_path: Path) -> None:
    text = BASE.replace("query { budget 1000 }", "query {\n  batch 500\n  budget 1000\n}")
    plan = compiled(text, tmp_path)
    err = plan_error(plan, "query.batch", "batch 500 is larger than the pool of 300 items", "E404")
    assert err.render().splitlines() == [
        f"{tmp_path / 'spec.al'}:4:9: error[E404]: batch 500 is larger than the pool of 300 items",
        "   4 |   batch 500",
        "               ^^^",
    ]
    # a defaulted field points at its block; a field of an absent block at nothing
    assert plan_error(plan, "query.seed_size", "m", "E404").pos == plan.origins["query"]
    assert plan_error(plan, "train.epochs", "m", "E404").pos is None
