from __future__ import annotations

import numpy as np
import pytest
import torch
from model_fixtures import TINY_ENCODER, bundle, catalogue, plan, request

from alframe.models.ensemble import StackedLinear, member_multiplicity
from alframe.plan import Call

CONFIGS = {
    "joint-shared": dict(heads=Call("joint")),
    "joint-per-member-table": dict(encoder=Call("hashed_bag", TINY_ENCODER.args + (("table", "per_member"),))),
    "independent": dict(heads=Call("independent", (("hidden", 4), ("dropout", 0.0)))),
    "grouped": dict(heads=Call("grouped", (("separator", "::"), ("hidden", 4), ("dropout", 0.0)))),
    "grouped-per-member-table": dict(
        encoder=Call("hashed_bag", TINY_ENCODER.args + (("table", "per_member"),)),
        heads=Call("grouped", (("separator", "::"), ("hidden", 4), ("dropout", 0.0))),
    ),
    "numeric": dict(encoder=Call("numeric_mlp", (("hidden", 6),)), trunk=Call("identity")),
    "two-layer-trunk": dict(trunk=Call("mlp", (("hidden", 8), ("layers", 2), ("dropout", 0.0)))),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_batched_forward_equals_each_member_alone(name: str) -> None:
    ds = catalogue(60)
    b = bundle(plan(ensemble=3, **CONFIGS[name]), ds)
    b.net.eval()
    batch = b.features.batch(torch.arange(ds.n_items))
    with torch.no_grad():
        together = b.net(batch)  # [n, K, L]
        assert together.shape == (ds.n_items, 3, ds.n_labels)
        for k in range(3):
            alone = b.member(k).eval()(batch)  # [n, 1, L]
            torch.testing.assert_close(alone[:, 0], together[:, k], rtol=1e-5, atol=1e-5)
    assert not torch.allclose(together[:, 0], together[:, 1])  # members are initialised apart


def test_single_member_has_the_shape_of_a_plain_model() -> None:
    ds = catalogue(40)
    b = bundle(plan(ensemble=4), ds)
    one = b.member(2)
    full = sum(p.numel() for p in b.net.parameters())
    single = sum(p.numel() for p in one.parameters())
    table = b.net.encoder.bag.weight.numel()
    assert full - table == 4 * (single - table)  # everything above the shared table is per member


@pytest.mark.parametrize("diversity", ["init", "bootstrap", "poisson"])
def test_members_differ_after_training(diversity: str) -> None:
    ds = catalogue(120)
    b = bundle(plan(ensemble=3, diversity=diversity, epochs=2), ds)
    b.fit(request(ds, seed=1))
    probs = b.predict_proba(ds.test_idx)  # [n, L, K]
    spread = (probs.max(2).values - probs.min(2).values).mean().item()
    assert spread > 1e-3


def test_resampling_weights() -> None:
    rng = np.random.default_rng(0)
    boot = member_multiplicity(500, 4, "bootstrap", rng)
    assert boot.shape == (500, 4) and boot.dtype == np.float32
    assert (boot.sum(0) == 500).all()  # each member draws n items with replacement
    assert 0.3 < (boot == 0).mean() < 0.44  # about 1/e out of bag
    assert not np.array_equal(boot[:, 0], boot[:, 1])
    pois = member_multiplicity(5000, 3, "poisson", rng)
    assert abs(pois.mean() - 1.0) < 0.05 and (pois >= 0).all()
    assert (member_multiplicity(10, 3, "init", rng) == 1).all()
    assert (member_multiplicity(10, 1, "bootstrap", rng) == 1).all()  # a lone member keeps all data
    with pytest.raises(ValueError):
        member_multiplicity(10, 2, "dropout", rng)


def test_resampling_is_applied_per_member_in_the_loss() -> None:
    """A member whose multiplicities are all zero gets no gradient; the others do."""
    ds = catalogue(40)
    b = bundle(plan(ensemble=2, trunk=Call("identity")), ds)
    batch = b.features.batch(torch.arange(20))
    batch["targets"] = torch.from_numpy(ds.labels[:20])
    batch["weights"] = torch.ones(20, ds.n_labels)
    batch["mult"] = torch.tensor([[1.0, 0.0]]).repeat(20, 1)  # member 1 sees nothing
    b.module.batch_loss(batch).backward()
    grad = b.net.heads.out.weight.grad  # [K, D, L]
    assert grad[0].abs().sum() > 0 and grad[1].abs().sum() == 0


def test_stacked_linear_shared_and_per_member_inputs_agree() -> None:
    layer = StackedLinear(3, 5, 4)
    x = torch.randn(7, 5)
    shared = layer(x)  # [7, 3, 4]
    per_member = layer(x.unsqueeze(1).expand(7, 3, 5))
    torch.testing.assert_close(shared, per_member)
    torch.testing.assert_close(shared[:, 1], x @ layer.weight[1] + layer.bias[1])


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_embed_gives_member_zeros_input_to_the_heads(name: str) -> None:
    """``embed`` is member 0's penultimate features (the heads' input), batched like
    ``predict_proba``, whatever the heads read and however the table is shared."""
    ds = catalogue(60)
    b = bundle(plan(ensemble=3, **CONFIGS[name]), ds)
    idx = np.arange(ds.n_items)[::-1].copy()
    emb = b.embed(idx)
    assert emb.dtype == torch.float32 and emb.shape == (len(idx), b.embed_dim)
    single = b.member(0).eval()
    batch = b.features.batch(torch.from_numpy(idx))
    with torch.no_grad():
        torch.testing.assert_close(single.hidden(batch).reshape(len(idx), -1), emb, rtol=1e-5, atol=1e-5)
    assert b.embed(np.zeros(0, dtype=np.int64)).shape == (0, b.embed_dim)
    was = b.net.training
    assert not b.embed(idx[:2]).requires_grad and b.net.training == was  # no graph kept, mode restored
