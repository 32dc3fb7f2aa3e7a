"""The corpus of broken specs in ``bad/``: each one's full message, checked against its
``.err`` file (code, line:col, source line, caret, expected, suggestion), and the hostile inputs
that must fail fast and cleanly (generated here rather than committed).

The corpus is checked against the built-in components alone, so the messages do not depend
on which plugins happen to be installed. To rewrite the ``.err`` files after a deliberate
change of wording: ``python tests/lang/test_bad_specs.py --update`` (then read the diff).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from alframe.compile import compile_file, compile_text
from alframe.errors import SpecError, SpecErrors
from alframe.plugins import load

BAD = Path(__file__).parent / "bad"
CASES = sorted(BAD.glob("*.al"))
REGISTRY = load(autoload=False).registry
REGISTRY.unloaded = ()  # the built-ins alone, whatever is installed
FAST = 2.0  # seconds; "about a second" with room for a slow CI machine
# expected-name lists that come from the built-in declarations rather than from the language
_REGISTRY_LISTS = ("E201", "E301", "E302")


def render(path: Path) -> str:
    with pytest.raises(SpecErrors) as info:
        compile_text(path.read_text(), f"bad/{path.name}", REGISTRY)
    return info.value.render() + "\n"


def comparable(text: str) -> str:
    """Drop the lists of installed names (they grow as built-ins are added)."""
    out: list[str] = []
    code = ""
    for line in text.splitlines():
        m = re.search(r"error\[(E\d+)\]", line)
        if m:
            code = m.group(1)
        if line.startswith("  expected:") and code in _REGISTRY_LISTS:
            continue
        out.append(line)
    return "\n".join(out)


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40
    assert {p.with_suffix(".err").name for p in CASES} <= {p.name for p in BAD.glob("*.err")}


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_bad_spec_message(path: Path) -> None:
    started = time.perf_counter()
    got = render(path)
    assert time.perf_counter() - started < FAST
    intended = re.match(r"# (E\d{3}):", path.read_text()).group(1)  # type: ignore[union-attr]
    assert f"error[{intended}]" in got, got
    assert "Traceback" not in got
    assert comparable(got) == comparable(path.with_suffix(".err").read_text())


def test_all_errors_of_a_file_are_reported() -> None:
    got = render(BAD / "syntax-several-errors.al")
    assert [m for m in re.findall(r":(\d+):\d+: error", got)] == ["5", "6", "7"]


def test_the_command_line_prints_the_same_without_a_traceback() -> None:
    names = ["name-unknown-policy", "syntax-missing-brace", "code-dotted-name", "limit-deep-nesting", "arg-wrong-type"]
    paths = [BAD / f"{name}.al" for name in names]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALFRAME_")}
    done = subprocess.run(
        [sys.executable, "-m", "alframe.cli.main", "--no-plugins", "check", *map(str, paths)],
        capture_output=True, text=True, timeout=120, env=env,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stdout == ""
    for name, path in zip(names, paths):
        header = render(path).splitlines()[0].replace(f"bad/{name}.al", str(path))
        assert header in done.stderr.splitlines()
    assert done.stderr.rstrip().endswith("5 spec(s) checked: 0 valid, 5 with 5 error(s)")


# ---- hostile input, generated ---------------------------------------------------------


def fails_fast(text: str, code: str, tmp_path: Path) -> SpecErrors:
    spec = tmp_path / "hostile.al"
    spec.write_text(text)
    started = time.perf_counter()
    with pytest.raises(SpecErrors) as info:
        compile_file(spec, REGISTRY)
    took = time.perf_counter() - started
    assert took < FAST, f"{code} took {took:.2f}s"
    assert code in [e.code for e in info.value.errors], info.value.render()[:500]
    assert len(info.value.render()) < 20_000
    return info.value


def test_a_50_mb_file_is_refused_before_reading(tmp_path: Path) -> None:
    fails_fast("# " + "x" * (50 << 20), "E601", tmp_path)


def test_a_10_mb_string(tmp_path: Path) -> None:
    fails_fast('run "' + "a" * (10 << 20) + '"', "E601", tmp_path)


def test_a_long_string_inside_the_size_limit(tmp_path: Path) -> None:
    fails_fast('run "' + "a" * 500_000 + '"', "E604", tmp_path)


@pytest.mark.parametrize("opener", ["[", "(", "{"])
def test_nesting_depth_100_000(opener: str, tmp_path: Path) -> None:
    fails_fast("vary policy " + opener * 100_000, "E602", tmp_path)


def test_a_100_000_digit_number(tmp_path: Path) -> None:
    fails_fast("seed " + "7" * 100_000, "E603", tmp_path)


def test_a_flood_of_tokens(tmp_path: Path) -> None:
    fails_fast("seed 1 " * 60_000, "E605", tmp_path)


def test_a_flood_of_errors_is_capped(tmp_path: Path) -> None:
    errors = fails_fast("train { epochs x }\n" * 2_000, "E606", tmp_path)
    assert len(errors.errors) <= 52


def test_a_long_line_gets_a_caret_in_a_window(tmp_path: Path) -> None:
    errors = fails_fast("#" + " " * 300 + "\n" + " " * 300 + "@", "E101", tmp_path)
    text = errors.render()
    assert text.count("\n") < 5 and max(map(len, text.splitlines())) < 200
    source, caret = text.splitlines()[1:3]
    assert source.startswith("   2 | …") and caret.index("^") == source.index("@")


@pytest.mark.parametrize("column", [201, 5_000])
def test_a_caret_far_along_a_line_is_under_its_text(column: int) -> None:
    text = HEAD_OK + "train { " + " " * (column - 16) + "epochs x }\n"
    with pytest.raises(SpecErrors) as info:
        compile_text(text, "s.al", REGISTRY)
    (err,) = info.value.errors
    assert err.pos is not None and (err.pos.line, err.pos.column) == (3, column)
    lines = err.render().splitlines()
    assert lines[1].startswith("   3 | ") and lines[2].index("^") == lines[1].index("x }")
    assert max(map(len, lines)) < 200


HEAD_OK = 'data "items.jsonl" { id sku }  labels from "tags"\nquery { budget 1000 }\n'
SEPARATORS = ["\f", "\v", "\u2028", "\u2029", "\x85", "\x1c", "\x1d", "\x1e"]


@pytest.mark.parametrize("sep", SEPARATORS, ids=lambda c: f"U+{ord(c):04X}")
def test_the_source_line_is_the_one_the_parser_counted(sep: str) -> None:
    """Python's splitlines also breaks at these; the parser counts only newlines."""
    text = f"# a comment{sep}with an odd character in it\n" + HEAD_OK + "train { epochs x }\n"
    with pytest.raises(SpecErrors) as info:
        compile_text(text, "s.al", REGISTRY)
    (err,) = info.value.errors
    lines = err.render().splitlines()
    assert lines[0].startswith("s.al:4:16: error[E102]")
    assert lines[1] == "   4 | train { epochs x }" and lines[2].index("^") == lines[1].index("x")


