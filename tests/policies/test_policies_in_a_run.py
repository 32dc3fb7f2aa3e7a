"""Policies and weights inside a real run: what the engine stores for each answer."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from alframe.compile import compile_file
from alframe.engine import Engine, Summary
from alframe.plugins import load
from alframe.rundir import RunDir
from alframe.store import Answer, RunStore

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
    with RunDir.open(plan, plugins, out) as rd:
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
