"""Stopping and resuming: same questions, same metrics, no label asked twice."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from engine_specs import REPO, run_spec, stored_metrics, stored_queries, write_spec

from alframe.engine import Observer
from alframe.errors import PluginError, RunError
from alframe.hookspecs import hookimpl
from alframe.plan import Plan
from alframe.plugins import Plugins
from alframe.policies.base import Queries


class _InterruptAt:
    """Raises KeyboardInterrupt (as Ctrl-C does) in one stage of one round."""

    def __init__(self, stage: str, rnd: int) -> None:
        self.stage, self.rnd = stage, rnd

    def _maybe(self, stage: str, state) -> None:  # type: ignore[no-untyped-def]
        if stage == self.stage and state.round == self.rnd:
            raise KeyboardInterrupt

    @hookimpl(tryfirst=True)
    def alframe_annotate(self, state, items, labels):  # type: ignore[no-untyped-def]
        self._maybe("annotate", state)

    @hookimpl(tryfirst=True)
    def alframe_train(self, state):  # type: ignore[no-untyped-def]
        self._maybe("train", state)

    @hookimpl(tryfirst=True)
    def alframe_evaluate(self, state):  # type: ignore[no-untyped-def]
        self._maybe("evaluate", state)

    @hookimpl
    def alframe_round_end(self, state, record):  # type: ignore[no-untyped-def]
        self._maybe("round_end", state)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """An uninterrupted run of the spec every resume is compared with."""
    folder = tmp_path_factory.mktemp("ref")
    spec = write_spec(folder / "spec", extra_query="rounds 4", policy="uncertainty(measure=entropy)")
    run_spec(spec, folder / "run")
    return spec, folder / "run"


@pytest.mark.parametrize("stage,rnd", [("round_end", 1), ("annotate", 2), ("train", 2), ("evaluate", 0)])
def test_resume_after_a_stop_gives_the_same_run(reference: tuple[Path, Path], tmp_path: Path, stage: str, rnd: int) -> None:
    spec, ref = reference
    out = tmp_path / "run"
    summary, _, _ = run_spec(spec, out, extra=[("interrupt", _InterruptAt(stage, rnd))])
    assert summary.interrupted
    asked_before = stored_queries(out)
    with sqlite3.connect(out / "run.db") as c:
        answered_before = set(c.execute("SELECT item, label FROM answers").fetchall())
    summary, _, _ = run_spec(spec, out)
    assert not summary.interrupted and summary.rounds == 4
    after = stored_queries(out)
    # questions asked before the stop were asked again, not replaced
    assert after[: len(asked_before)] == asked_before
    assert after == stored_queries(ref)
    assert stored_metrics(out) == stored_metrics(ref)
    with sqlite3.connect(out / "run.db") as c:
        rows = c.execute("SELECT item, label, COUNT(*) FROM answers GROUP BY item, label").fetchall()
    assert all(n == 1 for _, _, n in rows)  # no label asked (or stored) twice
    assert answered_before <= {(i, lb) for i, lb, _ in rows}


def test_resume_without_checkpoints_retrains_from_labels(reference: tuple[Path, Path], tmp_path: Path) -> None:
    spec, ref = reference
    out = tmp_path / "run"
    run_spec(spec, out, extra=[("interrupt", _InterruptAt("round_end", 2))])
    for ckpt in (out / "checkpoints").glob("*.ckpt"):
        ckpt.write_bytes(b"truncated")  # unreadable: refused, then rebuilt from the labels
    run_spec(spec, out)
    assert stored_queries(out) == stored_queries(ref)
    assert stored_metrics(out) == stored_metrics(ref)


@pytest.mark.parametrize("stage,rnd", [("train", 2), ("round_end", 1)])
def test_checkpoints_every_n_rounds_give_the_same_run(reference: tuple[Path, Path], tmp_path: Path, stage: str, rnd: int) -> None:
    """``trainer { checkpoint_every 3 }``: rounds 0 and 3 (the last) keep checkpoints, the others
    none; a run stopped inside round 2's fit (round 1 has none) retrains round 1 from the labels
    on resume, and a run stopped after committing round 1 writes round 1's first; either way the
    questions and metrics are those of the run that checkpointed every round."""
    _, ref = reference
    spec = write_spec(tmp_path / "spec", extra_query="rounds 4", policy="uncertainty(measure=entropy)",
                      extra_trainer="checkpoint_every 3")
    whole = tmp_path / "whole"
    run_spec(spec, whole)
    assert sorted(p.name for p in (whole / "checkpoints").glob("*.ckpt")) == ["round-0000.ckpt", "round-0003.ckpt"]
    with sqlite3.connect(whole / "run.db") as c:
        kept = [ckpt is not None for (ckpt,) in c.execute("SELECT checkpoint FROM rounds ORDER BY round")]
    assert kept == [True, False, False, True]
    assert stored_queries(whole) == stored_queries(ref) and stored_metrics(whole) == stored_metrics(ref)

    out = tmp_path / "run"
    summary, _, _ = run_spec(spec, out, extra=[("interrupt", _InterruptAt(stage, rnd))])
    assert summary.interrupted
    names = sorted(p.name for p in (out / "checkpoints").glob("*.ckpt"))
    assert names == (["round-0000.ckpt"] if stage == "train" else ["round-0000.ckpt", "round-0001.ckpt"])
    messages: list[str] = []

    class Said(Observer):
        def message(self, text: str) -> None:
            messages.append(text)

    summary, _, _ = run_spec(spec, out, observer=Said())
    assert not summary.interrupted and summary.rounds == 4
    assert ("retraining rounds 1..1 from the stored labels" in messages) == (stage == "train")
    assert stored_queries(out) == stored_queries(ref)
    assert stored_metrics(out) == stored_metrics(ref)


def test_a_refused_checkpoint_is_said_once_and_recorded(tmp_path: Path) -> None:
    from alframe.engine import Observer

    class Heard(Observer):
        def __init__(self) -> None:
            self.said: list[str] = []

        def message(self, text: str) -> None:
            self.said.append(text)

    spec = write_spec(tmp_path / "spec", limit=300, extra_query="rounds 3")
    out = tmp_path / "run"
    run_spec(spec, out, extra=[("interrupt", _InterruptAt("round_end", 1))])
    (out / "checkpoints" / "round-0001.ckpt").write_bytes(b"truncated")
    heard = Heard()
    summary, _, _ = run_spec(spec, out, observer=heard)
    assert summary.rounds == 3
    refused = [t for t in heard.said if "ignored checkpoint round-0001.ckpt" in t]
    assert len(refused) == 1 and refused[0].startswith("warning: ") and "retrained from the labels" in refused[0]
    with sqlite3.connect(out / "run.db") as c:
        events = c.execute("SELECT detail FROM events WHERE kind = 'checkpoint_ignored'").fetchall()
    assert len(events) == 1 and '"round": 1' in events[0][0]


def test_kill_9_then_resume_gives_the_same_queries(reference: tuple[Path, Path], tmp_path: Path) -> None:
    spec, ref = reference
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "alframe.cli.main", "--no-plugins", "run", str(spec), "--out", str(out), "--plain"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline:  # wait until round 2's questions are committed
        try:
            with sqlite3.connect(out / "run.db", timeout=1) as c:
                if c.execute("SELECT COUNT(*) FROM queries WHERE round = 2").fetchone()[0]:
                    break
        except sqlite3.Error:
            pass
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert stored_queries(out) == stored_queries(ref)
    assert stored_metrics(out) == stored_metrics(ref)


def test_sigterm_stops_at_a_safe_point_and_says_how_to_resume(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec", extra_query="rounds 30", budget=10**6, limit=1500)
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "alframe.cli.main", "--no-plugins", "run", str(spec), "--out", str(out), "--plain"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not (out / "metrics.csv").exists():
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    text, _ = proc.communicate(timeout=120)
    assert proc.returncode == 130, text
    assert "resume with: alframe run" in text
    with sqlite3.connect(out / "run.db") as c:
        statuses = [r[0] for r in c.execute("SELECT status FROM rounds ORDER BY round")]
    assert statuses and statuses[0] == "complete"


class _BadQueries:
    """A policy plugin that returns nonsense."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    @hookimpl(tryfirst=True)
    def alframe_query(self, state, scores):  # type: ignore[no-untyped-def]
        items = scores.items[:3].astype(np.int64)
        labels = np.full(3, -1, dtype=np.int64)
        prob = np.ones(3)
        if self.kind == "duplicate":
            items = np.array([items[0], items[0], items[1]])
        elif self.kind == "outside":
            items = state.dataset.test_idx[:3].astype(np.int64)
        elif self.kind == "nan":
            prob = np.array([1.0, np.nan, 0.5])
        elif self.kind == "shape":
            labels = labels[:2]
        return Queries(items, labels, prob, np.zeros(len(items)))


