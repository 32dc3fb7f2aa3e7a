"""``adaptive``: the bandit over policies (Hsu & Lin, Active Learning by Learning, AAAI 2015).

Properties every policy keeps (batch size, no cell twice, deterministic for a seed, pool-order
invariant); the EXP3 update on fixed and simulated rewards (it moves to the better arm); the
importance-weighted reward; the spec errors of its list of arms; the same arms after a resume
as without one; a short run on the shipped catalogue.
"""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from engine_specs import run_spec, stored_queries, write_spec
from hypothesis import given
from hypothesis import strategies as st
from policy_pools import available, ctx, fast, make_pool, permuted, pool_strategy

from alframe.compile import compile_text
from alframe.errors import SpecErrors
from alframe.hookspecs import hookimpl
from alframe.plugins import load
from alframe.policies.adaptive import AdaptivePolicy, arm_probabilities, bandit_gains, weighted_micro_f1
from alframe.policies.base import LabelledView, PoolScores, Queries, QueryContext

REGISTRY = load(autoload=False).registry
REGISTRY.unloaded = ()
FAST = fast(30)


def build(arms: str = "[random, uncertainty, disagreement(measure=kl)]") -> AdaptivePolicy:
    """The policy as a spec builds it: compiled, then built from the registry."""
    plan = compile_text(
        f'data "x.jsonl" {{ id sku  text title }}\nlabels from "tags"\nquery {{ policy adaptive(arms={arms})  budget 1000 }}\n',
        "t.al",
        REGISTRY,
    )
    policy = REGISTRY.build("policy", "adaptive", plan.query.policy.kwargs)
    assert isinstance(policy, AdaptivePolicy)
    return policy


def keys(q: Queries) -> list[tuple[int, int]]:
    return list(zip(q.items.tolist(), q.labels.tolist()))


# ---- properties ------------------------------------------------------------------------------

pools = pool_strategy()


@FAST
@given(scores=pools, unit=st.sampled_from(["item", "cell"]), batch=st.integers(0, 12), seed=st.integers(0, 2**31))
def test_batch_size_no_cell_twice_and_deterministic(scores: PoolScores, unit: str, batch: int, seed: int) -> None:
    policy = build()
    q = policy.select(scores, ctx(batch, unit, seed))
    assert len(q) == min(batch, available(scores, unit))
    assert len(set(keys(q))) == len(q), "a query appears twice"
    row = {int(item): r for r, item in enumerate(scores.items)}
    for item, label in keys(q):
        known = scores.known[row[item]]
        assert not (known.all() if label < 0 else known[label]), "an answered cell was asked"
    assert np.all((q.prob > 0) & (q.prob <= 1))
    info = policy.info
    assert info is not None and info["arm"] in {label for label, _ in policy.arms}
    assert len(info["asked"]) == len(q) and all(0 < a[2] <= 1 for a in info["asked"])
    again = build().select(scores, ctx(batch, unit, seed))
    assert keys(again) == keys(q) and np.array_equal(again.prob, q.prob)


@FAST
@given(scores=pools, unit=st.sampled_from(["item", "cell"]), batch=st.integers(1, 8), seed=st.integers(0, 2**31),
       perm=st.randoms(use_true_random=False))
def test_pool_order_invariant(scores: PoolScores, unit: str, batch: int, seed: int, perm: Any) -> None:
    order = list(range(len(scores.items)))
    perm.shuffle(order)
    a = build().select(scores, ctx(batch, unit, seed))
    b = build().select(permuted(scores, np.array(order, dtype=np.int64)), ctx(batch, unit, seed))
    assert sorted(keys(a)) == sorted(keys(b))


class _Recorder:
    """An arm that records the first number its generator gives, then asks nothing."""

    mc_samples = 0

    def __init__(self) -> None:
        self.drawn: list[float] = []

    def select(self, scores: PoolScores, c: QueryContext) -> Queries:
        self.drawn.append(float(c.rng.random()))
        assert c.history is None  # the bandit's records are its own, not the arm's
        return Queries.empty()


def test_each_arm_gets_its_own_generator_from_the_round() -> None:
    """Two arms given the same generator would make the same random choices; the same round
    seed gives each arm the same stream again."""
    a, b = _Recorder(), _Recorder()
    policy = AdaptivePolicy(arms=[("a", a), ("b", b)])
    scores = make_pool(3, n=10)
    policy.select(scores, ctx(3, "item", seed=1))
    policy.select(scores, ctx(3, "item", seed=1))
    policy.select(scores, ctx(3, "item", seed=2))
    assert a.drawn[0] != b.drawn[0]
    assert a.drawn[0] == a.drawn[1] and b.drawn[0] == b.drawn[1]
    assert a.drawn[2] != a.drawn[0]


