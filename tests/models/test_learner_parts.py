"""The learner's parts one by one: TF-IDF bags, the per-round schedule, RowAdam, the wide path."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from alframe.models.committee import round_epochs
from alframe.models.encoders import WideModule, bag_weights, sparse_groups
from alframe.models.features import Features
from alframe.models.module import lr_factor
from alframe.models.optim import RowAdam
from alframe.models.tfidf import mean_weights, tfidf_bags


def test_tfidf_dedupes_weights_and_normalises_each_bag() -> None:
    # item 0: bucket 3 twice and bucket 5; item 1: bucket 3; item 2: empty; item 3 (test): 7
    values = np.array([3, 5, 3, 3, 7], dtype=np.int64)
    offsets = np.array([0, 3, 4, 4, 5], dtype=np.int64)
    v, o, w = tfidf_bags(values, offsets, reference=np.array([0, 1, 2]), buckets=8)
    assert o.tolist() == [0, 2, 3, 3, 4]
    assert v.tolist() == [3, 5, 3, 7]
    idf3 = math.log(4 / 3) + 1  # bucket 3 in 2 of the 3 pool items
    idf5 = math.log(4 / 2) + 1
    raw = np.array([(1 + math.log(2)) * idf3, idf5])
    assert np.allclose(w[:2], raw / np.linalg.norm(raw))
    assert np.allclose(w[2:], [1.0, 1.0])  # one entry per bag: unit weight
    # bucket 7 occurs only in a test item: its document frequency counts zero (not leaked)
    _, _, w_ref_all = tfidf_bags(values, offsets, reference=np.arange(4), buckets=8)
    assert not np.allclose(w, w_ref_all)


def test_mean_weights_make_a_plain_mean() -> None:
    assert mean_weights(np.array([0, 2, 2, 5])).tolist() == pytest.approx([0.5, 0.5, 1 / 3, 1 / 3, 1 / 3])


def test_bag_weights_default_to_the_mean_when_features_carry_none() -> None:
    f = Features(n_items=2, bag_values=torch.tensor([1, 2, 3]), bag_offsets=torch.tensor([0, 1, 3]))
    batch = f.batch(torch.tensor([1, 0]))
    assert "bag_weights" not in batch
    assert bag_weights(batch).tolist() == pytest.approx([0.5, 0.5, 1.0])
    f.bag_weights = torch.tensor([0.9, 0.6, 0.8])
    assert f.batch(torch.tensor([1, 0]))["bag_weights"].tolist() == pytest.approx([0.6, 0.8, 0.9])


def test_cosine_schedule_warms_up_decays_and_restarts_each_round() -> None:
    total = 200
    f = [lr_factor(s, total, "cosine") for s in range(total)]
    warm = max(1, round(0.05 * total))
    assert f[0] == pytest.approx(1 / warm) and f[warm - 1] == pytest.approx(1.0)
    assert all(a >= b for a, b in zip(f[warm:], f[warm + 1 :]))  # decays monotonically
    assert f[-1] < 0.001
    assert lr_factor(0, total, "constant") == lr_factor(150, total, "constant") == 1.0
    assert lr_factor(5, 0, "cosine") == 1.0  # no known length: no schedule
    with pytest.raises(ValueError, match="schedule"):
        lr_factor(0, 10, "linear")


def test_row_adam_matches_sparse_adam() -> None:
    torch.manual_seed(0)
    tables = [nn.EmbeddingBag(50, 4, mode="sum", sparse=True) for _ in range(2)]
    tables[1].weight.data.copy_(tables[0].weight.data)
    opts = [RowAdam(tables[0].parameters(), lr=0.05), torch.optim.SparseAdam(tables[1].parameters(), lr=0.05)]
    gen = torch.Generator().manual_seed(1)
    for _ in range(6):
        values = torch.randint(0, 50, (30,), generator=gen)  # repeats: gradients summed per row
        starts = torch.tensor([0, 10, 20])
        target = torch.randn(3, 4, generator=gen)
        for table, opt in zip(tables, opts):
            opt.zero_grad()
            ((table(values, starts) - target) ** 2).sum().backward()
            opt.step()
    assert torch.allclose(tables[0].weight, tables[1].weight, atol=1e-6)


def test_row_adam_on_a_dense_parameter_is_adam() -> None:
    a, b = torch.nn.Parameter(torch.ones(3)), torch.nn.Parameter(torch.ones(3))
    ra, ad = RowAdam([a], lr=0.1), torch.optim.Adam([b], lr=0.1)
    for _ in range(4):
        for p, opt in ((a, ra), (b, ad)):
            opt.zero_grad()
            (p * torch.tensor([1.0, -2.0, 3.0])).pow(2).sum().backward()
            opt.step()
    assert torch.allclose(a, b, atol=1e-6)


def test_wide_path_starts_at_zero_and_folds_buckets() -> None:
    wide = WideModule(buckets=16, n_members=2, n_labels=3, lr_scale=7.0)
    batch = {"bag_values": torch.tensor([1, 17, 40]), "bag_offsets": torch.tensor([0, 2])}
    out = wide(batch)
    assert out.shape == (2, 2, 3) and torch.count_nonzero(out) == 0
    with torch.no_grad():
        wide.bag.weight[1] = torch.arange(3.0)  # member 0, bucket 1
        wide.bag.weight[16 + 1] = 10 + torch.arange(3.0)  # member 1, bucket 1
    out = wide(batch)  # item 0: buckets 1 and 17 -> row 1 twice, mean weights 1/2 each
    assert torch.allclose(out[0], torch.tensor([[0.0, 1, 2], [10, 11, 12]]))
    assert torch.count_nonzero(out[1]) == 0  # 40 folds to row 8, still zero
    groups = sparse_groups(nn.Sequential(wide))
    assert groups == [(7.0, [wide.bag.weight])]


def test_small_labelled_sets_get_enough_steps() -> None:
    assert round_epochs(10, 200, 64, 200) == 64  # 200 items at batch 64: 200 steps' worth, not 40
    assert round_epochs(10, 1000, 64, 200) == 13
    assert round_epochs(10, 2000, 64, 200) == 10 and round_epochs(3, 32000, 64, 200) == 3
    assert round_epochs(2, 200, 64, 0) == 2
    assert round_epochs(10, 19000, 64, 200) == 10


def test_a_solved_wide_path_is_the_logistic_regression_optimum_and_the_deep_path_leaves_it() -> None:
    """One solve over every training row, shared by the members of a bootstrap committee (whose
    deep paths train on resampled rows)."""
    from model_fixtures import bundle, catalogue, plan, request

    from alframe.models.encoders import bag_weights
    from alframe.models.wide_fit import WideProblem, solve

    ds = catalogue()
    b = bundle(plan(ensemble=3, diversity="bootstrap", epochs=3), ds)
    req = request(ds)
    out = b.fit(req)
    assert out["wide_evaluations"] > 0 and out["wide_buckets"] > 0
    batch = b.features.batch(torch.as_tensor(req.train_idx))
    problem = WideProblem.build(
        batch["bag_values"], batch["bag_offsets"], bag_weights(batch), 256,
        torch.as_tensor(req.targets), torch.as_tensor(req.weights),
    )
    w, bias, _ = solve(problem, 10.0)
    wide = b.net.wide
    for k in range(3):  # every member's block, three epochs later
        assert torch.allclose(wide.bag.weight[problem.columns + k * 256], w, atol=1e-5)
        assert torch.allclose(wide.bias[k], bias, atol=1e-5)
    unused = torch.ones(3 * 256, dtype=torch.bool)
    for k in range(3):
        unused[problem.columns + k * 256] = False
    assert torch.count_nonzero(wide.bag.weight[unused]) == 0
    assert all(p.requires_grad for p in wide.bag.parameters())  # unfrozen again after the fit


def test_wide_c_zero_trains_the_wide_path_by_steps() -> None:
    from model_fixtures import TINY_ENCODER, bundle, catalogue, plan, request

    from alframe.plan import Call

    enc = Call(TINY_ENCODER.name, (*TINY_ENCODER.args, ("wide_c", 0.0)))
    ds = catalogue()
    b = bundle(plan(encoder=enc, ensemble=1, diversity="init"), ds)
    out = b.fit(request(ds))
    assert "wide_evaluations" not in out
    assert torch.count_nonzero(b.net.wide.bag.weight) > 0  # moved by RowAdam
    assert torch.count_nonzero(b.net.wide.bias) == 0  # the heads carry the bias


def test_warm_start_with_a_solved_wide_path_carries_only_the_wide_path() -> None:
    from model_fixtures import bundle, catalogue, plan, request, weights_of

    from alframe import seeds
    from alframe.models.ensemble import reset_members

    ds = catalogue()
    b = bundle(plan(ensemble=2), ds)
    b.fit(request(ds, seed=1, round=0))
    seen: dict[str, dict[str, np.ndarray]] = {}
    solve = b.net.wide.solve

    def spy(rows, warm):  # the state a round starts from, just before the solve
        seen["start"], seen["warm"] = weights_of(b), warm
        return solve(rows, warm)

    before = weights_of(b)
    b.net.wide.solve = spy
    b.fit(request(ds, seed=2, round=1))
    fresh = bundle(plan(ensemble=2), ds)
    reset_members(fresh.net, seeds.sub_seed(2, seeds.INIT))
    init = weights_of(fresh)
    assert seen["warm"] is True
    for name, value in seen["start"].items():
        if name.startswith("wide."):
            assert np.array_equal(value, before[name]), name  # the last optimum, the solve's start
        else:
            assert np.array_equal(value, init[name]), name  # the deep path starts afresh


def test_a_deep_epoch_over_partly_known_items_carries_the_answers_of_whole_ones() -> None:
    from alframe.models.committee import deep_batches

    whole = torch.ones(640, 131, dtype=torch.int8)
    assert deep_batches(10, whole) == 10  # every cell known: every batch
    partly = torch.full((6400, 131), -1, dtype=torch.int8)
    partly[:, :2] = 1  # 2 of 131 cells known per item
    assert deep_batches(100, partly) == 2
    assert deep_batches(100, torch.full((64, 131), -1, dtype=torch.int8)) == 1
