"""A run folder written by an earlier alframe still resumes.

``fixtures/legacy-run/run`` was written by alframe at commit e4831fe: the spec ``small.al`` over
300 catalogue rows, stopped by Ctrl-C inside round 2's training (rounds 0 and 1 committed,
round 1's checkpoint kept; round 0's left out to keep the fixture small). ``reference.json``
holds the questions and metrics of the same spec run without a stop by that code.

Resuming it with today's code must finish the run asking exactly those questions and
reaching exactly those metrics: the run store's schema, the checkpoint format and the plan's
fingerprint are all still read as they were written. The plan records the data file's
absolute path, so a run folder moved to another place resumes with ``force`` (recorded as the
one change: the data path). If a deliberate change of the learner alters the figures, remake
the fixture with the code of that change and say so in its commit.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

from engine_specs import CATALOGUE, run_spec, stored_metrics, stored_queries

FIXTURE = Path(__file__).parent / "fixtures" / "legacy-run"


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    spec_dir = tmp_path / "spec"
    spec_dir.mkdir()
    shutil.copyfile(CATALOGUE, spec_dir / CATALOGUE.name)
    shutil.copyfile(FIXTURE / "small.al", spec_dir / "small.al")
    out = tmp_path / "run"
    shutil.copytree(FIXTURE / "run", out)
    return spec_dir / "small.al", out


def test_a_run_folder_of_an_earlier_version_resumes_to_the_same_run(tmp_path: Path) -> None:
    spec, out = _copy(tmp_path)
    reference = json.loads((FIXTURE / "reference.json").read_text())
    before = stored_queries(out)
    assert {q[0] for q in before} == {0, 1, 2}  # round 2 was asked, its training stopped

    summary, _, _ = run_spec(spec, out, force=True)

    assert not summary.interrupted and summary.rounds == 3
    after = stored_queries(out)
    assert after[: len(before)] == before  # what was asked stays asked, nothing replaced
    assert [list(q) for q in after] == reference["queries"]
    assert [list(m) for m in stored_metrics(out)] == reference["metrics"]
    with sqlite3.connect(out / "run.db") as c:
        changes = [json.loads(d) for (d,) in c.execute("SELECT detail FROM events WHERE kind = 'forced'")]
        twice = c.execute("SELECT COUNT(*) FROM (SELECT item, label FROM answers GROUP BY item, label HAVING COUNT(*) > 1)").fetchone()[0]
    assert twice == 0
    assert len(changes) == 1 and [c.split(":")[0] for c in changes[0]["changes"]] == ["data.path"]
