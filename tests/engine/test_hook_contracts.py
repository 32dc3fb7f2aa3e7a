"""Every hook's result is checked against its contract before anything of the round is
committed, and a fault is blamed on the plugin that answered (its distribution's name), also
where a built-in stage hands the work to a plugin's policy, oracle, metric or model.

The plugins are real installed distributions (a ``.dist-info`` folder with an entry point on
``sys.path``), loaded through ``importlib.metadata`` exactly as pip-installed ones are."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from engine_specs import install_plugin, run_spec, write_spec

from alframe.cli.main import main
from alframe.contracts import CONTRACTS
from alframe.errors import PluginError
from alframe.hookspecs import STAGE_ORDER, hookimpl

HEADER = """
import numpy as np
from alframe.hookspecs import hookimpl
from alframe.policies.base import Queries
"""

POLICY = """
class Coin:
    mc_samples = 0

    def select(self, scores, ctx):
        {body}

@hookimpl
def alframe_register(registry):
    registry.register("policy", "coin", lambda: Coin())
"""

ORACLE = """
class Flaky:
    def answer(self, dataset, items, labels, rng):
        raise OSError(5, "the annotation service is gone")

@hookimpl
def alframe_register(registry):
    registry.register("oracle", "flaky", lambda: Flaky())
"""

METRIC = """
def broken(x):
    {body}

@hookimpl
def alframe_register(registry):
    registry.register("metric", "broken", lambda: broken)
