"""IWAL: the threshold rule, batch fitting, and the unbiasedness that justifies 1/p weights."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
from policy_pools import ctx, make_pool

from alframe.policies.base import PoolScores
from alframe.policies.iwal import IWALPolicy, draw, fit_to_batch, floor_probability, threshold_probability

# -- the rejection-threshold rule ------------------------------------------------------------


def test_threshold_rule_by_hand() -> None:
    k, c0, loss = 100, 1.0, 0.25
    b = c0 * math.log(101) / 100  # 0.0461512
    p = threshold_probability(np.array([0.0, 0.1, 2.0]), k, c0, loss)
    assert p[0] == 1.0 and p[1] == 1.0  # inside: g ≤ √b·s + b ≈ 0.2807 for g = 0.1
    # g = 2: s = 0.5 + √2.25 = 2, p = b·((2 + √12) / 4)²
    assert p[2] == pytest.approx(b * ((2 + math.sqrt(12)) / 4) ** 2, rel=1e-12)
    assert p[2] == pytest.approx(0.0861196, rel=1e-5)


@pytest.mark.parametrize("k,c0,loss", [(10, 0.01, 0.25), (1000, 0.1, 0.05), (50_000, 1.0, 0.5), (7, 3.0, 0.0)])
def test_threshold_rule_solves_its_equation(k: int, c0: float, loss: float) -> None:
    g = np.geomspace(1e-4, 1e3, 400)
    p = threshold_probability(g, k, c0, loss)
    b = c0 * math.log(k + 1) / k
    s = math.sqrt(loss) + np.sqrt(loss + g)
    inside = g <= math.sqrt(b) * s + b
    assert np.all(p[inside] == 1.0)
    out = ~inside
    assert out.any()
    assert np.all((p[out] > 0) & (p[out] < 1))
    np.testing.assert_allclose(s[out] * np.sqrt(b / p[out]) + b / p[out], g[out], rtol=1e-9)
    assert np.all(np.diff(p) <= 1e-15), "p must not grow with the gap"


def test_threshold_rule_asks_everything_before_anything_is_seen() -> None:
    assert np.all(threshold_probability(np.array([0.5, 10.0]), 1, 0.01, 0.25) == 1.0)
    assert np.all(threshold_probability(np.array([0.5, 10.0]), 0, 0.01, 0.25) == 1.0)


def test_floor_rule() -> None:
    p = floor_probability(np.array([0.0, 0.01, 0.5, 0.9]), floor=0.05, scale=2.0)
    assert p.tolist() == pytest.approx([0.05, 0.05, 1.0, 1.0])


# -- batch fitting and the coins --------------------------------------------------------------


def test_fit_to_batch_caps_at_one_and_sums_to_the_batch() -> None:
    p = np.array([0.9, 0.8, 0.1, 0.05, 0.05, 0.0, 0.02, 0.3])  # 0: not a candidate
    fitted = fit_to_batch(p, 4)
    assert fitted.sum() == pytest.approx(4.0)
    assert np.all(fitted <= 1.0) and fitted[5] == 0.0
    assert fitted[0] == 1.0 and fitted[1] == 1.0, "capping moved the sum: it needs a second pass"
    assert np.all(np.diff(fitted[[6, 3, 2, 7]]) > 0), "the order of p is kept"


@pytest.mark.parametrize("seed", range(20))
def test_fit_to_batch_on_heavy_tailed_probabilities(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(50, 2000))
    p = (rng.pareto(0.7, size=n) * 1e-3).clip(0, 1).astype(np.float32 if seed % 2 else np.float64)
    p[rng.random(n) < 0.2] = 0.0
    batch = int(rng.integers(1, np.count_nonzero(p)))
    fitted = fit_to_batch(p, batch)
    assert fitted.dtype == p.dtype and fitted.sum(dtype=np.float64) == pytest.approx(batch, rel=1e-5)
    assert fitted.max() <= 1.0 and np.all(fitted[p == 0] == 0)
    free = (fitted < 1) & (p > 0)
    ratio = fitted[free] / p[free]
    assert np.allclose(ratio, ratio[0], rtol=1e-5), "uncapped candidates keep their proportions"
    if (fitted == 1).any() and free.any():
        assert p[fitted == 1].min() >= p[free].max()


def test_fit_to_batch_with_a_batch_larger_than_the_pool() -> None:
    assert fit_to_batch(np.array([0.1, 0.0, 0.3]), 5).tolist() == [1.0, 0.0, 1.0]
    assert fit_to_batch(np.array([0.1, 0.3]), 0).tolist() == [0.0, 0.0]


@pytest.mark.parametrize("sampling,row_len", [("poisson", 1), ("systematic", 1), ("systematic", 3)])
def test_each_candidate_is_drawn_with_probability_p(sampling: str, row_len: int) -> None:
    p = np.array([1.0, 0.5, 0.25, 0.0, 0.1, 0.15, 0.6, 0.6, 0.3])
    hits = np.zeros(len(p))
    trials = 20_000
    rng = np.random.default_rng(0)
    for _ in range(trials):
        pos = draw(p, rng, sampling, row_len)
        assert np.all(np.diff(pos) > 0)
        if sampling == "systematic":
            assert len(pos) in (math.floor(p.sum()), math.ceil(p.sum()))
        hits[pos] += 1
    np.testing.assert_allclose(hits / trials, p, atol=4 * math.sqrt(0.25 / trials))


# -- unbiasedness: the test that matters ------------------------------------------------------


def pool_with_truth(
    seed: int = 11, n: int = 240, n_labels: int = 5, members: int = 5
) -> tuple[PoolScores, np.ndarray]:
    """A pool and its hidden labels, with hard items (near 0.5, members apart) and easy ones.

    The truth is drawn from the members' centre, so the model is calibrated and the hard items'
    cells carry the large losses a policy that favours them over-samples.
    """
    rng = np.random.default_rng(seed)
    ease = rng.uniform(0.05, 1.5, size=(n, 1, 1))  # [n, 1, 1] item difficulty
    centre = rng.normal(0.0, 3.0, size=(n, n_labels, 1)) * ease  # [n, L, 1] logits
    logits = centre + rng.normal(0.0, 1.0, size=(n, n_labels, members)) * (1.6 - ease)  # [n, L, K]
    probs = 1.0 / (1.0 + np.exp(-logits))
    y = rng.random((n, n_labels)) < 1.0 / (1.0 + np.exp(-centre[..., 0]))  # [n, L]
    known = rng.random((n, n_labels)) < 0.15
    pool = PoolScores(
        items=np.arange(n, dtype=np.int64) * 3,
        probs=torch.tensor(probs, dtype=torch.float32),
        known=known,
        label_positives=np.full(n_labels, 5, dtype=np.int64),
        label_answered=np.full(n_labels, 20, dtype=np.int64),
        thresholds=np.full(n_labels, 0.5, dtype=np.float32),
    )
    return pool, y


def cell_losses(pool: PoolScores, y: np.ndarray) -> np.ndarray:
    q = np.clip(pool.probs.mean(dim=2).numpy().astype(np.float64), 1e-6, 1 - 1e-6)
    return -np.where(y, np.log(q), np.log1p(-q))  # [n, L]


def estimates(
    policy: IWALPolicy, pool: PoolScores, loss: np.ndarray, unit: str, batch: int, seeds: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per seed: the 1/p-weighted and the plain estimate of the total loss of the unknown cells."""
    row = {int(item): r for r, item in enumerate(pool.items)}
    n_cells = int((~pool.known).sum())
    weighted, plain = np.empty(seeds), np.empty(seeds)
    for s in range(seeds):
        q = policy.select(pool, ctx(batch, unit, seed=s, n_seen=400))
        rows = np.array([row[int(i)] for i in q.items], dtype=np.int64)
        if unit == "item":
            mask = ~pool.known[rows]  # [m, L] the item's unknown cells are all asked
            per_query = (loss[rows] * mask).sum(axis=1)
            n_asked = mask.sum()
        else:
            per_query = loss[rows, q.labels]
            n_asked = len(q)
        weighted[s] = float((per_query / q.prob).sum())
        plain[s] = float(per_query.sum()) / max(n_asked, 1) * n_cells
    return weighted, plain


