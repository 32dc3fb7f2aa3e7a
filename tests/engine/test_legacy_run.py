"""A run folder written by an earlier alframe still resumes.

``fixtures/legacy-run/run`` was written by alframe at commit e4831fe: the spec ``small.al`` over
300 catalogue rows, stopped by Ctrl-C inside round 2's training (rounds 0 and 1 committed,
round 1's checkpoint kept; round 0's left out to keep the fixture small). ``reference.json``
holds the questions and metrics of the same spec run without a stop by that code.

Resuming it with today's code must finish the run asking exactly those questions and
reaching those metrics (exactly for the stored rounds; within 0.01 for the round trained again,
whose last float bits depend on the torch build): the run store's schema, the checkpoint format and the plan's
fingerprint are all still read as they were written. The plan records the data file's
absolute path, and the fixture now lies elsewhere: the run resumes as a moved project folder
(the same data at a new place, recorded as the one change). If a deliberate change of the
learner alters the figures, remake the fixture with the code of that change and say so in its
commit.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
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

    summary, _, _ = run_spec(spec, out)

    assert not summary.interrupted and summary.rounds == 3
    after = stored_queries(out)
    assert after[: len(before)] == before  # what was asked stays asked, nothing replaced
    assert [list(q) for q in after] == reference["queries"]
    got, want = stored_metrics(out), reference["metrics"]
    assert [r for r, _ in got] == [r for r, _ in want]
    assert got[:2] == [tuple(m) for m in want[:2]]  # the rounds stored before the stop: as written
    # round 2 is trained again from round 1's checkpoint: the same data, seed and steps, but the
    # last bits of a float sum depend on the installed torch build and its CPU kernels, and a
    # bit can flip a prediction at the threshold; a different run would differ by far more
    for (_, m), (_, w) in zip(got[2:], want[2:]):
        m, w = json.loads(m), json.loads(w)
        assert {k: v["support"] for k, v in m["per_label"].items()} == {k: v["support"] for k, v in w["per_label"].items()}
        for key in ("micro_f1", "macro_f1", "macro_ap"):
            assert m[key] == pytest.approx(w[key], abs=0.01), key
    with sqlite3.connect(out / "run.db") as c:
        changes = [json.loads(d) for (d,) in c.execute("SELECT detail FROM events WHERE kind = 'moved'")]
        forced = c.execute("SELECT COUNT(*) FROM events WHERE kind = 'forced'").fetchone()[0]
        twice = c.execute("SELECT COUNT(*) FROM (SELECT item, label FROM answers GROUP BY item, label HAVING COUNT(*) > 1)").fetchone()[0]
    assert twice == 0 and forced == 0
    assert len(changes) == 1 and [c.split(":")[0] for c in changes[0]["changes"]] == ["data.path"]


def test_a_moved_run_whose_data_differs_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    """The data file at its new place holds other data: R208, and the store still names the
    old place (nothing of the run changed)."""
    import gzip

    from alframe.errors import RunError

    spec, out = _copy(tmp_path)
    data = spec.parent / CATALOGUE.name
    with gzip.open(data, "rt", encoding="utf-8") as f:
        rows = f.readlines()
    with gzip.open(data, "wt", encoding="utf-8") as f:
        f.writelines(rows[:-1])  # one package fewer
    with sqlite3.connect(out / "run.db") as c:
        before = dict(c.execute("SELECT key, value FROM meta").fetchall())
        events = c.execute("SELECT COUNT(*) FROM events").fetchone()[0]
    with pytest.raises(RunError) as err:
        run_spec(spec, out)
    assert err.value.code == "R208"
    with sqlite3.connect(out / "run.db") as c:
        after = dict(c.execute("SELECT key, value FROM meta").fetchall())
        kinds = [k for (k,) in c.execute("SELECT kind FROM events ORDER BY id")][events:]
    assert after == before and "moved" not in kinds
