"""The ``adaptive`` policy: a bandit that learns, round by round, which policy works on this data.

Nobody can tell beforehand which query strategy suits a data set and a model (Lowell, Lipton &
Wallace, *Practical Obstacles to Deploying Active Learning*, EMNLP 2019; Baram, El-Yaniv & Luz,
*Online Choice of Active Learning Algorithms*, JMLR 2004). Active Learning by Learning (Hsu &
Lin, AAAI 2015) treats the strategies as the arms of an adversarial bandit and rewards the arm
that was used with an importance-weighted estimate of the model's quality. alframe does the same
with whole rounds:

1. **Reward.** At each round's ``select``, the current model (trained after the previous arm's
   batch) is scored on every cell asked in the bandit's earlier rounds: its micro-F1 against the
   answers, each cell weighted by ``1/q``, ``q`` the probability that the mixture asked it
   (below). Each round's weighted counts are a Horvitz–Thompson sample of that round's
   candidates, so the weighted F1 estimates the model's micro-F1 on the pool, which is what
   the user wants (accuracy over cells barely moves on sparse multi-label data: a model that
   predicts "no" everywhere already scores 1 − density). It is the reward of the arm used in
   the previous round.
2. **Update (EXP3, Auer, Cesa-Bianchi, Freund & Schapire, SIAM J. Comput. 2002).** The arm
   used in round t gains ``(r_{t+1} − r_t) / π_t(arm)``: the improvement in estimated quality
   its batch bought, divided by the probability it had of being drawn (unbiased for every arm,
   drawn or not). Subtracting ``r_t``, known before the draw, changes no arm's expected gain
   relative to another, and removes most of the variance: the quality level (~0.6) is the same
   for every arm, only its change tells arms apart. ``π = (1 − explore) · softmax(rate · S) +
   explore / K`` with ``S`` each arm's summed gains.
3. **Draw.** One arm per round supplies the whole batch: a batch mixed from several arms would
   credit each arm with an improvement it shared, and a policy's batch is chosen as a whole
   (a top-k, IWAL's fitted coins), not one query at a time.

**Why the random arm.** ``q(x) = Σ_a π_a · P_a(x)``, where ``P_a(x)`` is the probability that arm
``a`` would have asked ``x`` this round: ``batch / candidates`` for a uniform arm, the query
probability it gave for the cells in its batch, 0 for the cells it left out (for a deterministic
arm that is exact; for a stochastic arm other than ``random`` it is that arm's realised batch).
Only a uniform arm, kept above ``explore / K`` by the exploration, makes every candidate's ``q``
positive, so that the estimate is unbiased (ALBL's point); without one the policy warns.

**State.** The policy keeps nothing between rounds: what it records in ``info`` after each
``select`` (the arm, π, the reward, the cells asked with their ``q``) is stored in ``run.db``
with the round's questions and comes back as ``ctx.history``; π is recomputed from it every
round, so a resumed run draws the same arms as one never stopped.

Every arm chooses from the same pool scores with its own generator, derived from the round's
``ctx.rng`` and the arm's position, so the choice is deterministic for a seed and does not
depend on the pool's order. The returned queries are the chosen arm's own, with its own query
probabilities (1 for the deterministic policies): training sees exactly what that arm would have
asked; ``q`` serves only the reward.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from alframe.policies.args import AdaptiveArgs
from alframe.policies.base import PoolScores, Queries, QueryContext
from alframe.policies.select import canonical, check_context
from alframe.policies.stream import StreamedArms
from alframe.protocols import PolicyBase, conform


def arm_probabilities(
    n_arms: int, gains: Sequence[tuple[int, float, float]], explore: float, rate: float
) -> np.ndarray:
    """EXP3's π over ``n_arms`` from the rounds played so far.

    ``gains`` holds, per round with a known reward, ``(arm, π(arm) when it was drawn, gain)``;
    the importance-weighted sum ``S_a = Σ gain / π`` estimates each arm's summed gain, and
    ``π = (1 − explore) · softmax(rate · S) + explore / n_arms``.
    """
    total = np.zeros(n_arms, dtype=np.float64)
    for arm, p, gain in gains:
        total[arm] += gain / p
    z = rate * total
    w = np.exp(z - z.max())
    pi: np.ndarray = (1.0 - explore) * w / w.sum() + explore / n_arms
    return pi


def bandit_gains(history: Sequence[dict[str, Any]], reward_now: float | None) -> list[tuple[int, float, float]]:
    """``(arm, π(arm), gain)`` for every earlier round whose reward is known: the round's
    record gives its arm, its π and the reward measured before the draw (the baseline); the
    next record's reward (or ``reward_now`` for the last one) is the reward of its batch."""
    records = [h for h in history if "arm_index" in h]
    after = [r.get("reward") for r in records[1:]] + [reward_now]
    out: list[tuple[int, float, float]] = []
    for rec, r_after in zip(records, after):
        before = rec.get("reward")
        if before is None or r_after is None:
            continue
        k = int(rec["arm_index"])
        out.append((k, float(rec["pi"][k]), float(r_after) - float(before)))
    return out


