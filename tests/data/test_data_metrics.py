"""Metrics against a hand-written reference, with unknown cells, ties and undefined labels."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from alframe.data import metrics
from alframe.data.metrics import Evaluation, evaluate
from alframe.errors import PluginError
from alframe.registry import Registry

ALL = ("micro_f1", "macro_f1", "macro_ap", "micro_ap", "hamming", "subset_accuracy")


# --- reference (plain Python, straight from the definitions) --------------------------------


def ref_ap(scores: list[float], truth: list[int]) -> float | None:
    """Average precision: sum over distinct thresholds of (recall step) x (precision there)."""
    positives = sum(truth)
    if positives == 0:
        return None
    total, tp, fp, last_recall = 0.0, 0, 0, 0.0
    for threshold in sorted(set(scores), reverse=True):
        tp += sum(1 for s, t in zip(scores, truth) if s == threshold and t == 1)
        fp += sum(1 for s, t in zip(scores, truth) if s == threshold and t == 0)
        recall = tp / positives
        total += (recall - last_recall) * tp / (tp + fp)
        last_recall = recall
    return total


def ref_f1(pred: list[bool], truth: list[int]) -> float | None:
    tp = sum(1 for p, t in zip(pred, truth) if p and t == 1)
    fp = sum(1 for p, t in zip(pred, truth) if p and t == 0)
    fn = sum(1 for p, t in zip(pred, truth) if not p and t == 1)
    return None if tp + fn == 0 else 2 * tp / (2 * tp + fp + fn)


def reference(probs: np.ndarray, truth: np.ndarray, thr: np.ndarray) -> dict[str, object]:
    n, n_labels = truth.shape
    pred = probs > thr[None, :]
    known = truth != -1
    f1s, aps = [], []
    for j in range(n_labels):
        rows = [i for i in range(n) if known[i, j]]
        f1s.append(ref_f1([bool(pred[i, j]) for i in rows], [int(truth[i, j]) for i in rows]))
        aps.append(ref_ap([float(probs[i, j]) for i in rows], [int(truth[i, j]) for i in rows]))
    cells = [(i, j) for i in range(n) for j in range(n_labels) if known[i, j]]
    flat_pred = [bool(pred[i, j]) for i, j in cells]
    flat_truth = [int(truth[i, j]) for i, j in cells]
    wrong = sum(1 for p, t in zip(flat_pred, flat_truth) if p != (t == 1))
    judged = [i for i in range(n) if known[i].any()]
    right = [i for i in judged if all(pred[i, j] == (truth[i, j] == 1) for j in range(n_labels) if known[i, j])]
    defined_f1 = [v for v in f1s if v is not None]
    defined_ap = [v for v in aps if v is not None]
    return {
        "micro_f1": ref_f1(flat_pred, flat_truth),
        "macro_f1": sum(defined_f1) / len(defined_f1) if defined_f1 else None,
        "macro_ap": sum(defined_ap) / len(defined_ap) if defined_ap else None,
        "micro_ap": ref_ap([float(probs[i, j]) for i, j in cells], flat_truth),
        "hamming": wrong / len(cells) if cells else None,
        "subset_accuracy": len(right) / len(judged) if judged else None,
        "f1": f1s,
        "ap": aps,
    }


def close(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-6)


def random_case(seed: int, n: int = 60, n_labels: int = 7) -> tuple[torch.Tensor, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    probs = np.round(rng.random((n, n_labels)), 1).astype(np.float32)  # rounding makes ties
    truth = (rng.random((n, n_labels)) < probs * 0.6).astype(np.int8)
    truth[rng.random((n, n_labels)) < 0.2] = -1
    truth[:, 0] = np.where(truth[:, 0] == -1, -1, 0)  # a label with no positive: undefined
    truth[:, 1] = -1  # a label with no known cell
    thr = rng.choice([0.3, 0.5, 0.6], size=n_labels).astype(np.float32)
    return torch.from_numpy(probs), truth, thr


@pytest.mark.parametrize("seed", range(6))
def test_matches_the_reference(seed: int) -> None:
    probs, truth, thr = random_case(seed)
    names = [f"tag{j}" for j in range(truth.shape[1])]
    got = evaluate(probs, truth, thr, names, ALL)
    want = reference(probs.numpy(), truth, thr)
    for name in ALL:
        assert close(got[name], want[name]), (name, got[name], want[name])  # type: ignore[arg-type]
    for j, name in enumerate(names):
        assert close(got["per_label"][name]["f1"], want["f1"][j])  # type: ignore[index]
        assert close(got["per_label"][name]["ap"], want["ap"][j])  # type: ignore[index]
        known = truth[:, j] != -1
        assert got["per_label"][name]["support"] == int((truth[:, j] == 1).sum())
        assert got["per_label"][name]["predicted"] == int((probs.numpy()[known, j] > thr[j]).sum())


def test_undefined_labels_are_none_and_left_out_of_macro_means() -> None:
    probs, truth, thr = random_case(3)
    got = evaluate(probs, truth, thr, [f"tag{j}" for j in range(7)], ALL)
    assert got["per_label"]["tag0"]["f1"] is None and got["per_label"]["tag0"]["ap"] is None
    assert got["per_label"]["tag1"] == {"f1": None, "ap": None, "support": 0, "predicted": 0}
    assert got["macro_labels"] == 5 and got["undefined_labels"] == 2
    defined = [got["per_label"][f"tag{j}"]["f1"] for j in range(2, 7)]
    assert close(got["macro_f1"], sum(defined) / 5)


def test_batches_accumulate_to_the_same_answer() -> None:
    probs, truth, thr = random_case(11, n=97)
    names = [f"tag{j}" for j in range(7)]
    whole = evaluate(probs, truth, thr, names, ALL)
    ev = Evaluation(thr, names, ALL)
    for start, stop in [(0, 13), (13, 14), (14, 60), (60, 60), (60, 97)]:
        ev.update(probs[start:stop], truth[start:stop])
    assert ev.compute() == whole


def test_threshold_rule_is_strictly_greater() -> None:
    probs = torch.tensor([[0.5], [0.7]])
    truth = np.array([[1], [0]], dtype=np.int8)
    got = evaluate(probs, truth, np.array([0.5]), ["x"], ("micro_f1", "hamming"))
    assert got["micro_f1"] == 0.0 and got["hamming"] == 1.0  # 0.5 is not > 0.5
    assert got["per_label"]["x"]["predicted"] == 1


def test_everything_unknown_gives_none_not_nan() -> None:
    probs = torch.rand(4, 3)
    truth = np.full((4, 3), -1, dtype=np.int8)
    got = evaluate(probs, truth, np.full(3, 0.5), ["a", "b", "c"], ALL)
    assert all(got[name] is None for name in ALL)
    assert got["macro_labels"] == 0 and got["undefined_labels"] == 3


def test_perfect_and_empty_predictions() -> None:
    truth = np.array([[1, 0], [0, 1], [1, -1]], dtype=np.int8)
    perfect = torch.tensor([[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]])
    got = evaluate(perfect, truth, np.full(2, 0.5), ["a", "b"], ALL)
    assert all(got[name] == (0.0 if name == "hamming" else 1.0) for name in ALL)
    silent = torch.zeros(3, 2)
    got = evaluate(silent, truth, np.full(2, 0.5), ["a", "b"], ("micro_f1", "macro_f1"))
    assert got["micro_f1"] == 0.0 and got["macro_f1"] == 0.0


def test_non_finite_probabilities_are_refused() -> None:
    probs = torch.tensor([[float("nan"), 0.2]])
    from alframe.errors import RunError

    with pytest.raises(RunError, match="1 non-finite"):
        evaluate(probs, np.array([[1, 0]], dtype=np.int8), np.full(2, 0.5), ["a", "b"], ALL)


# --- registration ---------------------------------------------------------------------------


def test_registered_metrics_are_the_functions() -> None:
    registry = Registry()
    metrics.register(registry)
    assert registry.names("metric") == sorted(ALL)
    probs, truth, thr = random_case(1)
    names = [f"tag{j}" for j in range(7)]
    assert evaluate(probs, truth, thr, names, ALL, registry=registry) == evaluate(probs, truth, thr, names, ALL)


def test_a_plugin_metric_sees_the_inputs_and_nonsense_is_named() -> None:
    registry = Registry()
    metrics.register(registry)
    registry.current_plugin = "alframe-extra"

    def positives_rate(x: metrics.EvalInputs) -> float | None:
        return float(x.preds.float().mean())

    registry.register("metric", "positives_rate", lambda: positives_rate)
    registry.register("metric", "broken", lambda: (lambda x: "high"))
    probs, truth, thr = random_case(2)
    got = evaluate(probs, truth, thr, [f"t{j}" for j in range(7)], ("positives_rate",), registry=registry)
    assert close(got["positives_rate"], float((probs.numpy() > thr).mean()))
    with pytest.raises(PluginError, match="metric 'broken' returned 'high'") as err:
        evaluate(probs, truth, thr, [f"t{j}" for j in range(7)], ("broken",), registry=registry)
    assert err.value.plugin == "alframe-extra"


def test_non_finite_probabilities_have_their_own_code() -> None:
    """R314, not the R300 of a missing checkpoint."""
    from alframe.errors import RunError

    probs, truth, thr = random_case(2)
    probs[0, 0] = float("nan")
    with pytest.raises(RunError, match="1 non-finite probabilities") as err:
        evaluate(probs, truth, thr, [f"t{j}" for j in range(7)], ("micro_f1",))
    assert err.value.code == "R314"


def test_a_single_label_matches_the_reference() -> None:
    rng = np.random.default_rng(5)
    probs = np.round(rng.random((40, 1)), 1).astype(np.float32)
    truth = (rng.random((40, 1)) < 0.4).astype(np.int8)
    truth[::7] = -1
    got = evaluate(torch.from_numpy(probs), truth, np.array([0.4]), ["only"], ALL)
    want = reference(probs, truth, np.array([0.4], dtype=np.float32))
    for name in ALL:
        assert close(got[name], want[name]), name  # type: ignore[arg-type]


# --- the one-sort average precision against torchmetrics and scikit-learn -------------------


def _ap_case(seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Random [n, L] probabilities with many ties (a few levels, exact 0 and 1, -0.0), truth with
    unknown cells, labels with one known cell, all positive, or all unknown."""
    rng = np.random.default_rng(seed)
    n, n_labels = int(rng.integers(1, 2500)), int(rng.integers(1, 12))
    if seed % 3 == 0:
        probs = rng.random((n, n_labels)).astype(np.float32)  # almost no ties
    else:
        levels = int(rng.integers(1, 40))
        probs = (rng.integers(0, levels + 1, (n, n_labels)) / levels).astype(np.float32)
    probs[probs == 0] = -0.0 if seed % 2 else 0.0
    truth = (rng.random((n, n_labels)) < rng.random(n_labels)).astype(np.int64)
    truth[rng.random((n, n_labels)) < rng.random() * 0.6] = -1
    if n_labels > 2:
        truth[:, 0] = np.where(truth[:, 0] == -1, -1, 1)  # every known cell positive
        truth[:, 1] = -1
        truth[int(rng.integers(n)), 1] = 1  # one known cell
    return torch.from_numpy(probs), torch.from_numpy(truth)