@pytest.mark.parametrize(
    "unit,batch,args",
    [
        ("item", 24, {"base": "disagreement"}),
        ("cell", 100, {"base": "disagreement"}),
        ("cell", 100, {"base": "bald", "rule": "threshold", "c0": 0.5, "sampling": "systematic"}),
        ("cell", 100, {"base": "disagreement", "rule": "threshold", "floor": 1e-6}),  # the bare rule
        ("item", 24, {"base": "margin", "rule": "threshold", "c0": 0.5}),
        ("cell", 100, {"base": "uncertainty", "top": 0.8}),  # a sure head, coins over the tail
        ("cell", 100, {"base": "uncertainty", "top": 0.9, "balance": "labels", "floor": 0.001}),
        ("item", 24, {"base": "disagreement", "top": 0.5}),
    ],
)
def test_importance_weighted_loss_is_unbiased_and_the_plain_one_is_not(
    unit: str, batch: int, args: dict[str, Any]
) -> None:
    pool, y = pool_with_truth()
    loss = cell_losses(pool, y)
    truth = float(loss[~pool.known].sum())
    weighted, plain = estimates(IWALPolicy(**args), pool, loss, unit, batch, seeds=3000)
    se = weighted.std() / math.sqrt(len(weighted))
    assert se < 0.03 * truth, "too few seeds for the test to tell anything"
    assert abs(weighted.mean() - truth) < 4 * se, (weighted.mean(), truth, se)
    plain_se = plain.std() / math.sqrt(len(plain))
    assert abs(plain.mean() - truth) > 10 * plain_se, (plain.mean(), truth, plain_se)
    assert abs(plain.mean() / truth - 1) > 0.10, (plain.mean(), truth)