@pytest.mark.parametrize(
    "kind,message",
    [
        ("duplicate", "same cell twice"),
        ("outside", "not in the pool"),
        ("nan", "outside (0, 1]"),
        ("shape", "different shapes"),
    ],
)
def test_a_plugin_returning_nonsense_is_named_and_nothing_is_committed(tmp_path: Path, kind: str, message: str) -> None:
    spec = write_spec(tmp_path / "spec")
    out = tmp_path / "run"
    with pytest.raises(PluginError) as err:
        run_spec(spec, out, extra=[("alframe-bad-policy", _BadQueries(kind))])
    text = err.value.render()
    assert "alframe-bad-policy" in text and "alframe_query" in text and message in text
    with sqlite3.connect(out / "run.db") as c:
        assert c.execute("SELECT COUNT(*) FROM queries WHERE round = 1").fetchone()[0] == 0


class _Raises:
    @hookimpl(tryfirst=True)
    def alframe_score_pool(self, state):  # type: ignore[no-untyped-def]
        raise ValueError("boom")


def test_a_plugin_that_raises_is_named(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec")
    with pytest.raises(PluginError, match="boom") as err:
        run_spec(spec, tmp_path / "run", extra=[("alframe-raises", _Raises())])
    assert "alframe-raises" in err.value.render() and "alframe_score_pool" in err.value.render()


def test_changed_spec_is_refused_naming_the_change_unless_forced(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec", extra_query="rounds 1")
    out = tmp_path / "run"
    run_spec(spec, out)
    before = stored_queries(out)
    write_spec(tmp_path / "spec", extra_query="rounds 2", batch=40)
    with pytest.raises(RunError) as err:
        run_spec(spec, out)
    assert err.value.code == "R207" and "query.batch: 30 → 40" in err.value.render()
    assert stored_queries(out) == before  # nothing stored was changed
    summary, _, _ = run_spec(spec, out, force=True)
    assert summary.rounds == 2
    with sqlite3.connect(out / "run.db") as c:
        kinds = [r[0] for r in c.execute("SELECT kind FROM events")]
    assert "forced" in kinds


def test_a_second_run_on_a_folder_in_use_is_refused(tmp_path: Path) -> None:
    from alframe.compile import compile_file
    from alframe.plugins import load
    from alframe.record import RunFolder

    spec = write_spec(tmp_path / "spec")
    plugins = load(autoload=False)
    plan = compile_file(spec, plugins.registry)
    with RunFolder.open(plan, plugins, tmp_path / "run"):
        with pytest.raises(RunError, match=f"in use by another alframe run \\(pid {os.getpid()}\\)"):
            RunFolder.open(plan, plugins, tmp_path / "run")


def test_fresh_starts_beside_the_old_run(tmp_path: Path) -> None:
    from alframe.compile import compile_file
    from alframe.plugins import load
    from alframe.record import RunFolder

    spec = write_spec(tmp_path / "spec")
    plugins = load(autoload=False)
    plan = compile_file(spec, plugins.registry)
    with RunFolder.open(plan, plugins, tmp_path / "run") as rd:
        rd.store.set_meta({"marker": "old"})
    with RunFolder.open(plan, plugins, tmp_path / "run", fresh=True) as rd:
        assert rd.path == tmp_path / "run-2"
    with RunFolder.open(plan, plugins, tmp_path / "run") as rd:
        assert rd.store.get_meta("marker") == "old"


FULL_DISK = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
from alframe.cli.main import main
sys.exit(main(sys.argv[1:]))
"""


def test_a_full_disk_is_found_before_labelling(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec")
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-c", FULL_DISK, "--no-plugins", "run", str(spec), "--out", str(out), "--plain"],
        capture_output=True, text=True, timeout=120, cwd=REPO,
    )
    assert done.returncode != 0
    assert "cannot be written" in done.stderr and "Traceback" not in done.stderr
    assert not (out / "run.db").exists()


def test_a_spec_changed_before_any_label_is_simply_taken(tmp_path: Path) -> None:
    from alframe.compile import compile_file
    from alframe.plugins import load
    from alframe.record import RunFolder

    spec = write_spec(tmp_path / "spec")
    plugins = load(autoload=False)
    with RunFolder.open(compile_file(spec, plugins.registry), plugins, tmp_path / "run"):
        pass  # e.g. the data had an error: the folder exists, nothing was asked
    write_spec(tmp_path / "spec", batch=40)
    summary, _, _ = run_spec(spec, tmp_path / "run")
    assert summary.rounds == 4


def test_changed_data_is_refused_unless_forced(tmp_path: Path) -> None:
    import gzip

    spec = write_spec(tmp_path / "spec", extra_query="rounds 1")
    out = tmp_path / "run"
    run_spec(spec, out)
    data = spec.parent / "debian-packages.jsonl.gz"
    lines = gzip.decompress(data.read_bytes()).splitlines(keepends=True)
    data.write_bytes(gzip.compress(b"".join(lines[:-1])))  # one item fewer at the end
    with pytest.raises(RunError) as err:
        run_spec(spec, out)
    assert err.value.code == "R208" and "data changed" in err.value.render()


class _EmptyPool:
    @hookimpl(hookwrapper=False, wrapper=True)
    def alframe_load_data(self, plan):  # type: ignore[no-untyped-def]
        dataset = yield
        dataset.pool_idx = dataset.pool_idx[:0]
        return dataset


def test_an_empty_pool_is_a_clean_stop(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec")
    summary, _, _ = run_spec(spec, tmp_path / "run", extra=[("empty-pool", _EmptyPool())])
    assert not summary.interrupted and summary.labels_used == 0
    assert summary.stop_reason.startswith("the pool is empty")


class _NaNScores:
    @hookimpl(tryfirst=True)
    def alframe_score_pool(self, state):  # type: ignore[no-untyped-def]
        import torch

        from alframe.policies.base import PoolScores

        cand = state.candidates()
        probs = torch.full((len(cand), state.dataset.n_labels, 1), float("nan"))
        return PoolScores(cand, probs, state.known[cand], np.zeros(state.dataset.n_labels, np.int64),
                          np.zeros(state.dataset.n_labels, np.int64), np.full(state.dataset.n_labels, 0.5, np.float32))


def test_nan_scores_from_a_plugin_are_refused_naming_it(tmp_path: Path) -> None:
    spec = write_spec(tmp_path / "spec")
    with pytest.raises(PluginError) as err:
        run_spec(spec, tmp_path / "run", extra=[("alframe-nan-scorer", _NaNScores())])
    assert "alframe-nan-scorer" in err.value.render() and "NaN" in err.value.render()


class _CtrlCInFirstTraining:
    """Sends this process a real SIGINT as the first training of the attempt starts."""

    def __init__(self) -> None:
        self.sent = False

    @hookimpl(tryfirst=True)
    def alframe_train(self, state):  # type: ignore[no-untyped-def]
        if not self.sent:
            self.sent = True
            os.kill(os.getpid(), signal.SIGINT)  # the engine's handler: stop at the next safe point


def test_ctrl_c_while_retraining_from_labels_keeps_no_cut_short_checkpoint(
    reference: tuple[Path, Path], tmp_path: Path
) -> None:
    spec, ref = reference
    out = tmp_path / "run"
    run_spec(spec, out, extra=[("interrupt", _InterruptAt("round_end", 2))])
    for ckpt in (out / "checkpoints").glob("*.ckpt"):
        ckpt.unlink()  # the resume retrains rounds 0..1 from the labels …
    summary, _, _ = run_spec(spec, out, extra=[("ctrl-c", _CtrlCInFirstTraining())])
    assert summary.interrupted  # … and Ctrl-C cuts that training short
    assert not list((out / "checkpoints").glob("*.ckpt"))  # a cut-short model is no round's checkpoint
    run_spec(spec, out)
    assert stored_queries(out) == stored_queries(ref)
    assert stored_metrics(out) == stored_metrics(ref)


def _without_policy(spec: Path) -> Path:
    """The spec with its policy line removed: it asks the default policy of its unit."""
    spec.write_text("".join(line for line in spec.read_text(encoding="utf-8").splitlines(True)
                            if not line.strip().startswith("policy ")), encoding="utf-8")
    return spec


def _earlier_default_run(spec: Path, out: Path, extra: list[tuple[str, object]] = ()) -> None:  # type: ignore[assignment]
    """A run of ``spec`` (naming no policy) made when the item default was the earlier one: the
    plan such a run stored, run for real (with the ``extra`` hook objects)."""
    from alframe.lang.build import default_policy

    def earlier(plan: Plan, plugins: Plugins) -> Plan:
        older = plan.replace_path("query.policy", default_policy(plugins.registry, "item", earlier=0))
        assert older.query.policy != plan.query.policy  # the default did change
        return older

    run_spec(spec, out, extra=extra, edit=earlier)


def test_a_run_begun_under_an_earlier_default_policy_keeps_asking_it(tmp_path: Path) -> None:
    spec = _without_policy(write_spec(tmp_path / "spec", extra_query="rounds 3"))
    _earlier_default_run(spec, tmp_path / "whole")  # what the run would have asked, uninterrupted
    out = tmp_path / "run"
    _earlier_default_run(spec, out, extra=[("stop", _InterruptAt("round_end", 1))])
    assert len(stored_metrics(out)) < len(stored_metrics(tmp_path / "whole"))
    messages: list[str] = []

    class Heard(Observer):
        def message(self, text: str) -> None:
            messages.append(text)

    summary, plan, _ = run_spec(spec, out, observer=Heard())  # resumed with today's default
    assert plan.query.policy.name != "uncertainty" and summary.rounds == 3
    assert stored_queries(out) == stored_queries(tmp_path / "whole")  # the later rounds asked the old way
    with sqlite3.connect(out / "run.db") as c:
        events = dict(c.execute("SELECT kind, detail FROM events WHERE kind IN ('earlier default', 'forced')"))
    assert list(events) == ["earlier default"] and '"policy": "uncertainty"' in events["earlier default"]
    assert any("asked uncertainty: it keeps asking that (the default is now iwal(sampling=systematic):" in m
               for m in messages)  # named as a spec would name them
    _without_policy(write_spec(tmp_path / "spec", extra_query="rounds 4"))
    with pytest.raises(RunError) as err:  # any other change is a changed spec, as before
        run_spec(spec, out)
    assert err.value.code == "R207" and "query.rounds" in err.value.render()


def test_the_earlier_default_resumes_only_a_spec_that_names_no_policy(tmp_path: Path) -> None:
    from alframe.lang.build import default_policy_text

    spec = _without_policy(write_spec(tmp_path / "spec", extra_query="rounds 1"))
    out = tmp_path / "run"
    _earlier_default_run(spec, out)
    write_spec(tmp_path / "spec", extra_query="rounds 1", policy=default_policy_text("item"))  # today's default, named
    with pytest.raises(RunError) as err:
        run_spec(spec, out)
    assert err.value.code == "R207" and "query.policy" in err.value.render()
