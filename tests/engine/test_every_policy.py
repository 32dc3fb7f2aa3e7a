"""A short run of every built-in policy, in both query units, on the shipped catalogue."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_specs import run_spec, stored_queries, write_spec

POLICIES = [
    "random",
    "uncertainty(measure=least_confidence)",
    "uncertainty(measure=margin, aggregate=max)",
    "uncertainty(measure=entropy, rare_bonus=1.0)",
    "disagreement(measure=vote_entropy)",
    "disagreement(measure=kl, aggregate=max)",
    "bald",
    "bald(mc_dropout=4)",
    "iwal(base=uncertainty)",
    "iwal(base=disagreement, rule=threshold, c0=0.01)",
    "iwal(base=bald, combine=mean)",
    "adaptive(arms=[random, uncertainty(measure=entropy), disagreement(measure=kl)])",
]


@pytest.mark.parametrize("unit", ["item", "cell"])
@pytest.mark.parametrize("policy", POLICIES)
def test_policy_runs_end_to_end(tmp_path: Path, policy: str, unit: str) -> None:
    size = 20 if unit == "item" else 300
    spec = write_spec(
        tmp_path / "spec", policy=policy, unit=unit, ensemble=3, seed_size=size, batch=size,
        extra_query="rounds 3", limit=400,
    )
    summary, _, _ = run_spec(spec, tmp_path / "run")
    assert summary.rounds == 3 and not summary.interrupted
    asked = stored_queries(tmp_path / "run")
    later = [q for q in asked if q[0] > 0]
    assert later, "rounds after the seed asked nothing"
    if unit == "cell" and not policy.startswith("iwal"):
        assert sum(1 for q in asked if q[0] == 2) == size  # exactly the batch of cells
    assert summary.metrics.get("micro_f1") is not None
