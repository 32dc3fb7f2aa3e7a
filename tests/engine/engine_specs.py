"""Small real specs over a slice of the shipped catalogue, for end-to-end engine tests."""

from __future__ import annotations

import csv
import functools
import gzip
import json
import shutil
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from alframe.compile import compile_file
from alframe.engine import Engine, Observer, Summary
from alframe.plan import Plan
from alframe.plugins import Plugins, load
from alframe.record import RunFolder

REPO = Path(__file__).resolve().parents[2]
CATALOGUE = REPO / "specs" / "data" / "debian-packages.jsonl.gz"

SPEC = """\
run "{name}" seed {seed}
data "debian-packages.jsonl.gz" {{
  id package
  text package, description
  test fraction 0.25 seed 5
  limit {limit}
}}
labels from "tags" {{ min_positives {min_positives} }}
model {{
  encoder hashed_bag(dim=16, buckets=2^12, ngrams=1..1)
  trunk mlp(hidden=32)
  heads {heads}
  ensemble {ensemble}
}}
train {{ epochs 2  min_steps 0  batch 64  lr 0.01 }}
weighting {{ {weighting} }}
query {{
  seed {seed_size} random
  batch {batch}
  unit {unit}
  policy {policy}
  budget {budget}
  {extra_query}
}}
oracle simulated
evaluate {{ metrics [micro_f1, macro_f1, macro_ap] }}
trainer {{ loggers []  {extra_trainer} }}
"""

DEFAULTS: dict[str, Any] = dict(
    name="small",
    seed=7,
    limit=600,
    min_positives=30,
    heads="joint",
    ensemble=1,
    weighting="importance yes",
    seed_size=30,
    batch=30,
    unit="item",
    policy="uncertainty",
    budget=5000,
    extra_query="rounds 4",
    extra_trainer="",
)


@functools.cache
def catalogue_truth() -> dict[str, frozenset[str]]:
    """Every catalogue package's true tags: what a scripted person answers."""
    with gzip.open(CATALOGUE, "rt", encoding="utf-8") as f:
        return {row["package"]: frozenset(row["tags"]) for row in map(json.loads, f)}


def answer_questions(questions: Path, answers: Path, yes: str = "1", no: str = "0") -> int:
    """A scripted person: fills in the value column of a round's questions file truthfully,
    appending the rows to the answers file (header first when it is new); returns how many."""
    truth = catalogue_truth()
    with open(questions, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    new = not answers.exists()
    with open(answers, "a", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        if new:
            w.writerow(["id", "label", "value"])
        for r in rows:
            w.writerow([r["id"], r["label"], yes if r["label"] in truth[r["id"]] else no])
    return len(rows)


def write_spec(folder: Path, **overrides: Any) -> Path:
    """A spec beside a copy of the catalogue (data paths may not leave the spec's folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    data = folder / CATALOGUE.name
    if not data.exists():
        shutil.copyfile(CATALOGUE, data)
    values = {**DEFAULTS, **overrides}
    path = folder / f"{values['name']}.al"
    path.write_text(SPEC.format(**values), encoding="utf-8")
    return path


def run_spec(
    spec: Path,
    out: Path,
    *,
    extra: list[tuple[str, object]] = (),  # type: ignore[assignment]
    force: bool = False,
    observer: Observer | None = None,
    plugins_named: list[str] | None = None,
    edit: Callable[[Plan, Plugins], Plan] | None = None,
) -> tuple[Summary, Plan, Plugins]:
    """Compile and run a spec in-process with the real plugins (plus extra plugin objects, and
    the installed plugins ``plugins_named``, loaded through their entry points); ``edit`` turns
    the compiled plan into the one run (a plan no spec of today compiles to)."""
    plugins = load(autoload=False, names=plugins_named)
    for name, obj in extra:
        plugins.pm.register(obj, name=name)
    plan = compile_file(spec, plugins.registry)
    if edit is not None:
        plan = edit(plan, plugins)
    with RunFolder.open(plan, plugins, out, force=force) as rd:
        summary = Engine(rd.plan, plugins, rd, observer=observer).run()
    return summary, plan, plugins


def stored_queries(out: Path) -> list[tuple[int, str, str, float]]:
    import sqlite3

    with sqlite3.connect(out / "run.db") as c:
        return [tuple(r) for r in c.execute("SELECT round, item, label, prob FROM queries ORDER BY round, position")]  # type: ignore[misc]


def stored_metrics(out: Path) -> list[tuple[int, str]]:
    import sqlite3

    with sqlite3.connect(out / "run.db") as c:
        return [tuple(r) for r in c.execute("SELECT round, metrics FROM rounds WHERE status = 'complete' ORDER BY round")]  # type: ignore[misc]


def install_plugin(site: Path, dist: str, source: str) -> str:
    """An installed distribution ``dist`` with one entry point in the ``alframe`` group (its
    module written from ``source``), found through ``importlib.metadata`` as a pip-installed
    one is once ``site`` is on ``sys.path``. Returns the module name."""
    module = dist.replace("-", "_")
    site.mkdir(parents=True, exist_ok=True)
    (site / f"{module}.py").write_text(textwrap.dedent(source))
    info = site / f"{module}-1.0.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0.0\n")
    (info / "entry_points.txt").write_text(f"[alframe]\n{module} = {module}\n")
    sys.modules.pop(module, None)
    return module