@pytest.mark.parametrize("seed", range(40))
def test_one_sort_ap_equals_torchmetrics_to_the_last_bit(seed: int) -> None:
    """metrics._per_label_ap sorts the whole matrix once; its values are bit for bit those of
    torchmetrics' multilabel_average_precision (what it computed before, one sort per label),
    ties included, and equal to scikit-learn's within float32 rounding (where scikit-learn is
    installed: it is a benchmark extra, not a test dependency)."""
    from torchmetrics.functional.classification import multilabel_average_precision

    probs, truth = _ap_case(seed)
    support = (truth == 1).sum(dim=0)
    got = metrics._per_label_ap(probs, truth, support)
    cols = torch.nonzero(support > 0).flatten()
    want = torch.full_like(got, float("nan"))
    if len(cols):
        want[cols] = multilabel_average_precision(
            probs[:, cols], truth[:, cols], num_labels=len(cols), average=None, ignore_index=-1, validate_args=False
        ).to(torch.float64)
    assert torch.equal(torch.isnan(got), support == 0)
    assert torch.equal(got.nan_to_num(-1.0), want.nan_to_num(-1.0)), (got - want).abs().nan_to_num(0).max()
    try:
        from sklearn.metrics import average_precision_score
    except ImportError:
        return
    for j in cols.tolist():
        known = truth[:, j] != -1
        sk = average_precision_score(truth[known, j].numpy(), probs[known, j].numpy())
        assert math.isclose(float(got[j]), sk, rel_tol=1e-5, abs_tol=1e-6)


def test_one_sort_ap_at_the_benchmark_size() -> None:
    """[6,000 × 131] with float probabilities (the sizes of a round's evaluation)."""
    from torchmetrics.functional.classification import multilabel_average_precision

    gen = torch.Generator().manual_seed(13)
    probs = torch.rand(6000, 131, generator=gen)
    probs[:, :20] = torch.round(probs[:, :20] * 50) / 50  # ties
    truth = (torch.rand(6000, 131, generator=gen) < 0.1).long()
    truth[torch.rand(6000, 131, generator=gen) < 0.2] = -1
    support = (truth == 1).sum(dim=0)
    assert bool((support > 0).all())
    want = multilabel_average_precision(probs, truth, num_labels=131, average=None, ignore_index=-1, validate_args=False)
    assert torch.equal(metrics._per_label_ap(probs, truth, support), want.to(torch.float64))
