"""The grammar and the transformer: what the language accepts and the Spec it builds."""

from __future__ import annotations

import pytest
from lark import Lark

from alframe.lang import parse as parse_module
from alframe.lang.parse import parse, parser
from alframe.lang.transform import SpecTransformer, transform
from alframe.spec import (
    Arg,
    CallValue,
    CodeRef,
    ListValue,
    Name,
    Number,
    Range,
    Spec,
    Text,
)


def spec_of(text: str) -> Spec:
    result = parse(text)
    assert result.errors == [], [e.render() for e in result.errors]
    assert result.tree is not None
    spec, errors, _ = transform(result.tree)
    assert errors == [], [e.render() for e in errors]
    return spec


def call(name: str, *args: Arg, parens: bool = False) -> CallValue:
    return CallValue(Name(name), tuple(args), parens=parens or bool(args))


def test_the_parser_is_lalr_built_once_from_the_package_file() -> None:
    p = parser()
    assert isinstance(p, Lark) and p.options.parser == "lalr" and p.options.propagate_positions
    assert parser() is p
    assert parse_module.parser.cache_info().misses == 1


def test_every_grammar_rule_has_a_handler() -> None:
    rules = {r.origin.name for r in parser().rules}
    named = {str(r) for r in rules if not str(r).startswith("_") and str(r) not in ("value", "name", "field")}
    missing = sorted(r for r in named if not callable(getattr(SpecTransformer, r, None)))
    assert missing == []


def test_numbers_in_every_form() -> None:
    spec = spec_of(
        "model { encoder hashed_bag(dim=64, buckets=2^18, ngrams=1..3, char_ngrams=0..0) dropout 0.25 }"
        " train { lr 3e-3  weight_decay 1E-4  batch 1_024 } seed 7"
    )
    assert spec.model.encoder.args == (  # type: ignore[union-attr]
        Arg("dim", Number(64, "64")),
        Arg("buckets", Number(262144, "2^18")),
        Arg("ngrams", Range(1, 3)),
        Arg("char_ngrams", Range(0, 0)),
    )
    assert spec.model.dropout == Number(0.25, "0.25")  # type: ignore[union-attr]
    assert spec.train.lr.value == 0.003 and spec.train.weight_decay.value == 1e-4  # type: ignore[union-attr]
    assert spec.train.batch.value == 1024 and isinstance(spec.train.batch.value, int)  # type: ignore[union-attr]
    assert spec_of("query { budget -5 }").query.budget == Number(-5, "-5")  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("literal", "message"),
    [
        ("1e400", "1e400 is out of range: too large for a number"),
        ("-1e400", "1e400 is out of range: too large for a number"),
        ("1.5E+309", "1.5E+309 is out of range: too large for a number"),
        ("1e-400", "1e-400 is out of range: too small to tell from 0"),
        ("-2.5e-999", "2.5e-999 is out of range: too small to tell from 0"),
        ("2^64", "2^64 is out of range: larger than 2^63-1"),
    ],
)
def test_a_number_out_of_range_is_a_located_error(literal: str, message: str) -> None:
    result = parse(f"train {{ weight_decay {literal} }}")
    assert result.tree is not None and result.errors == []
    _, errors, _ = transform(result.tree)
    assert [e.code for e in errors] == ["E603"] and message in errors[0].message
    assert errors[0].pos is not None and (errors[0].pos.line, errors[0].pos.column) == (1, 22 + literal.startswith("-"))


def test_numbers_at_the_edges_of_the_range_are_kept() -> None:
    assert spec_of("train { weight_decay 0e-400 }").train.weight_decay.value == 0.0  # type: ignore[union-attr]
    assert spec_of("train { weight_decay 0.000e5 }").train.weight_decay.value == 0.0  # type: ignore[union-attr]
    assert spec_of("train { weight_decay 1e-320 }").train.weight_decay.value == 1e-320  # type: ignore[union-attr]
    assert spec_of("train { weight_decay 1.7e308 }").train.weight_decay.value == 1.7e308  # type: ignore[union-attr]


