from __future__ import annotations

import re

import numpy as np
import pytest
from experiment_plans import small_plan

from alframe.errors import RunError
from alframe.experiments.grid import expand, expand_plans, safe_name, settings_of, value_label
from alframe.plan import Call, VaryAxis
from alframe.plugins import load
from alframe.seeds import repeat_seed

POLICIES = VaryAxis("policy", "query.policy", (
    Call("random"),
    Call("uncertainty", (("measure", "least_confidence"), ("aggregate", "mean"), ("rare_bonus", 0.0))),
    Call("iwal", (("base", "uncertainty"), ("rule", "floor"), ("floor", 0.05))),
))
HEADS = VaryAxis("heads", "model.heads", (Call("joint"), Call("independent", (("hidden", 32),))))
SAFE = re.compile(r"^[A-Za-z0-9._,=()+\-/~]+$")


@pytest.fixture(scope="module")
def registry():
    return load(autoload=False).registry


def test_grid_count_names_and_order(registry) -> None:
    plan = small_plan(vary=(POLICIES, HEADS), repeat=3)
    variants = expand(plan, registry)
    assert len(variants) == 3 * 2 * 3
    assert len({v.name for v in variants}) == len(variants)
    # repeat-major: every setting's repeat 1 first
    assert [v.repeat for v in variants[:6]] == [1] * 6
    assert settings_of(variants) == [
        "policy=random__heads=joint",
        "policy=random__heads=independent",
        "policy=uncertainty__heads=joint",
        "policy=uncertainty__heads=independent",
        "policy=iwal(floor=0.05)__heads=joint",
        "policy=iwal(floor=0.05)__heads=independent",
    ]
    assert variants[0].name == "policy=random__heads=joint/repeat-1"
    assert all(SAFE.match(v.name) for v in variants)


def test_derived_plans_take_the_axis_values_and_clear_the_grid(registry) -> None:
    plan = small_plan(vary=(POLICIES, HEADS), repeat=2, ceiling=True)
    for v in expand(plan, registry):
        assert v.plan.vary == () and v.plan.repeat == 1 and not v.plan.ceiling
        assert v.plan.seed == v.seed
        assert v.plan.name == f"tiny/{v.name}"
        assert dict(v.values)["heads"] == value_label(v.plan.model.heads, "heads", registry)
        assert dict(v.values)["policy"] == value_label(v.plan.query.policy, "policy", registry)
        # everything not varied is the spec's
        assert v.plan.data == plan.data and v.plan.train == plan.train and v.plan.query.budget == plan.query.budget


def test_seeds_are_per_repeat_and_shared_across_settings(registry) -> None:
    variants = expand(small_plan(vary=(POLICIES,), repeat=3), registry)
    by_repeat: dict[int, set[int]] = {}
    for v in variants:
        by_repeat.setdefault(v.repeat, set()).add(v.seed)
    assert all(len(s) == 1 for s in by_repeat.values())  # paired: one seed per repeat
    seeds = [next(iter(by_repeat[r])) for r in (1, 2, 3)]
    assert len(set(seeds)) == 3
    assert seeds == [repeat_seed(7, r) for r in (1, 2, 3)]
    ss = np.random.SeedSequence([7, 2]).generate_state(1, dtype=np.uint32)[0] & 0x7FFFFFFF
    assert seeds[1] == int(ss)
    # a different spec seed gives different repeat seeds; the same one the same (stable across calls)
    assert repeat_seed(8, 1) != repeat_seed(7, 1)
    assert [v.seed for v in expand(small_plan(vary=(POLICIES,), repeat=3), registry)] == [v.seed for v in variants]


def test_no_axes_repeat_only_is_named_after_the_run(registry) -> None:
    variants = expand(small_plan("my run", repeat=2), registry)
    assert [v.name for v in variants] == ["myrun/repeat-1", "myrun/repeat-2"]
    assert [v.setting for v in variants] == ["myrun", "myrun"]


def test_defaults_are_left_out_of_names_and_collisions_named_in_full(registry) -> None:
    axis = VaryAxis("policy", "query.policy", (Call("iwal", (("base", "disagreement"),)), Call("iwal", (("base", "uncertainty"),))))
    names = settings_of(expand(small_plan(vary=(axis,)), registry))
    assert names == ["policy=iwal(base=disagreement)", "policy=iwal"]
    # without a registry, every argument shows
    assert settings_of(expand(small_plan(vary=(axis,)))) == ["policy=iwal(base=disagreement)", "policy=iwal(base=uncertainty)"]
    dup = VaryAxis("ensemble", "model.ensemble", (1, 3))
    assert settings_of(expand(small_plan(vary=(dup,)), registry)) == ["ensemble=1", "ensemble=3"]


def test_scalar_values_and_unsafe_text() -> None:
    assert value_label(True, "warm_start") == "yes"
    assert value_label((1, 2), "ngrams") == "1..2"
    assert value_label(0.5, "lr") == "0.5"
    assert safe_name("a b/c:d*e") == "ab_c_d_e"
    assert safe_name("..") == "_.."
    long = safe_name("x" * 300)
    assert len(long) == 100 and "~" in long and long == safe_name("x" * 300)
    assert safe_name("x" * 300) != safe_name("x" * 299 + "y")


def test_compare_settings_are_run_names_with_shared_seeds(registry) -> None:
    a = small_plan("alpha", policy=Call("random"))
    b = small_plan("beta", policy=Call("uncertainty"))
    variants = expand_plans([a, b], registry, repeat=2, seed=11)
    assert [v.name for v in variants] == ["alpha/repeat-1", "beta/repeat-1", "alpha/repeat-2", "beta/repeat-2"]
    assert variants[0].seed == variants[1].seed == repeat_seed(11, 1)
    assert variants[2].seed == variants[3].seed == repeat_seed(11, 2)
    assert variants[1].plan.query.policy.name == "uncertainty"
    with pytest.raises(RunError, match="alpha"):
        expand_plans([a, a], registry, repeat=1, seed=1)


def test_repeat_must_be_positive(registry) -> None:
    with pytest.raises(RunError):
        expand(small_plan(), registry, repeat=0)
    with pytest.raises(RunError):
        repeat_seed(1, 0)


def test_a_seed_axis_gives_each_setting_its_own_base_seed(registry) -> None:
    seeds = VaryAxis("seed", "seed", (1, 2))
    variants = expand(small_plan(vary=(seeds, HEADS), repeat=2), registry)
    by = {(v.setting, v.repeat): v.seed for v in variants}
    assert by[("seed=1__heads=joint", 1)] == repeat_seed(1, 1) == by[("seed=1__heads=independent", 1)]
    assert by[("seed=2__heads=joint", 2)] == repeat_seed(2, 2)
    assert by[("seed=1__heads=joint", 1)] != by[("seed=2__heads=joint", 1)]