# ---- the bandit -----------------------------------------------------------------------------


def test_exp3_moves_to_the_arm_with_the_larger_gain() -> None:
    """A fixed reward sequence: arm 0's rounds gain 0.02, arm 1's nothing, arms alternating."""
    gains = [(t % 2, 0.5, 0.02 if t % 2 == 0 else 0.0) for t in range(20)]
    pi = arm_probabilities(2, gains, explore=0.1, rate=20.0)
    assert pi[0] > 0.9 and pi.sum() == pytest.approx(1.0)
    assert pi[1] >= 0.1 / 2  # exploration keeps every arm (the random one too) in play
    assert np.allclose(arm_probabilities(3, [], 0.1, 20.0), 1 / 3)  # nothing known: uniform
    # importance weighting: a gain seen with π = 0.1 counts ten times one seen with π = 1
    assert arm_probabilities(2, [(1, 0.1, 0.01)], 0.0, 10.0)[1] == pytest.approx(
        arm_probabilities(2, [(1, 1.0, 0.1)], 0.0, 10.0)[1])


def test_gains_pair_each_arm_with_the_next_reward() -> None:
    hist: list[dict[str, Any]] = [
        {},  # the seed round
        {"arm": "random", "arm_index": 0, "pi": [0.5, 0.5], "reward": None},  # nothing asked yet
        {"arm": "uncertainty", "arm_index": 1, "pi": [0.4, 0.6], "reward": 0.50},
        {"arm": "random", "arm_index": 0, "pi": [0.3, 0.7], "reward": 0.56},
    ]
    assert bandit_gains(hist, 0.57) == [(1, 0.6, pytest.approx(0.06)), (0, 0.3, pytest.approx(0.01))]
    assert bandit_gains(hist, None) == [(1, 0.6, pytest.approx(0.06))]


def test_the_bandit_learns_the_better_arm_from_simulated_accuracy() -> None:
    """Quality rises by 0.02 after the good arm's batch and by 0.005 after the other's, with
    noise of the same size as the difference; the drawn arms, as AdaptivePolicy draws them."""
    rng = np.random.default_rng(0)
    hist: list[dict[str, Any]] = []
    quality, good = 0.3, 1
    picks = []
    for _ in range(150):
        reward = quality if hist else None
        pi = arm_probabilities(2, bandit_gains(hist, reward), explore=0.1, rate=20.0)
        arm = int(rng.random() > pi[0])
        hist.append({"arm": str(arm), "arm_index": arm, "pi": pi.tolist(), "reward": reward})
        quality += (0.02 if arm == good else 0.005) + rng.normal(0.0, 0.01)
        picks.append(arm)
    assert np.mean(np.array(picks[-50:]) == good) > 0.8
    assert pi[good] > 0.8


def test_the_reward_is_the_importance_weighted_micro_f1() -> None:
    """Two asked cells of one item, weights 1/q: a true positive with q = 0.5 and a false
    positive with q = 0.25 give tp = 2, fp = 4, F1 = 4 / 8."""
    scores = make_pool(0, n=4, n_labels=2, known_frac=0.0)
    scores.thresholds = np.array([0.5, 0.5], dtype=np.float32)
    scores.labelled = LabelledView(
        items=np.array([7], dtype=np.int64),
        probs=np.array([[0.9, 0.8]], dtype=np.float32),
        answers=np.array([[1, 0]], dtype=np.int8),
        prob=np.ones((1, 2), dtype=np.float32),
    )
    hist = [{"asked": [[7, 0, 0.5], [7, 1, 0.25], [99, 0, 0.5]]}]  # item 99: not answered
    assert weighted_micro_f1(hist, scores) == pytest.approx(0.5)
    # the whole item (an item query): both cells with the item's q
    assert weighted_micro_f1([{"asked": [[7, -1, 0.5]]}], scores) == pytest.approx(2 * 2 / (2 * 2 + 2))
    assert weighted_micro_f1([], scores) is None


