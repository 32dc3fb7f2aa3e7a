"""``names file "labels.txt"`` (issue 10, item 1): the label space of a cold start from a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from alframe.compile import compile_file
from alframe.errors import SpecErrors
from alframe.plugins import load

SPEC = 'data "items.jsonl" {{ id sku  text title  test fraction 0 }}\nlabels from "tags" {{ {labels} }}\nquery {{ budget 1000 }}\n'


def compile_with(tmp_path: Path, labels: str, files: dict[str, bytes]) -> object:
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    spec = tmp_path / "spec.al"
    spec.write_text(SPEC.format(labels=labels), encoding="utf-8")
    return compile_file(spec, load(autoload=False).registry)


def errors(tmp_path: Path, labels: str, files: dict[str, bytes]) -> str:
    with pytest.raises(SpecErrors) as err:
        compile_with(tmp_path, labels, files)
    return err.value.render()


def test_the_file_gives_the_names_in_the_plan(tmp_path: Path) -> None:
    text = "\ufeff# labels of the catalogue\nrole::program\n\n  interface::commandline  \r\n#role::devel-lib\n"
    plan = compile_with(tmp_path, 'names file "labels.txt"', {"labels.txt": text.encode()})
    assert plan.labels.names == ("role::program", "interface::commandline")  # type: ignore[attr-defined]
    assert plan.origin("labels.names") is not None  # type: ignore[attr-defined]


@pytest.mark.parametrize(("labels", "files", "code", "words"), [
    ('names file "missing.txt"', {}, "E506", "cannot read the label file 'missing.txt': no such file"),
    ('names file "labels.txt"', {"labels.txt": b"caf\xe9\n"}, "E506", "is not UTF-8"),
    ('names file "labels.txt"', {"labels.txt": b"# nothing\n\n"}, "E311", "holds no label name"),
    ('names file "labels.txt"', {"labels.txt": b"a\nb\na\n"}, "E401", "'a' is listed twice"),
    ('names file "../labels.txt"', {}, "E501", "leads out of the spec's folder"),
    ('names file "labels.txt"  names ["a"]', {"labels.txt": b"a\n"}, "E401", "'names' is given twice"),
    ('names file "labels.txt"  min_positives 5', {"labels.txt": b"a\n"}, "E404", "names"),
])
def test_a_bad_label_file_is_a_spec_error(tmp_path: Path, labels: str, files: dict[str, bytes], code: str, words: str) -> None:
    got = errors(tmp_path, labels, files)
    assert f"error[{code}]" in got and words in got, got
    assert "spec.al:2:" in got