# -- one member -------------------------------------------------------------------------------


def test_committee_base_with_one_member_falls_back_to_the_margin_and_says_so() -> None:
    pool = make_pool(5, n=60, members=1)
    policy = IWALPolicy(base="disagreement")
    q = policy.select(pool, ctx(10, "cell"))
    assert len(q) > 0 and policy.warning is not None and "one member" in policy.warning
    margin_based = IWALPolicy(base="uncertainty").select(pool, ctx(10, "cell"))
    assert q.items.tolist() == margin_based.items.tolist()
    assert IWALPolicy(base="bald").select(make_pool(5, n=60, members=3), ctx(10, "cell")) is not None


def test_zero_batch_asks_nothing() -> None:
    pool = make_pool(1)
    assert len(IWALPolicy(fit_batch=False, floor=1.0).select(pool, ctx(0, "item"))) == 0


# -- balance=labels: each label's share of the batch ------------------------------------------


@pytest.mark.parametrize(
    ("candidates", "batch", "quotas"),
    [
        ([10, 10, 10], 9, [3, 3, 3]),
        ([10, 10, 10], 10, [4, 3, 3]),  # the remainder to the lower label index on equal shares
        ([1, 10, 10], 9, [1, 4, 4]),  # a label short of its share leaves the rest to the others
        ([0, 5, 5], 4, [0, 2, 2]),  # a label without candidates gets nothing
        ([2, 3, 100], 10, [2, 3, 5]),
        ([2, 3, 4], 50, [2, 3, 4]),  # a batch above the candidates asks every one
        ([7, 7], 0, [0, 0]),
    ],
)
def test_label_quotas_share_the_batch_evenly_within_each_labels_candidates(
    candidates: list[int], batch: int, quotas: list[int]
) -> None:
    from alframe.policies.iwal import label_quotas

    got = label_quotas(np.array(candidates), batch)
    assert got.tolist() == quotas
    assert got.sum() == min(batch, sum(candidates)) and (got <= np.array(candidates)).all()


def test_balanced_cells_give_every_label_its_share_of_the_expected_queries() -> None:
    """A label whose cells all look uncertain (label 0 here) would take most of an unbalanced
    batch; balanced, every label's fitted p sum to its equal share, and p stays a probability."""
    pool = make_pool(5, n=200, n_labels=4, members=3, known_frac=0.0)
    probs = pool.probs.clone()
    probs[:, 0] = 0.5  # label 0: a coin everywhere
    probs[:, 1:] = probs[:, 1:].clamp(0.0, 0.1)  # the others: sure negatives, mostly
    pool = PoolScores(pool.items, probs, pool.known, pool.label_positives, pool.label_answered, pool.thresholds)
    c = ctx(40, "cell")
    _, plain = IWALPolicy(base="uncertainty", balance="none").candidate_probabilities(pool, c)
    _, even = IWALPolicy(base="uncertainty", balance="auto").candidate_probabilities(pool, c)  # labels, for cells
    plain, even = plain.reshape(200, 4), even.reshape(200, 4)
    assert plain[:, 0].sum() > 15  # label 0 takes far more than a quarter (the floor gives the rest some)
    np.testing.assert_allclose(even.sum(axis=0), [10, 10, 10, 10], rtol=1e-4)
    assert ((even >= 0) & (even <= 1)).all()
    items, fitted = IWALPolicy(base="uncertainty", balance="auto").candidate_probabilities(pool, ctx(10, "item"))
    assert items.shape == fitted.shape == (200,) and fitted.sum() == pytest.approx(10)  # items: auto is none
    assert IWALPolicy().balance == "auto" and IWALPolicy().top == "auto"  # balanced cells with a sure head; items as before