def test_random_items_weigh_more_than_the_ones_every_arm_asks() -> None:
    """q of an item every arm asks is 1; of one only the random arm asks, π_random · batch / n."""
    policy = build("[random, uncertainty]")
    scores = make_pool(5, n=40, known_frac=0.0)
    n = len(scores.items)
    q = policy.select(scores, ctx(4, "item", seed=2))
    info = policy.info or {}
    top = set(keys(build("[random, uncertainty]").arms[1][1].select(scores, ctx(4, "item"))))
    for (item, label), (_, _, qq) in zip(keys(q), info["asked"]):
        pi_r, pi_u = info["pi"]
        expected = pi_r * 4 / n + (pi_u if (item, label) in top else 0.0)
        assert qq == pytest.approx(expected)


def test_the_scorer_fills_what_any_arm_reads() -> None:
    policy = build("[random, uncertainty(diversity=badge)]")
    assert policy.needs_embeddings and policy.needs_scores and policy.needs_labelled
    assert not build("[random, uncertainty]").needs_embeddings
    assert build("[random, bald(mc_dropout=8)]").mc_samples == 8


def test_warnings_name_the_arm_and_a_missing_random_arm() -> None:
    policy = build("[uncertainty, disagreement]")
    policy.select(make_pool(1, members=1), ctx(3, "item"))
    assert policy.warning is not None and "random" in policy.warning and "disagreement:" in policy.warning
    # a pool scorer that gives no answered items (a plugin's) leaves the bandit without rewards
    blind = build("[random, uncertainty]")
    c = ctx(3, "item")
    c.history = [{}, {"arm": "random", "arm_index": 0, "pi": [0.5, 0.5], "reward": None, "asked": [[1, -1, 0.5]]}]
    blind.select(make_pool(1), c)
    assert blind.warning is not None and "cannot measure rewards" in blind.warning


# ---- the spec -------------------------------------------------------------------------------


def compile_policy(policy: str) -> Any:
    return compile_text(
        f'data "items.jsonl" {{ id sku  text title }}\nlabels from "tags"\nquery {{ policy {policy}  budget 1000 }}\n',
        "t.al",
        REGISTRY,
    )


def errors(policy: str) -> str:
    with pytest.raises(SpecErrors) as info:
        compile_policy(policy)
    return info.value.render()


def test_arms_default_and_arguments_are_filled() -> None:
    plan = compile_policy("adaptive")
    arms = plan.query.policy.kwargs["arms"]
    assert [a.name for a in arms] == ["random", "uncertainty"]
    assert arms[1].kwargs["measure"] == "least_confidence"
    plan = compile_policy("adaptive([random, uncertainty(measure=entropy)], explore=0.2)")
    assert str(plan.query.policy).startswith("adaptive(arms=[random, uncertainty(measure=entropy")
    json.dumps(plan.to_dict())  # the plan stays JSON
    labels = [label for label, _ in REGISTRY.build("policy", "adaptive", plan.query.policy.kwargs).arms]
    assert labels == ["random", "uncertainty(measure=entropy)"]


def test_an_unknown_arm_is_pointed_at_with_a_suggestion() -> None:
    text = errors("adaptive([random, uncertanty])")
    assert "t.al:3:34: error[E201]: unknown policy 'uncertanty'" in text
    assert "^^^^^^^^^^" in text and "did you mean 'uncertainty'?" in text


def test_adaptive_cannot_be_one_of_its_own_arms() -> None:
    text = errors("adaptive([random, adaptive])")
    assert "t.al:3:34: error[E307]" in text and "'adaptive' chooses among policies itself" in text


@pytest.mark.parametrize("policy,code,words", [
    ("adaptive([random])", "E306", "at least 2 policies"),
    ("adaptive([random, random])", "E306", "listed twice"),
    ("adaptive(arms=random)", "E305", "takes a list of policies"),
    ("adaptive([random, uncertainty(measure=entropie)])", "E307", "did you mean 'entropy'?"),
    ("adaptive([random, uncertainty], explore=0)", "E306", "explore"),
])
def test_bad_arms_lists(policy: str, code: str, words: str) -> None:
    text = errors(policy)
    assert f"error[{code}]" in text and words in text


def test_every_mistake_in_the_list_is_reported_at_once() -> None:
    text = errors("adaptive([randon, uncertainty(measure=entropie), bald(x=1)])")
    assert text.count("error[") == 3


# ---- in a run -------------------------------------------------------------------------------

RUN = dict(policy="adaptive(arms=[random, uncertainty, disagreement(measure=kl)])", ensemble=2,
           seed_size=20, batch=20, limit=300, extra_query="rounds 5")