def weighted_micro_f1(
    history: Sequence[dict[str, Any]], scores: PoolScores
) -> float | None:
    """The current model's micro-F1 on the cells the bandit asked, each weighted by ``1/q``;
    None while no such cell has an answer or the F1 is undefined (no positive, none predicted)."""
    view = scores.labelled
    if view is None or not len(view.items):
        return None
    thresholds = np.asarray(scores.thresholds, dtype=np.float64)
    pred = np.asarray(view.probs, dtype=np.float64) > thresholds[None, :]  # [m, L]
    answers = np.asarray(view.answers)
    tp = fp = fn = 0.0
    for rec in history:
        asked = rec.get("asked")
        if not asked:
            continue
        a = np.asarray(asked, dtype=np.float64).reshape(-1, 3)  # item, label, q
        items, labels, q = a[:, 0].astype(np.int64), a[:, 1].astype(np.int64), a[:, 2]
        rows = np.searchsorted(view.items, items)
        ok = (rows < len(view.items)) & (view.items[np.minimum(rows, len(view.items) - 1)] == items)
        rows, labels, w = rows[ok], labels[ok], 1.0 / q[ok]
        whole = labels < 0  # an item query: every answered cell of the item
        for part, cols in ((~whole, labels[~whole]), (whole, None)):
            r, ww = rows[part], w[part]
            if cols is None:
                y, p, wc = answers[r], pred[r], np.broadcast_to(ww[:, None], (len(r), answers.shape[1]))
            else:
                y, p, wc = answers[r, cols], pred[r, cols], ww
            seen = y >= 0
            tp += float(wc[seen & (y == 1) & p].sum())
            fp += float(wc[seen & (y == 0) & p].sum())
            fn += float(wc[seen & (y == 1) & ~p].sum())
    denom = 2.0 * tp + fp + fn
    return None if denom <= 0 else 2.0 * tp / denom