def test_strings_comments_and_layout() -> None:
    one_line = spec_of('data "a \\"b\\".jsonl" { id "item id"  text title, "long text" } # the data')
    spread = spec_of('# a comment\ndata\n  "a \\"b\\".jsonl"\n{\n  id "item id"\n  text title,\n       "long text"\n}\n')
    assert one_line == spread  # positions are not part of equality
    assert one_line.data.path == Text('a "b".jsonl')  # type: ignore[union-attr]
    assert one_line.data.text_fields == (Text("title"), Text("long text"))  # type: ignore[union-attr]
    assert one_line.data.path.pos != spread.data.path.pos  # type: ignore[union-attr]


def test_statement_words_are_keywords_only_where_a_statement_may_start() -> None:
    spec = spec_of('data "d.csv" { id text  text test, limit, id  test fraction 0.1 }')
    assert spec.data.id_field == Text("text")  # type: ignore[union-attr]
    assert spec.data.text_fields == (Text("test"), Text("limit"), Text("id"))  # type: ignore[union-attr]
    # a registry name may be spelt like a statement word: the compiler looks it up
    assert spec_of("query { policy batch }").query.policy == call("batch")  # type: ignore[union-attr]


def test_calls_lists_and_positional_arguments() -> None:
    spec = spec_of(
        "weighting { imbalance pos_weight(sqrt) } model { heads joint() }"
        ' vary policy [random, iwal(base=disagreement, floor=0.02), "quoted"]'
    )
    assert spec.weighting.imbalance == call("pos_weight", Arg(None, call("sqrt")))  # type: ignore[union-attr]
    assert spec.model.heads == CallValue(Name("joint"), (), parens=True)  # type: ignore[union-attr]
    (vary,) = spec.vary
    assert vary.key == Name("policy")
    assert vary.values == ListValue((
        call("random"),
        call("iwal", Arg("base", call("disagreement")), Arg("floor", Number(0.02, "0.02"))),
        Text("quoted"),
    ))


def test_code_looking_names_are_kept_for_the_compiler_to_refuse() -> None:
    spec = spec_of("query { policy os.system } oracle pkg.mod:attr vary train.lr [0.1]")
    assert spec.query.policy.name == CodeRef("os.system", "dotted")  # type: ignore[union-attr]
    assert spec.oracle.name == CodeRef("pkg.mod:attr", "colon")  # type: ignore[union-attr]
    assert spec.vary[0].key == CodeRef("train.lr", "dotted")


def test_composite_statements() -> None:
    spec = spec_of(
        'data "d.jsonl" { id sku  test file "test.jsonl" }  labels columns ["a::*", "b"] { exclude "x" }'
        " weighting { thresholds fixed 0.3 }"
        " query { seed 50 random  target micro_f1 0.5  target macro_f1 0.9 of ceiling }"
    )
    assert spec.data.test.file == Text("test.jsonl") and spec.data.test.fraction is None  # type: ignore[union-attr]
    assert spec.labels.source == "columns" and spec.labels.columns == (Text("a::*"), Text("b"))  # type: ignore[union-attr]
    assert spec.labels.exclude == (Text("x"),)  # type: ignore[union-attr]
    assert spec.weighting.thresholds.mode == Name("fixed")  # type: ignore[union-attr]
    q = spec.query
    assert q.seed.size.value == 50 and q.seed.policy == call("random")  # type: ignore[union-attr]
    assert [(t.metric.value, t.value.value, t.of_ceiling) for t in q.targets] == [  # type: ignore[union-attr]
        ("micro_f1", 0.5, False),
        ("macro_f1", 0.9, True),
    ]


def test_every_value_keeps_its_position() -> None:
    text = 'data "d.jsonl" { id sku }\nquery {\n  budget 300\n  policy iwal(floor=0.1)\n}\n'
    spec = spec_of(text)
    budget = spec.query.budget  # type: ignore[union-attr]
    assert (budget.pos.line, budget.pos.column, budget.pos.end_column) == (3, 10, 13)  # type: ignore[union-attr]
    arg = spec.query.policy.args[0]  # type: ignore[union-attr]
    assert (arg.value.pos.line, arg.value.pos.column) == (4, 21)  # type: ignore[union-attr]
    assert (arg.name_pos.line, arg.name_pos.column) == (4, 15)  # type: ignore[union-attr]