"""


def stage(hook: str, body: str, args: str = "state") -> str:
    return f"@hookimpl(tryfirst=True)\ndef {hook}({args}):\n    {body}\n"


METRICS = '{"micro_f1": 0.5, "macro_f1": 0.4, "macro_ap": 0.3}'

#: (id, plugin source, spec changes, hook, what the message says, the round that fails)
CASES = [
    ("evaluate-list", stage("alframe_evaluate", "return [0.5, 0.6]"), {},
     "alframe_evaluate", "returned list [0.5, 0.6], expected a dict of metrics", 0),
    ("evaluate-nan", stage("alframe_evaluate", f"return {{**{METRICS}, 'micro_f1': float('nan')}}"), {},
     "alframe_evaluate", "micro_f1 = nan; a figure must be finite", 0),
    ("evaluate-inf-per-label", stage("alframe_evaluate", f"return {{**{METRICS}, 'per_label': {{'x': {{'f1': float('inf')}}}}}}"), {},
     "alframe_evaluate", "per_label.x.f1 = inf", 0),
    ("evaluate-string-metric", stage("alframe_evaluate", f"return {{**{METRICS}, 'macro_ap': 'high'}}"), {},
     "alframe_evaluate", "macro_ap = str 'high', not a number", 0),
    ("evaluate-missing-metric", stage("alframe_evaluate", "return {'micro_f1': 0.5}"), {},
     "alframe_evaluate", "no value for the metric 'macro_f1'", 0),
    ("train-string", stage("alframe_train", "return 'trained'"), {},
     "alframe_train", "returned str 'trained', expected a dict of training figures", 0),
    ("train-nan", stage("alframe_train", "return {'loss': float('nan')}"), {},
     "alframe_train", "loss = nan", 0),
    ("train-curve-nan", stage("alframe_train", "return {'curve': [1.0, float('inf')]}"), {},
     "alframe_train", "curve[1] = inf", 0),
    ("should-stop-number", stage("alframe_should_stop", "return 42"), {},
     "alframe_should_stop", "returned int 42; a stop reason is a sentence", 0),
    ("weight-nan", stage("alframe_weight", "return np.full(state.answers.shape, np.nan, np.float32)"), {},
     "alframe_weight", "negative, NaN or infinite weight", 0),
    ("weight-shape", stage("alframe_weight", "return np.ones(3, np.float32)"), {},
     "alframe_weight", "weights of shape (3,)", 0),
    ("annotate-two", stage("alframe_annotate", "return np.full(len(items), 2)", "state, items, labels"), {},
     "alframe_annotate", "of 0/1/-1", 0),
    ("seed-list", stage("alframe_select_seed", "return [1, 2, 3]"), {},
     "alframe_select_seed", "returned list [1, 2, 3], expected Queries", 0),
    ("seed-cells-for-unit-item", stage("alframe_select_seed", "p = state.dataset.pool_idx[:3]\n"
                                       "    return Queries(p, np.zeros(3, np.int64), np.ones(3), np.zeros(3))"), {},
     "alframe_select_seed", "returned a cell (a label index) where the query unit is item", 0),
    ("build-model-object", stage("alframe_build_model", "return object()", "plan, dataset, registry"), {},
     "alframe_build_model", "without fit(), predict_proba()", None),
    ("policy-raises", POLICY.format(body="raise ValueError('no coin to flip')"), {"policy": "coin"},
     "alframe_query", "policy 'coin': ValueError: no coin to flip", 1),
    ("policy-duplicate", POLICY.format(body="i = scores.items[:1]\n"
                                       "        return Queries(np.r_[i, i], np.array([-1, -1]), np.ones(2), np.zeros(2))"),
     {"policy": "coin"}, "alframe_query", "returned the same cell twice", 1),
    ("policy-nonsense", POLICY.format(body="return 'heads'"), {"policy": "coin"},
     "alframe_query", "returned str 'heads', expected Queries", 1),
    ("oracle-raises", ORACLE, {"oracle": "flaky"},
     "alframe_annotate", "oracle 'flaky': OSError: [Errno 5] the annotation service is gone", 0),
    ("metric-raises", METRIC.format(body="raise ZeroDivisionError('no items')"), {"metric": "broken"},
     "alframe_evaluate", "metric 'broken': ZeroDivisionError: no items", 0),
    ("metric-infinite", METRIC.format(body="return float('inf')"), {"metric": "broken"},
     "alframe_evaluate", "metric 'broken' returned inf, not a finite number", 0),
]


def _spec(folder: Path, changes: dict[str, str]) -> Path:
    spec = write_spec(folder, policy=changes.get("policy", "uncertainty"), extra_query="rounds 3")
    text = spec.read_text()
    if "oracle" in changes:
        text = text.replace("oracle simulated", f"oracle {changes['oracle']}")
    if "metric" in changes:
        text = text.replace("metrics [micro_f1, macro_f1, macro_ap]", f"metrics [micro_f1, macro_f1, macro_ap, {changes['metric']}]")
    spec.write_text(text)
    return spec


def _rounds(out: Path) -> dict[int, tuple[str, str]]:
    if not (out / "run.db").exists():
        return {}
    with sqlite3.connect(out / "run.db") as c:
        return {r: (status, metrics) for r, status, metrics in c.execute("SELECT round, status, metrics FROM rounds")}


@pytest.mark.parametrize(
    ("source", "changes", "hook", "message", "failing"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_a_plugin_breaking_its_hook_contract_is_named_and_nothing_is_committed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    source: str, changes: dict[str, str], hook: str, message: str, failing: int | None,
) -> None:
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    install_plugin(tmp_path / "site", "alframe-nonsense", HEADER + source)
    spec = _spec(tmp_path / "spec", changes)
    out = tmp_path / "run"
    with pytest.raises(PluginError) as err:
        run_spec(spec, out, plugins_named=["alframe-nonsense"])
    assert err.value.plugin == "alframe-nonsense" and err.value.hook == hook
    text = err.value.render()
    assert text.startswith(f"error[P100] in plugin 'alframe-nonsense', hook '{hook}': ")
    assert message in text
    assert err.value.exit_code == 4
    rounds = _rounds(out)
    if failing is None:
        assert rounds == {}
        return
    if not message.startswith(("policy '", "oracle '", "metric '")):  # the hook's own result
        assert f"round {failing} is not committed" in text
    complete = sorted(r for r, (status, _) in rounds.items() if status == "complete")
    assert complete == list(range(failing))  # the failing round, and nothing after it, is not committed
    assert rounds.get(failing, ("started", "{}"))[1] == "{}"


def test_a_plugin_train_hook_returning_a_string_exits_4_and_the_folder_stays_usable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before contracts: an internal error (exit 70); and an evaluate hook's list, once
    committed, broke every later run and report of the folder."""
    for key in ("ALFRAME_DISABLE_PLUGIN_AUTOLOAD", "ALFRAME_PLUGINS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    install_plugin(tmp_path / "site", "alframe-lazy-trainer", HEADER + stage("alframe_train", "return 'trained'"))
    spec = write_spec(tmp_path / "spec", extra_query="rounds 2")
    out = tmp_path / "run"
    assert main(["run", str(spec), "--out", str(out), "--plain"]) == 4
    err = capsys.readouterr().err
    assert "error[P100] in plugin 'alframe-lazy-trainer', hook 'alframe_train'" in err
    assert "internal error" not in err
    # without the plugin, the same command resumes and finishes, and the report reads the folder
    assert main(["--no-plugins", "run", str(spec), "--out", str(out), "--plain"]) == 0
    assert main(["--no-plugins", "report", str(out), "--quiet"]) == 0
    assert "round limit reached" in capsys.readouterr().out


def test_every_hook_declares_its_contract() -> None:
    from alframe import hookspecs

    hooks = {name for name in dir(hookspecs) if name.startswith("alframe_")}
    assert set(CONTRACTS) == hooks
    assert set(STAGE_ORDER) <= hooks


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -1e-6, 1.5])
def test_pool_scores_out_of_range_anywhere_in_the_pool_are_refused(bad: float) -> None:
    """The range check reads the probabilities chunk by chunk (no pool-sized masks): a bad value
    in the last row of a pool several chunks long is still found, in float32 and bfloat16."""
    import types

    import numpy as np
    import torch

    from alframe.contracts import Broken, _in_unit_range, checked

    n, n_labels, k = 3000, 7, 5
    state = types.SimpleNamespace(dataset=types.SimpleNamespace(n_labels=n_labels))
    for dtype in (torch.float32, torch.bfloat16):
        probs = torch.rand(n, n_labels, k).to(dtype)
        scores = types.SimpleNamespace(items=np.arange(n), probs=probs)
        assert checked("alframe_score_pool", scores, {"state": state}) is scores
        assert _in_unit_range(probs, chunk_cells=70)  # two rows a chunk: 1,500 chunks
        probs[-1, -1, -1] = bad
        with pytest.raises(Broken, match="NaN, infinite or out-of-range"):
            checked("alframe_score_pool", scores, {"state": state})
        assert not _in_unit_range(probs, chunk_cells=70)


class _DenseWeights:
    """A weight stage written before rows: every item's ``[n, L]`` weights, 1 on answered cells."""

    def __init__(self) -> None:
        self.calls = 0

    @hookimpl(tryfirst=True)
    def alframe_weight(self, state):  # type: ignore[no-untyped-def]
        import numpy as np

        self.calls += 1
        return (state.answers >= 0).astype(np.float32)


def test_a_weight_stage_returning_every_items_weights_still_trains_as_the_rows_do(tmp_path: Path) -> None:
    """The earlier ``[n_items, n_labels]`` form is kept to the labelled items' rows: the run
    asks and scores exactly what the built-in stage's rows (1 per answered cell) give."""
    from engine_specs import stored_queries

    spec = write_spec(tmp_path / "spec", extra_query="rounds 3", weighting="importance no")
    dense = _DenseWeights()
    a, _, _ = run_spec(spec, tmp_path / "dense", extra=[("dense-weights", dense)])
    b, _, _ = run_spec(spec, tmp_path / "rows")
    assert dense.calls == 3
    assert stored_queries(tmp_path / "dense") == stored_queries(tmp_path / "rows")
    assert a.metrics == b.metrics and a.labels_used == b.labels_used
