"""Every seed alframe derives, in one place: the run's streams, the learner's, the grid's repeats.

All three come from :class:`numpy.random.SeedSequence`, so each stream is independent of how
much another one consumed. They are three functions, not one, because each is part of what a
run stores and reproduces: a round's seed is kept in the run store and every query and metric
follows from it, a repeat's seed is part of its plan (and so of the plan's fingerprint, which a
resumed run is checked against). Folding them into one derivation would change every derived
seed, and with them the questions and metrics of every run made before; so each keeps its own
entropy words and its own bit width:

- :func:`derive_seed` — ``(run seed, round, purpose)`` → 63 bits: one stream per purpose of a
  round (query, train, oracle, seed set, weight, reserve), drawn by the engine and the stages.
- :func:`sub_seed` — ``(round seed, purpose)`` → 63 bits from two 32-bit words: the learner's
  streams inside one fit (initialisation, held-out split, resampling, batch order, dropout,
  MC-dropout), so that changing one (the batch size) never shifts another.
- :func:`repeat_seed` — ``(spec seed, repeat)`` → 31 bits: the run seed of a grid's repeat,
  the same in every setting, small enough for any consumer (Lightning, torch, numpy).
"""

from __future__ import annotations

import numpy as np

from alframe.errors import RunError

#: Independent random streams of a round, each derived from (run seed, round, purpose), so a
#: stage's randomness never depends on how much another stage consumed.
PURPOSES = {"query": 1, "train": 2, "oracle": 3, "seed": 4, "weight": 5, "reserve": 6}

#: the learner's purposes for :func:`sub_seed`
INIT, SPLIT, RESAMPLE, SHUFFLE, DROPOUT, MC = range(1, 7)


def derive_seed(run_seed: int, rnd: int, purpose: str = "train") -> int:
    """A 63-bit seed for one purpose of one round."""
    ss = np.random.SeedSequence([run_seed, rnd, PURPOSES[purpose]])
    return int(ss.generate_state(1, dtype=np.uint64)[0] & 0x7FFF_FFFF_FFFF_FFFF)


def sub_seed(seed: int, purpose: int) -> int:
    """An independent 63-bit seed for ``purpose``, derived from ``seed`` by ``SeedSequence``."""
    state = np.random.SeedSequence([int(seed) % (1 << 63), purpose]).generate_state(2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))


def repeat_seed(base_seed: int, repeat: int) -> int:
    """The run seed of repeat ``repeat`` (1-based): independent streams from one spec seed.

    Derived with :class:`numpy.random.SeedSequence` from ``(base_seed, repeat)``, so repeats are
    unrelated to each other yet reproducible, and the same in every setting. 31 bits, so any
    consumer (Lightning, torch, numpy) accepts it.
    """
    if repeat < 1:
        raise RunError(f"repeat numbers start at 1, got {repeat}", code="X101")
    ss = np.random.SeedSequence([int(base_seed) & 0xFFFF_FFFF_FFFF_FFFF, int(repeat)])
    return int(ss.generate_state(1, dtype=np.uint32)[0] & 0x7FFF_FFFF)