# -- top: a sure head, coins over the tail ----------------------------------------------------


@pytest.mark.parametrize("seed", range(10))
def test_fit_with_top_asks_the_largest_for_sure_and_fits_the_rest(seed: int) -> None:
    from alframe.policies.iwal import fit_with_top

    rng = np.random.default_rng(seed)
    p = rng.random(500) ** 3
    p[rng.random(500) < 0.2] = 0.0  # not candidates
    batch, top = 40, 0.75
    out = fit_with_top(p, batch, top)
    head = np.argsort(-p, kind="stable")[:30]
    assert (out[head] == 1.0).all()
    assert out.sum() == pytest.approx(batch)
    assert (out[p == 0] == 0).all() and (out[p > 0] > 0).all()  # every candidate stays reachable
    rest = np.setdiff1d(np.flatnonzero(p > 0), head)
    np.testing.assert_allclose(out[rest], fit_to_batch(np.where(np.isin(np.arange(500), rest), p, 0), 10)[rest])
    np.testing.assert_array_equal(fit_with_top(p, batch, 0.0), fit_to_batch(p, batch))


def test_top_one_asks_each_labels_most_uncertain_cells_whatever_the_seed() -> None:
    pool = make_pool(3, n=120, n_labels=5, members=1, known_frac=0.1)
    policy = IWALPolicy(base="uncertainty", balance="labels", top=1.0)
    asked = [policy.select(pool, ctx(25, "cell", seed)) for seed in range(4)]
    for q in asked[1:]:
        np.testing.assert_array_equal(q.items, asked[0].items)
        np.testing.assert_array_equal(q.labels, asked[0].labels)
    assert (asked[0].prob == 1.0).all() and len(asked[0]) == 25
    assert np.bincount(asked[0].labels, minlength=5).tolist() == [5, 5, 5, 5, 5]
    p, _ = policy.candidate_probabilities(pool, ctx(25, "cell"))
    p = p.reshape(120, 5)
    for j in range(5):
        mine = asked[0].items[asked[0].labels == j]
        rows = np.searchsorted(pool.items, mine)
        others = np.setdiff1d(np.flatnonzero(p[:, j] > 0), rows)
        assert p[rows, j].min() >= p[others, j].max()  # the label's largest p, none left above them


@pytest.mark.parametrize(("written", "error"), [
    ("top=auto", None), ("top=0.5", None), ("top=1", None),
    ("top=1.5", "E306"), ("top=atuo", "E307"), ("top=\"0.5\"", "E305"),
])
def test_top_takes_a_share_or_auto_and_says_so(tmp_path: Any, written: str, error: str | None) -> None:
    from alframe.compile import compile_text
    from alframe.errors import SpecErrors
    from alframe.plugins import load

    text = (f'data "x.jsonl" {{ id sku  text title }}\nlabels from "tags"\n'
            f"query {{ policy iwal({written})  unit cell  budget 1000 }}\n")
    (tmp_path / "x.jsonl").write_text('{"sku": "a", "title": "t", "tags": ["x"]}\n')
    if error is None:
        plan = compile_text(text, tmp_path / "s.al", load(autoload=False).registry)
        value = written.split("=")[1]
        assert dict(plan.query.policy.args)["top"] == (value if value == "auto" else float(value))
        return
    with pytest.raises(SpecErrors) as err:
        compile_text(text, tmp_path / "s.al", load(autoload=False).registry)
    codes = [e.code for e in err.value.errors]
    assert codes == [error], err.value.render()
    if error == "E307":
        assert "did you mean 'auto'?" in err.value.render()
    if error == "E305":
        assert "takes a number or auto" in err.value.render()


def test_top_auto_asks_cells_with_a_sure_head_and_items_by_coins_only() -> None:
    policy = IWALPolicy()
    assert policy.resolved_top("cell") == 0.9 and policy.resolved_top("item") == 0.0
    assert IWALPolicy(top=0.3).resolved_top("item") == 0.3
    with pytest.raises(ValueError):
        IWALPolicy(top=1.5)
