"""Sub-seeds: one independent seed per purpose, derived from a round seed.

Each random choice of a round (initialisation, held-out split, member resampling, batch order,
dropout masks, MC-dropout masks) draws from its own generator, so changing one (say, the batch
size, which changes how many numbers shuffling consumes) never shifts another.
"""

from __future__ import annotations

import numpy as np

INIT, SPLIT, RESAMPLE, SHUFFLE, DROPOUT, MC = range(1, 7)


def sub_seed(seed: int, purpose: int) -> int:
    """An independent 63-bit seed for ``purpose``, derived from ``seed`` by ``SeedSequence``."""
    state = np.random.SeedSequence([int(seed) % (1 << 63), purpose]).generate_state(2, np.uint32)
    return int((int(state[0]) << 31) ^ int(state[1]))