@pytest.mark.parametrize("sep", ["\t", "\f", "\v", "\u2028"], ids=lambda c: f"U+{ord(c):04X}")
def test_an_odd_character_on_the_shown_line_keeps_the_caret_under_its_column(sep: str) -> None:
    """A tab or control character on the shown line is printed as one space: it neither breaks
    the line on screen nor pushes the text away from the caret."""
    with pytest.raises(SpecErrors) as info:
        compile_text(HEAD_OK + f"train {{{sep}epochs x }}\n", "s.al", REGISTRY)
    err = info.value.errors[0]
    lines = err.render().splitlines()
    assert lines[1] == "   3 | train { epochs x }"
    assert err.pos is not None and lines[2].index("^") == len("   3 | ") + err.pos.column - 1
    assert lines[1][lines[2].index("^")] == ("x" if sep in "\t\f" else " ")


def test_an_unknown_escape_is_located_after_known_ones() -> None:
    text = HEAD_OK + 'run "a\\\\b\\tc\\q"\n'  # run "a\\b\tc\q": two known escapes, then \q
    with pytest.raises(SpecErrors) as info:
        compile_text(text, "s.al", REGISTRY)
    (err,) = info.value.errors  # one error for the string, not a second about the run name
    assert err.code == "E107" and err.pos is not None and (err.pos.line, err.pos.column) == (3, 13)
    assert "unknown escape '\\q'" in err.message