def arms_of(out: Path) -> list[str]:
    with sqlite3.connect(out / "run.db") as c:
        rows = c.execute("SELECT detail FROM events WHERE kind = 'policy' ORDER BY id").fetchall()
    return [json.loads(r[0])["arm"] for r in rows]


def pis_of(out: Path) -> list[list[float]]:
    with sqlite3.connect(out / "run.db") as c:
        rows = c.execute("SELECT detail FROM events WHERE kind = 'policy' ORDER BY id").fetchall()
    return [json.loads(r[0])["pi"] for r in rows]


SHOWN: list[str] = []  # what the plain progress printed during the reference run


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    from rich.console import Console

    from alframe.display.progress import PlainProgress

    folder = tmp_path_factory.mktemp("adaptive")
    spec = write_spec(folder / "spec", **RUN)
    console = Console(record=True, width=300, color_system=None)
    summary, _, _ = run_spec(spec, folder / "run", observer=PlainProgress(console))
    assert summary.rounds == 5 and not summary.interrupted
    SHOWN.append(console.export_text())
    return spec, folder / "run"


def test_a_short_run_on_the_catalogue(reference: tuple[Path, Path]) -> None:
    _, out = reference
    arms = arms_of(out)
    assert len(arms) == 4  # rounds 1..4 (round 0 is the seed set)
    assert set(arms) <= {"random", "uncertainty", "disagreement(measure=kl)"}
    pis = pis_of(out)
    assert pis[0] == pytest.approx([1 / 3] * 3)  # nothing learnt before the first reward
    assert pis[-1] != pytest.approx([1 / 3] * 3)  # rewards arrived and moved π
    with open(out / "metrics.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["arm"] for r in rows] == [""] + arms
    later = [q for q in stored_queries(out) if q[0] > 0]
    assert later and all(q[3] == 1.0 for q in later)  # the arms' own p: deterministic or random
    lines = [line for line in SHOWN[0].splitlines() if line.startswith("round ")]
    assert [line.split("| arm ")[1].split(" |")[0] if "| arm " in line else None for line in lines] == [None] + arms


class _InterruptAt:
    """Ctrl-C in one stage of one round (as in tests/engine/test_resume.py)."""

    def __init__(self, stage: str, rnd: int) -> None:
        self.stage, self.rnd = stage, rnd

    @hookimpl(tryfirst=True)
    def alframe_annotate(self, state, items, labels):  # type: ignore[no-untyped-def]
        if self.stage == "annotate" and state.round == self.rnd:
            raise KeyboardInterrupt

    @hookimpl
    def alframe_round_end(self, state, record):  # type: ignore[no-untyped-def]
        if self.stage == "round_end" and state.round == self.rnd:
            raise KeyboardInterrupt


@pytest.mark.parametrize("stage,rnd", [("round_end", 2), ("annotate", 3)])
def test_a_resumed_run_draws_the_same_arms(reference: tuple[Path, Path], tmp_path: Path, stage: str, rnd: int) -> None:
    """Stopped after round 2 was committed, or in round 3 after its questions were saved: the
    resumed run's arms, π and questions are those of the run never stopped."""
    spec, ref = reference
    out = tmp_path / "run"
    summary, _, _ = run_spec(spec, out, extra=[("interrupt", _InterruptAt(stage, rnd))])
    assert summary.interrupted
    summary, _, _ = run_spec(spec, out)
    assert not summary.interrupted and summary.rounds == 5
    assert arms_of(out) == arms_of(ref)
    assert pis_of(out) == pis_of(ref)
    assert stored_queries(out) == stored_queries(ref)
    assert [r.policy.get("arm") for r in summary.history] == [None] + arms_of(ref)


def test_rewards_are_recorded_from_the_second_bandit_round(reference: tuple[Path, Path]) -> None:
    """The first bandit round has no answered bandit cell to score; every later one has a
    weighted micro-F1 in [0, 1] (the scorer filled ``PoolScores.labelled``)."""
    with sqlite3.connect(reference[1] / "run.db") as c:
        rewards = [json.loads(r[0])["reward"] for r in c.execute("SELECT detail FROM events WHERE kind = 'policy'")]
    assert rewards[0] is None and all(r is not None and 0.0 <= r <= 1.0 for r in rewards[1:])
    assert build().needs_labelled and not getattr(REGISTRY.build("policy", "uncertainty", {}), "needs_labelled", False)
