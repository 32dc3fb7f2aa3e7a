from __future__ import annotations

import torch
from model_fixtures import bundle, catalogue, plan

from alframe.models.heads import GroupedHeads, IndependentHeads, JointHeads, label_groups
from alframe.plan import Call

NAMES = ["facet::a", "facet::b", "size::big", "plain", "size::small", "other"]


def _grads_of_one_label(heads: torch.nn.Module, x: torch.Tensor, j: int) -> dict[str, torch.Tensor]:
    heads.zero_grad()
    logits = heads(x)  # [B, K, L]
    logits[:, :, j].sum().backward()
    return {n: p.grad.clone() for n, p in heads.named_parameters()}


def test_independent_heads_share_no_gradient_between_labels() -> None:
    heads = IndependentHeads(hidden=5, dropout=0.0).build(7, NAMES, n_members=2)
    x = torch.randn(9, 7)
    for j in range(len(NAMES)):
        grads = _grads_of_one_label(heads, x, j)
        for name, g in grads.items():  # every parameter is [K, L, ...]
            others = torch.cat([g[:, i].reshape(-1) for i in range(len(NAMES)) if i != j])
            assert others.abs().sum() == 0, f"label {j}'s loss reached another label via {name}"
            assert g[:, j].abs().sum() > 0


def test_independent_heads_read_the_encoder_not_the_trunk() -> None:
    ds = catalogue(40)
    b = bundle(plan(heads=Call("independent", (("hidden", 4), ("dropout", 0.0)))), ds)
    assert b.net.trunk is None
    assert any("is not used" in note for note in b.notes)
    joint = bundle(plan(heads=Call("joint")), ds)
    assert joint.net.trunk is not None and joint.notes == []


def test_label_groups_by_prefix() -> None:
    groups = label_groups(NAMES, "::")
    assert groups == [("facet", [0, 1]), ("size", [2, 4]), ("", [3, 5])]
    assert label_groups(NAMES, "#") == [("", list(range(6)))]


def test_grouped_heads_share_within_a_group_only() -> None:
    heads = GroupedHeads(separator="::", hidden=4, dropout=0.0).build(6, NAMES, n_members=3)
    assert heads.group_names == ["facet", "size", ""]
    x = torch.randn(8, 6)
    grads = _grads_of_one_label(heads, x, 2)  # size::big, group 1
    for name in ("w1", "b1"):
        g = grads[name]  # [K, G, ...]
        assert g[:, 1].abs().sum() > 0
        assert g[:, 0].abs().sum() == 0 and g[:, 2].abs().sum() == 0
    # the output weights of size::small (same group, other slot) get nothing either
    slot_small = heads.groups[1].index(4)
    assert grads["w2"][:, 1, :, slot_small].abs().sum() == 0


def test_grouped_output_follows_label_order() -> None:
    """Label j's logit comes from its own group's slot, whatever the group order."""
    heads = GroupedHeads(separator="::", hidden=3, dropout=0.0).build(4, NAMES, n_members=1)
    x = torch.randn(5, 4)
    with torch.no_grad():
        out = heads(x)[:, 0]  # [B, L]
        for gi, members in enumerate(heads.groups):
            hid = torch.relu(x @ heads.w1[0, gi] + heads.b1[0, gi])  # [B, h]
            for slot, j in enumerate(members):
                want = hid @ heads.w2[0, gi, :, slot] + heads.b2[0, gi, slot]
                torch.testing.assert_close(out[:, j], want)


def test_joint_heads_are_one_layer_for_all_labels() -> None:
    heads = JointHeads().build(10, NAMES, n_members=2)
    assert [tuple(p.shape) for p in heads.parameters()] == [(2, 10, 6), (2, 6)]
    assert heads(torch.randn(3, 10)).shape == (3, 2, 6)


def _reference(heads: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Each unit's hidden layer and outputs, label by label, member by member: ``[B, K, L]``."""
    k_members = heads.n_members
    out = torch.empty(x.shape[0], k_members, len(heads.pos))
    for k in range(k_members):
        xk = x if x.dim() == 2 else x[:, k]
        for gi, members in enumerate(heads.groups):
            hid = torch.relu(xk @ heads.w1[k, gi] + heads.b1[k, gi])
            for slot, j in enumerate(members):
                out[:, k, j] = hid @ heads.w2[k, gi, :, slot] + heads.b2[k, gi, slot]
    return out


def test_inference_gives_the_training_forward_s_logits() -> None:
    """Without autograd the forward applies bias, ReLU and output weights in place (scoring
    speed): the same logits as with autograd and as a label-by-label loop, for one encoder or
    one per member, and a training step's gradients are untouched by it."""
    for heads in (IndependentHeads(hidden=5, dropout=0.0).build(7, NAMES, n_members=3),
                  GroupedHeads(separator="::", hidden=4, dropout=0.0).build(7, NAMES, n_members=3)):
        for x in (torch.randn(9, 7), torch.randn(9, 3, 7)):
            with torch.inference_mode():
                fast = heads(x)
            slow = heads(x)
            assert slow.requires_grad
            torch.testing.assert_close(fast, slow.detach())
            with torch.no_grad():
                torch.testing.assert_close(fast, _reference(heads, x), rtol=1e-5, atol=1e-5)
            slow.sum().backward()
            assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in heads.parameters())
            heads.zero_grad()