def test_old_mac_line_ends_are_line_ends(tmp_path: Path) -> None:
    spec = tmp_path / "mac.al"
    spec.write_bytes((HEAD_OK + "# a comment\ntrain { epochs x }\n").replace("\n", "\r").encode())
    with pytest.raises(SpecErrors) as info:
        compile_file(spec, REGISTRY)
    (err,) = info.value.errors
    lines = err.render().splitlines()
    assert ":4:16: error[E102]" in lines[0]
    assert lines[1] == "   4 | train { epochs x }"
    good = tmp_path / "good.al"
    good.write_bytes(HEAD_OK.replace("\n", "\r").encode())
    assert compile_file(good, REGISTRY).query.budget == 1000


def test_bytes_that_are_not_utf8(tmp_path: Path) -> None:
    spec = tmp_path / "latin1.al"
    spec.write_bytes('run "café"\n'.encode() + b'seed 1 # \xe9t\xe9\n')
    with pytest.raises(SpecErrors) as info:
        compile_file(spec, REGISTRY)
    (err,) = info.value.errors
    assert (err.code, err.pos.line, err.pos.column) == ("E106", 2, 10)  # type: ignore[union-attr]


def test_a_missing_spec_file(tmp_path: Path) -> None:
    with pytest.raises(SpecErrors) as info:
        compile_file(tmp_path / "nope.al", REGISTRY)
    assert info.value.errors[0].code == "E505"
    assert "nope.al" in info.value.render()


def test_a_named_pipe_or_a_device_is_refused_without_waiting(tmp_path: Path) -> None:
    """No writer ever opens the pipe: reading it would wait for ever."""
    fifo = tmp_path / "spec.al"
    os.mkfifo(fifo)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ALFRAME_")}
    done = subprocess.run(
        [sys.executable, "-m", "alframe.cli.main", "--no-plugins", "check", str(fifo), os.devnull],
        capture_output=True, text=True, timeout=60, env=env,
    )
    assert done.returncode == 2
    assert f"{fifo}: error[E505]: cannot read the spec file: it is a named pipe, not a regular file" in done.stderr
    assert f"{os.devnull}: error[E505]: cannot read the spec file: it is a device, not a regular file" in done.stderr
    assert "Traceback" not in done.stderr


def test_a_symlink_out_of_the_folder(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "items.jsonl").write_text("{}\n")
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "data").symlink_to(outside)
    spec = folder / "spec.al"
    spec.write_text('data "data/items.jsonl" { id sku }\nlabels from "tags"\nquery { budget 10 }\n')
    with pytest.raises(SpecErrors) as info:
        compile_file(spec, REGISTRY)
    (err,) = info.value.errors
    assert err.code == "E503" and (err.pos.line, err.pos.column) == (1, 6)  # type: ignore[union-attr]
    # a wider root allows it
    assert compile_file(spec, REGISTRY, root=tmp_path).data.path == str((outside / "items.jsonl").resolve())


def test_a_bom_and_crlf_line_ends_are_fine(tmp_path: Path) -> None:
    spec = tmp_path / "windows.al"
    spec.write_bytes(b'\xef\xbb\xbfdata "items.jsonl" { id sku }\r\nlabels from "tags"\r\nquery { budget 10 }\r\n')
    assert compile_file(spec, REGISTRY).query.budget == 10


def test_errors_are_spec_errors_with_positions() -> None:
    with pytest.raises(SpecErrors) as info:
        compile_text('query { budget "ten" }', "x.al", REGISTRY)
    assert all(isinstance(e, SpecError) and e.path == "x.al" for e in info.value.errors)


def _update() -> None:
    for path in CASES:
        try:
            compile_text(path.read_text(), f"bad/{path.name}", REGISTRY)
        except SpecErrors as exc:
            path.with_suffix(".err").write_text(exc.render() + "\n")
        else:
            print(f"{path.name} compiles: not a bad spec")


if __name__ == "__main__" and "--update" in sys.argv:
    _update()