@dataclass(eq=False)
class AdaptivePolicy(AdaptiveArgs, PolicyBase):
    """Chooses one of ``arms`` per round by EXP3 on the importance-weighted micro-F1 gain."""

    name = "adaptive"
    #: the scorer adds the answered items under the current model (``PoolScores.labelled``)
    needs_labelled = True

    def __post_init__(self) -> None:
        if len(self.arms) < 2:
            raise ValueError("adaptive needs at least 2 arms")
        if not 0.0 < self.explore <= 1.0:
            raise ValueError(f"explore must be in (0, 1], not {self.explore}")
        if any(isinstance(arm, str) for arm in self.arms):  # the declared default, not built
            raise TypeError("adaptive's arms are (label, policy) pairs of built policies; the registry "
                            "builds them from the names a spec gives (Registry.build)")
        # an arm built by the registry conforms already; one handed over in Python may not
        self.arms = [(str(label), conform(arm, "policy", "adaptive", str(label))) for label, arm in self.arms]
        self.explore = float(self.explore)
        self.rate = float(self.rate)
        self.mc_samples = max(int(arm.mc_samples) for _, arm in self.arms)
        self.needs_scores = any(arm.needs_scores for _, arm in self.arms)
        # the scorer fills what any arm reads (an arm with ``diversity=badge`` reads embeddings)
        self.needs_embeddings = any(arm.needs_embeddings for _, arm in self.arms)
        #: what the last ``select`` decided; the engine stores it with the round's questions
        self.info: dict[str, Any] | None = None
        self._uniform = [_is_uniform(arm) for _, arm in self.arms]
        self._blind = False
        self.warning = self._warning()

    def _warning(self) -> str | None:
        """The arms' own warnings (a committee of one), and a missing uniform arm; taken again
        after each choice (an arm learns some things only when it first sees scores)."""
        said = [f"{label}: {w}" for label, arm in self.arms if (w := arm.warning)]
        if self._blind:
            said.insert(0, "adaptive got no answered items from the pool scorer (PoolScores.labelled): it cannot "
                        "measure rewards and keeps drawing its arms evenly")
        if not any(self._uniform):
            said.insert(0, "adaptive without a random arm: its reward estimate is biased towards the cells "
                        "its arms favour (add random to its arms)")
        return "; ".join(said) or None

    def select(self, scores: PoolScores, ctx: QueryContext) -> Queries:
        check_context(ctx)
        scores = canonical(scores)
        history = list(ctx.history or [])
        if scores.labelled is None and history:
            self._blind = True  # a scorer that does not fill ``labelled`` (a plugin's)
        reward = weighted_micro_f1(history, scores)
        pi = arm_probabilities(len(self.arms), bandit_gains(history, reward), self.explore, self.rate)
        draw = float(ctx.rng.random())
        base = int(ctx.rng.integers(0, 2**63 - 1))
        # a streamed pool: each scoring arm's own reduction of it (the scorer streamed it once)
        own = scores.streamed.arms if isinstance(scores.streamed, StreamedArms) else {}
        batches = []
        for k, (_, arm) in enumerate(self.arms):
            sub = dataclasses.replace(ctx, rng=np.random.default_rng(np.random.SeedSequence([base, k])), history=None)
            batches.append(arm.select(own.get(k, scores), sub))
        chosen = min(int(np.searchsorted(np.cumsum(pi), draw, side="right")), len(self.arms) - 1)
        q = self._inclusion(batches, chosen, pi, scores, ctx)
        out = batches[chosen]
        self.info = {
            "arm": self.arms[chosen][0],
            "arm_index": chosen,
            "pi": [float(x) for x in pi],
            "reward": None if reward is None else float(reward),
            "asked": [[int(i), int(j), float(p)] for i, j, p in zip(out.items.tolist(), out.labels.tolist(), q.tolist())],
        }
        self.warning = self._warning()
        return out

    def _inclusion(
        self, batches: list[Queries], chosen: int, pi: np.ndarray, scores: PoolScores, ctx: QueryContext
    ) -> np.ndarray:
        """``q`` of each query of the chosen batch: ``Σ_a π_a · P_a(query)``."""
        out = batches[chosen]
        keys = list(zip(out.items.tolist(), out.labels.tolist()))
        q = np.zeros(len(keys), dtype=np.float64)
        known = np.asarray(scores.known, dtype=bool)
        open_units = int((~known.all(axis=1)).sum()) if ctx.unit == "item" else int((~known).sum())
        for k, batch in enumerate(batches):
            if self._uniform[k]:
                q += pi[k] * min(1.0, ctx.batch / max(open_units, 1))
                continue
            given = dict(zip(zip(batch.items.tolist(), batch.labels.tolist()), batch.prob.tolist()))
            q += pi[k] * np.array([given.get(key, 0.0) for key in keys], dtype=np.float64)
        return np.clip(q, 1e-12, 1.0)


def _is_uniform(arm: Any) -> bool:
    """Whether an arm asks a uniform sample of the open candidates (its ``P(x)`` is known for
    every candidate, not only for the ones it asked)."""
    from alframe.policies.random_policy import RandomPolicy

    return isinstance(arm, RandomPolicy) or bool(getattr(arm, "uniform", False))


__all__ = ["AdaptivePolicy", "arm_probabilities", "bandit_gains", "weighted_micro_f1"]
