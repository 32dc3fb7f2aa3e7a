"""Whatever the input, the checker answers with a Plan or clean spec errors: never a crash.

Random bytes, random soups of the language's own tokens, and random edits of a valid spec.
Every error must carry a known code, a position inside the file (or none) and must render.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alframe.compile import compile_file, compile_text
from alframe.errors import SpecErrors
from alframe.lang.codes import CODES
from alframe.lang.parse import patterns
from alframe.plan import Plan
from alframe.plugins import load

REGISTRY = load(autoload=False).registry
FUZZ = settings(max_examples=int(os.environ.get("ALFRAME_FUZZ_EXAMPLES", "150")), deadline=None, suppress_health_check=[HealthCheck.too_slow])
VALID = (Path(__file__).resolve().parents[2] / "specs" / "committee-iwal.al").read_text()


def check_outcome(text: str, compile_it: object) -> None:
    try:
        plan = compile_it()  # type: ignore[operator]
    except SpecErrors as exc:
        assert exc.errors
        n_lines = max(1, text.count("\n") + 1)
        for err in exc.errors:
            assert err.code in CODES, err.code
            if err.pos is not None:
                assert 1 <= err.pos.line <= n_lines + 1, (err.pos, n_lines)
        rendered = exc.render()
        assert "Traceback" not in rendered
        return
    assert isinstance(plan, Plan)


@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes(data: bytes) -> None:
    fd, name = tempfile.mkstemp(suffix=".al")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        check_outcome(data.decode("utf-8", "replace"), lambda: compile_file(name, REGISTRY))
    finally:
        os.unlink(name)


WORDS = sorted(set(patterns().values()) | {
    "hashed_bag", "mlp", "joint", "iwal", "uncertainty", "random", "simulated", "micro_f1", "pos_weight",
    "yes", "no", "item", "cell", "os.system", "pkg:attr", "__import__", "x", "dim", "floor",
})
TOKENS = st.one_of(
    st.sampled_from(WORDS),
    st.integers(-10**6, 10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from(['"items.jsonl"', '"a::b"', '"../x.csv"', '"/etc/passwd"', '"', "2^18", "1..3", "# note\n", "\n", "@", "'"]),
)


@FUZZ
@given(st.lists(TOKENS, max_size=60))
def test_token_soup(tokens: list[str]) -> None:
    text = " ".join(tokens)
    check_outcome(text, lambda: compile_text(text, "/tmp/soup/spec.al", REGISTRY))


@FUZZ
@given(st.lists(st.tuples(st.integers(0, len(VALID)), st.integers(0, 6), st.sampled_from(
    ["", "}", "{", "(", ")", "[", "]", ",", "=", "x", "0", '"', "..", "-", "\n", "policy", "seed"]
)), min_size=1, max_size=4))
def test_edits_of_a_valid_spec(edits: list[tuple[int, int, str]]) -> None:
    text = VALID
    for at, cut, insert in edits:
        at = min(at, len(text))
        text = text[:at] + insert + text[at + cut:]
    check_outcome(text, lambda: compile_text(text, "/tmp/edits/spec.al", REGISTRY))
