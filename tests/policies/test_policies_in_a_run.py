"""Policies and weights inside a real run: what the engine stores for each answer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from alframe.compile import compile_file
from alframe.engine import Engine, Summary
from alframe.plugins import load
from alframe.record import RunFolder
from alframe.record.store import Answer, RunStore

CATALOGUE = Path(__file__).resolve().parents[2] / "specs" / "data" / "debian-packages.jsonl.gz"

SPEC = """\
run "{name}" seed 4
data "debian-packages.jsonl.gz" {{ id package  text package, description  test fraction 0.25 seed 1  limit 400 }}
labels from "tags" {{ min_positives 40 }}
model {{ encoder hashed_bag(dim=16, buckets=2^12, ngrams=1..1)  trunk mlp(hidden=16)  heads joint  ensemble {ensemble} }}
train {{ epochs 1  min_steps 0  batch 64  lr 0.01 }}
query {{ seed {seed}  batch {batch}  unit {unit}  policy {policy}  budget 100000  rounds 3 }}
oracle simulated
evaluate {{ metrics [micro_f1] }}
trainer {{ loggers [] }}
"""


def run(tmp_path: Path, name: str = "policy-in-a-run", **values: object) -> tuple[Summary, list[Answer]]:
    """Three rounds of a small real spec on a slice of the catalogue (``seed`` is the whole seed
    clause, e.g. ``"60 random"``): the engine's summary and the stored answers."""
    shutil.copyfile(CATALOGUE, tmp_path / CATALOGUE.name)
    spec = tmp_path / "run.al"
    spec.write_text(SPEC.format(name=name, **values), encoding="utf-8")
    plugins = load(autoload=False)
    plan = compile_file(spec, plugins.registry)
    out = tmp_path / "out"
    with RunFolder.open(plan, plugins, out) as rd:
        summary = Engine(plan, plugins, rd).run()
    with RunStore.open(out / "run.db") as store:
        return summary, store.current_answers()


def test_iwal_cells_are_stored_with_p_and_weight_one_over_p(tmp_path: Path) -> None:
    _, answers = run(tmp_path, ensemble=3, seed="60 random", batch=80, unit="cell", policy="iwal(base=disagreement, floor=0.05)")
    seed = [a for a in answers if a.round == 0]
    later = [a for a in answers if a.round > 0]
    assert len(seed) == 60 and all(a.prob == 1.0 and a.weight == 1.0 for a in seed)
    assert later and all(0.0 < a.prob <= 1.0 for a in later)
    assert any(a.prob < 1.0 for a in later)
    for a in later:
        assert a.weight == pytest.approx(1.0 / a.prob)
    per_round = [sum(a.round == r for a in answers) for r in (1, 2)]
    assert all(40 <= n <= 120 for n in per_round), per_round  # 80 expected per round


def test_item_unit_gives_every_cell_of_an_item_the_items_p(tmp_path: Path) -> None:
    _, answers = run(tmp_path, ensemble=2, seed="10 random", batch=8, unit="item", policy="iwal(base=bald)")
    by_item: dict[tuple[int, str], set[float]] = {}
    for a in answers:
        by_item.setdefault((a.round, a.item), set()).add(a.prob)
    assert all(len(ps) == 1 for ps in by_item.values())


@pytest.mark.parametrize(("unit", "policy"), [("item", "uncertainty"), ("cell", "disagreement"), ("item", "bald(diversity=cluster, candidates=3)"),
                                              ("cell", "uncertainty(diversity=badge, candidates=3)"),
                                              ("item", "uncertainty(balance=labels)"), ("cell", "uncertainty(diversity=coreset, candidates=3)"),
                                              ("cell", "adaptive(arms=[random, uncertainty(diversity=cluster, candidates=3), iwal])"),
                                              ("cell", "iwal(balance=labels)"), ("item", "iwal(rule=threshold)")])
def test_a_streamed_pool_asks_what_the_whole_pool_asks_scoring_a_chunk_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unit: str, policy: str
) -> None:
    """The built-in scorer streams a ranking policy's pool (chunks of STREAM_ITEMS items, here
    64 of a 300-item pool): the model never scores more than a chunk at once, and a run asks
    the very cells a run scoring the whole pool at once asks, round after round — with a
    diversity step too, which then sees the features of its candidates only."""
    from alframe.builtin import stages
    from alframe.models.committee import CommitteeBundle

    calls: list[int] = []  # items per predict_proba call of the score stage
    scoring: list[bool] = [False]
    predict = CommitteeBundle.predict_proba

    def spy(self: CommitteeBundle, idx, mc_samples: int = 0):  # type: ignore[no-untyped-def]
        if scoring[0]:
            calls.append(len(idx))
        return predict(self, idx, mc_samples)

    def in_scoring(fn):  # type: ignore[no-untyped-def]
        def wrapped(*args, **kwargs):  # type: ignore[no-untyped-def]
            scoring[0] = True
            try:
                return fn(*args, **kwargs)
            finally:
                scoring[0] = False
        return wrapped

    def off_scoring(fn):  # type: ignore[no-untyped-def]
        def wrapped(*args, **kwargs):  # type: ignore[no-untyped-def]
            was, scoring[0] = scoring[0], False
            try:
                return fn(*args, **kwargs)
            finally:
                scoring[0] = was
        return wrapped

    monkeypatch.setattr(CommitteeBundle, "predict_proba", spy)
    for name in ("_streamed_scores", "_pool_scores"):
        monkeypatch.setattr(stages, name, in_scoring(getattr(stages, name)))
    # adaptive's answered items under the model (its reward) are not the pool
    monkeypatch.setattr(stages, "_labelled_view", off_scoring(stages._labelled_view))
    monkeypatch.setattr(stages, "STREAM_ITEMS", 64)
    values = {"ensemble": 2, "seed": "40 random", "batch": 30 if unit == "item" else 400, "unit": unit, "policy": policy}
    (tmp_path / "a").mkdir()
    _, streamed = run(tmp_path / "a", **values)
    assert calls and max(calls) <= 64 < 300
    monkeypatch.setattr(stages, "_streams", lambda state, policy: False)
    calls.clear()
    (tmp_path / "b").mkdir()
    _, whole = run(tmp_path / "b", **values)
    assert max(calls) >= 250  # the whole pool (300 less the asked) in one call
    key = sorted((a.round, a.item, a.label, a.value) for a in streamed)
    assert key == sorted((a.round, a.item, a.label, a.value) for a in whole)
    assert len({a.round for a in streamed}) == 3
