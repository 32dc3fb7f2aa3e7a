from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from model_fixtures import bundle, catalogue, plan, registry

from alframe.errors import DataError, PluginError
from alframe.models.bundle import ModelBundle, build_bundle
from alframe.plan import Call


def test_build_bundle_gives_a_model_bundle_with_fixed_thresholds() -> None:
    ds = catalogue(50)
    b = build_bundle(plan(), registry(), ds)
    assert isinstance(b, ModelBundle)
    assert b.thresholds.dtype == np.float32 and np.allclose(b.thresholds, 0.5)
    probs = b.predict_proba(np.arange(5))  # scoring works before any fit (seed policies)
    assert probs.shape == (5, ds.n_labels, 3)


def test_features_are_computed_once_for_every_item() -> None:
    ds = catalogue(50)
    b = bundle(plan(), ds)
    assert b.features.n_items == ds.n_items
    assert b.features.bag_offsets is not None and len(b.features.bag_offsets) == ds.n_items + 1
    assert b.features.numeric is not None and b.features.numeric.shape == (ds.n_items, 2)
    assert abs(float(b.features.numeric[ds.pool_idx].mean())) < 1e-5  # standardised on the pool


def test_an_encoder_without_its_inputs_is_a_data_error() -> None:
    ds = catalogue(30, numeric=False)
    with pytest.raises(DataError) as err:
        bundle(plan(encoder=Call("numeric_mlp", (("hidden", 4),))), ds)
    assert err.value.code == "D213"
    ds.texts = [""] * ds.n_items
    with pytest.raises(DataError) as err:
        bundle(plan(), ds)
    assert err.value.code == "D212"


def test_mostly_empty_texts_leave_a_note() -> None:
    ds = catalogue(30)
    ds.texts = ["" if i % 4 else t for i, t in enumerate(ds.texts)]
    b = bundle(plan(), ds)
    assert any("no text n-gram" in note for note in b.notes)


def test_a_plugin_component_is_built_through_the_registry_and_named_when_broken() -> None:
    @dataclass(frozen=True)
    class HalfDone:
        width: int = 3

    def broken(**kwargs: object) -> object:
        raise ValueError("width must be odd")

    reg = registry()
    reg.current_plugin = "alframe-extra"
    reg.register("trunk", "half_done", HalfDone)
    reg.register("trunk", "broken", broken)
    ds = catalogue(30)
    with pytest.raises(PluginError) as err:
        build_bundle(plan(trunk=Call("half_done")), reg, ds)
    assert err.value.plugin == "alframe-extra" and "build()" in str(err.value)
    with pytest.raises(PluginError) as err:
        build_bundle(plan(trunk=Call("broken")), reg, ds)
    assert err.value.plugin == "alframe-extra" and "width must be odd" in str(err.value)


def test_a_plugin_layer_is_reset_from_the_seed_without_touching_the_global_rng() -> None:
    import torch
    from torch import nn

    class PlainTrunk(nn.Module):
        """A plugin's trunk made of stock layers (no reset_members): [B, D] -> [B, 1, 8]."""

        def __init__(self, d_in: int) -> None:
            super().__init__()
            self.out_dim = 8
            self.layer = nn.Linear(d_in, 8)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.relu(self.layer(x)).unsqueeze(1)

    @dataclass(frozen=True)
    class Plain:
        def build(self, d_in: int, n_members: int) -> nn.Module:
            return PlainTrunk(d_in)

    reg = registry()
    reg.register("trunk", "plain", Plain)
    ds = catalogue(60)
    state = torch.get_rng_state()
    first = build_bundle(plan(trunk=Call("plain"), ensemble=1), reg, ds)
    second = build_bundle(plan(trunk=Call("plain"), ensemble=1), reg, ds)
    assert torch.equal(first.net.trunk.layer.weight, second.net.trunk.layer.weight)
    other = build_bundle(plan(trunk=Call("plain"), ensemble=1, seed=99), reg, ds)
    assert not torch.equal(first.net.trunk.layer.weight, other.net.trunk.layer.weight)
    assert torch.equal(torch.get_rng_state(), state)
