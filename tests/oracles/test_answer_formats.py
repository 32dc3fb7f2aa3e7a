"""Answers files in every format (CSV and JSONL, long and wide; a Label Studio export), and
the bad-input corpus: every problem of a file reported at once, each row's message checked."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from oracle_data import small_dataset

from alframe.errors import DataError
from alframe.oracles.answer_formats import MAX_PROBLEMS, AnswerFileErrors, detect_format
from alframe.oracles.answers_file import FileOracle
from alframe.questions import label_studio_config, label_studio_tasks

LABELS = ["outdoor", "kids", "garden"]


def given(tmp_path: Path, text: str, name: str = "answers.csv") -> dict[tuple[str, str], int]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    ds = small_dataset()
    return {(ds.ids[i], ds.label_names[j]): v for (i, j), v in FileOracle(str(path)).given(ds).items()}


def problems(tmp_path: Path, text: str, name: str = "answers.csv") -> list[DataError]:
    with pytest.raises(AnswerFileErrors) as err:
        given(tmp_path, text, name)
    return err.value.errors


LONG_CSV = "id,label,value\nsku-001,outdoor,1\nsku-001,kids,no\nsku-002,garden,TRUE\nsku-002,kids,\n"
WIDE_CSV = "id,outdoor,kids,garden,text\nsku-001,1,no,,a tent\nsku-002,,,true,a hose\n"
LONG_JSONL = (
    '{"id": "sku-001", "label": "outdoor", "value": 1}\n{"id": "sku-001", "label": "kids", "value": "no"}\n'
    '{"id": "sku-002", "label": "garden", "value": true}\n{"id": "sku-002", "label": "kids", "value": null}\n'
)
WIDE_JSONL = '{"id": "sku-001", "outdoor": 1, "kids": false, "garden": null, "text": "a tent"}\n{"id": "sku-002", "garden": "yes"}\n'
EXPECTED = {("sku-001", "outdoor"): 1, ("sku-001", "kids"): 0, ("sku-002", "garden"): 1}


@pytest.mark.parametrize(
    ("text", "name"),
    [(LONG_CSV, "a.csv"), (WIDE_CSV, "a.csv"), (LONG_JSONL, "a.jsonl"), (WIDE_JSONL, "a.jsonl"), (LONG_JSONL, "a.txt")],
    ids=["csv-long", "csv-wide", "jsonl-long", "jsonl-wide", "jsonl-any-name"],
)
def test_every_format_gives_the_same_answers(tmp_path: Path, text: str, name: str) -> None:
    assert given(tmp_path, text, name) == EXPECTED


def test_the_format_comes_from_the_content() -> None:
    assert [detect_format(t) for t in ("id,label,value\n", ' \n{"id": 1}', "  [ ]", "")] == [
        "csv", "jsonl", "label-studio", "csv"
    ]


def _annotation(choices: list[str], *, control: str = "labels", cancelled: bool = False, at: str = "2026-01-01") -> dict:
    return {
        "was_cancelled": cancelled,
        "updated_at": at,
        "result": [{"from_name": control, "to_name": "text", "type": "choices", "value": {"choices": choices}}],
    }


def test_a_label_studio_export_unit_item(tmp_path: Path) -> None:
    ds = small_dataset()
    tasks = label_studio_tasks([("sku-001", "outdoor"), ("sku-001", "kids"), ("sku-002", "garden"),
                                ("sku-003", "kids")], ds, "item", None, version="t")
    tasks[0]["annotations"] = [_annotation(["kids"], at="2026-01-01"), _annotation(["outdoor"], at="2026-01-02")]
    tasks[1]["annotations"] = [_annotation([])]
    tasks[2]["annotations"] = [_annotation(["kids"], cancelled=True)]  # skipped: answers nothing
    tasks[0]["predictions"] = [{"result": [{"value": {"choices": ["kids"]}}]}]  # never an answer
    assert given(tmp_path, json.dumps(tasks), "export.json") == {
        ("sku-001", "outdoor"): 1, ("sku-001", "kids"): 0, ("sku-002", "garden"): 0,
    }


def test_a_label_studio_export_unit_cell(tmp_path: Path) -> None:
    ds = small_dataset()
    tasks = label_studio_tasks([("sku-001", "outdoor"), ("sku-002", "kids"), ("sku-003", "garden")], ds, "cell", None,
                               version="t")
    tasks[0]["annotations"] = [_annotation(["yes"], control="answer")]
    tasks[1]["annotations"] = [_annotation(["no"], control="answer")]
    assert given(tmp_path, json.dumps(tasks), "export.json") == {("sku-001", "outdoor"): 1, ("sku-002", "kids"): 0}


def test_the_labelling_config_names_every_label_escaped() -> None:
    xml = label_studio_config(["outdoor", 'a "b" & <c>'], "item")
    assert 'choice="multiple"' in xml and '<Choice value="outdoor"/>' in xml
    cell = label_studio_config(["outdoor"], "cell")
    assert '<Choice value="yes"/>' in cell and "outdoor" not in cell
    import xml.dom.minidom

    xml_doc = xml.dom.minidom.parseString(label_studio_config(["x&y", "<z>"], "item"))
    assert [c.getAttribute("value") for c in xml_doc.getElementsByTagName("Choice")] == ["x&y", "<z>"]


# -- the bad-input corpus: one file, every problem reported, each message checked --------------

BAD_CSV = """id,label,value
sku-001,outdoor,1
sku-001,outdor,1
sku-0001,kids,1
sku-002,kids,2
sku-002,garden,maybe
sku-003,kids,0.5
sku-001,outdoor,0
,kids,1
sku-004,,1
sku-004,kids
sku-004,kids,1,extra
sku-005,garden,-1
sku-001,outdoor,1
"""

EXPECTED_PROBLEMS = [
    (3, "label", "D305", "unknown label 'outdor'", "did you mean 'outdoor'?"),
    (4, "id", "D305", "unknown id 'sku-0001'", "did you mean 'sku-001'?"),
    (5, "value", "D306", "value '2' is not an answer", None),
    (6, "value", "D306", "value 'maybe' is not an answer", None),
    (7, "value", "D306", "value '0.5' is not an answer", None),
    (8, "value", "D307", "answered 1 on row 2 and 0 on row 8", "keep one answer for the cell"),
    (9, "id", "D305", "empty id", None),
    (10, "label", "D305", "empty label", None),
    (11, None, "D303", "2 fields, the header has 3", None),
    (12, None, "D303", "4 fields, the header has 3", None),
    (13, "value", "D306", "value '-1' is not an answer", None),
]


def test_the_bad_input_corpus_every_problem_at_once_by_row(tmp_path: Path) -> None:
    found = problems(tmp_path, BAD_CSV)
    got = sorted(found, key=lambda e: e.row or 0)
    assert [(e.row, e.field, e.code) for e in got] == [(r, f, c) for r, f, c, _, _ in EXPECTED_PROBLEMS]
    for e, (_, _, _, message, hint) in zip(got, EXPECTED_PROBLEMS):
        assert message in e.message, (e.row, e.message)
        if hint:
            assert e.hint and hint in e.hint, (e.row, e.hint)
    path = tmp_path / "answers.csv"
    with pytest.raises(AnswerFileErrors) as err:
        given(tmp_path, BAD_CSV)
    text = err.value.render()
    assert f"{path}, row 3, field 'label': error[D305]: unknown label 'outdor'" in text
    assert "11 problem(s)" in text and "nothing of the file was stored" in text
    assert err.value.exit_code == 3 and isinstance(err.value, DataError)


def test_a_wide_header_with_an_unknown_or_repeated_label(tmp_path: Path) -> None:
    found = problems(tmp_path, "id,outdoor,kid,outdoor,_note\nsku-001,1,0,1,x\nsku-002,yes,nope,,\n")
    assert [(e.row, e.field, e.code) for e in found] == [(1, "kid", "D305"), (1, "outdoor", "D309")]
    assert "did you mean 'kids'?" in (found[0].hint or "") and "appears twice" in found[1].message


def test_jsonl_problems_name_the_line(tmp_path: Path) -> None:
    text = '{"id": "sku-001", "label": "kids", "value": 1}\nnot json\n[1, 2]\n{"label": "kids", "value": 1}\n' \
           '{"id": "sku-002", "label": "kids", "value": 7}\n{"id": "sku-003", "gardn": 1}\n'
    found = problems(tmp_path, text, "a.jsonl")
    assert [(e.row, e.code) for e in found] == [(2, "D310"), (3, "D310"), (4, "D304"), (5, "D306"), (6, "D305")]
    assert "did you mean 'garden'?" in (found[-1].hint or "")


def test_label_studio_problems_name_the_task(tmp_path: Path) -> None:
    tasks = [
        {"data": {"id": "sku-001", "asked": ["kids"]}, "annotations": [_annotation(["kidz"])]},
        {"data": {"text": "no id"}, "annotations": [_annotation(["kids"])]},
        {"data": {"id": "sku-009", "label": "kids"}, "annotations": [_annotation(["yes"], control="answer")]},
        {"data": {"id": "sku-002", "label": "kids"}, "annotations": [_annotation(["yes", "no"], control="answer")]},
        "not a task",
    ]
    found = problems(tmp_path, json.dumps(tasks), "export.json")
    assert [(e.row, e.code) for e in found] == [(1, "D305"), (2, "D305"), (3, "D305"), (4, "D306"), (5, "D310")]
    assert "unknown label 'kidz'" in found[0].message and "did you mean 'kids'?" in (found[0].hint or "")
    assert "unknown id 'sku-009'" in found[2].message


def test_problems_are_capped_and_counted(tmp_path: Path) -> None:
    text = "id,label,value\n" + "".join(f"sku-001,kids,{k + 2}\n" for k in range(MAX_PROBLEMS + 7))
    with pytest.raises(AnswerFileErrors) as err:
        given(tmp_path, text)
    assert len(err.value.errors) == MAX_PROBLEMS and err.value.more == 7
    assert "… and 7 more problem(s) not shown" in err.value.render()


def test_the_oracle_answers_from_a_wide_file(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(WIDE_CSV)
    out = FileOracle(str(path)).answer(small_dataset(), np.array([1, 1, 1, 2]), np.array([0, 1, 2, 2]),
                                       np.random.default_rng(0))
    assert out.tolist() == [1, 0, -1, 1]


def test_a_cell_given_the_same_answer_twice_is_one_answer_and_counted() -> None:
    from alframe.oracles.answer_formats import Space, parse_text

    rows = parse_text("id,label,value\nsku-001,kids,1\nsku-001,kids,yes\nsku-002,kids,0\n", "a.csv", Space(LABELS))
    assert [(r.item, r.label, r.value, r.row) for r in rows] == [("sku-001", "kids", 1, 2), ("sku-002", "kids", 0, 4)]
    assert rows.repeated == 1
