"""Per-cell informativeness measures: pure functions ``[n, L, K] → [n, L]``.

Measures are kept apart from selection (as modAL keeps ``uncertainty`` apart from
``multi_argmax``): a measure looks at the K probabilities of one cell and says how much an
answer there would teach the model; :mod:`alframe.policies.select` then aggregates per item and
picks. Every output is "higher = more worth asking". Logarithms are natural (nats).

Every label is an independent binary output, so each cell is a Bernoulli with probability ``p``
(the probability of the label being positive). The K axis holds ensemble members or MC-dropout
samples.

References: Lewis & Gale, *A sequential algorithm for training text classifiers*, SIGIR 1994
(uncertainty sampling); Settles, *Active Learning Literature Survey*, 2009 (least confidence,
margin, entropy); Dagan & Engelson, *Committee-based sampling*, ICML 1995 (vote entropy);
McCallum & Nigam, *Employing EM and pool-based active learning*, ICML 1998 (KL to the
consensus); Houlsby, Huszár, Ghahramani & Lengyel, *Bayesian active learning for classification
and preference learning*, 2011 (BALD).
"""

from __future__ import annotations

from collections.abc import Callable

import torch

#: Keeps thresholds away from 0 and 1 so the rescaling in :func:`recentre` stays finite.
_T_EPS = 1e-6
#: Floor inside logarithms (representable in float32; ``0 · ln(_TINY) == 0``).
_TINY = 1e-30


def mean_prob(probs: torch.Tensor) -> torch.Tensor:
    """The committee's consensus probability: ``[n, L, K] → [n, L]``."""
    return probs.mean(dim=-1)


def recentre(p: torch.Tensor, thresholds: torch.Tensor | None) -> torch.Tensor:
    """Map probabilities so that each label's decision threshold lands on 0.5.

    A cell is uncertain when it is close to *its* threshold, not to 0.5; the piecewise-linear
    map ``[0, t] → [0, 0.5]``, ``[t, 1] → [0.5, 1]`` lets the textbook binary formulas measure
    exactly that. With ``t = 0.5`` it is the identity.

    :param p: ``[n, L]`` probabilities. :param thresholds: ``[L]`` or ``None`` (0.5).
    """
    if thresholds is None:
        return p
    t = thresholds.to(p.dtype).clamp(_T_EPS, 1.0 - _T_EPS)  # [L]
    below = p / (2.0 * t)  # [n, L]
    above = 0.5 + (p - t) / (2.0 * (1.0 - t))  # [n, L]
    return torch.where(p < t, below, above)


def least_confidence(p: torch.Tensor) -> torch.Tensor:
    """``1 - max(p, 1 - p)`` in ``[0, 0.5]``: how far the likelier answer is from certain."""
    return 1.0 - torch.maximum(p, 1.0 - p)


def margin(p: torch.Tensor) -> torch.Tensor:
    """``1 - |p - (1 - p)|`` in ``[0, 1]``: one minus the gap between the two answers.

    For a binary cell it is exactly twice least confidence, and every aggregate over an item's
    cells (mean, max, sum) is positively homogeneous, so the two rank cells *and* items
    identically: ``margin`` is kept as the name many users know (modAL, small-text), not as a
    different choice. Only ``entropy`` ranks items differently (it is not a multiple).
    """
    return 1.0 - (2.0 * p - 1.0).abs()


def binary_entropy(p: torch.Tensor) -> torch.Tensor:
    """``H(p) = -p ln p - (1-p) ln(1-p)`` in ``[0, ln 2]``; exact 0 at p = 0 or 1.

    ``0 · ln(tiny)`` is exactly 0, so clamping inside the logarithm gives xlogy's convention
    at a third less time than ``torch.special.xlogy`` (this runs over every member's cell).
    """
    q = 1.0 - p
    return -(p * p.clamp_min(_TINY).log() + q * q.clamp_min(_TINY).log())


def entropy(p: torch.Tensor) -> torch.Tensor:
    """Predictive entropy of the consensus probability (alias of :func:`binary_entropy`)."""
    return binary_entropy(p)


def vote_entropy(probs: torch.Tensor, thresholds: torch.Tensor | None = None) -> torch.Tensor:
    """Entropy of the members' hard votes: ``[n, L, K] → [n, L]`` in ``[0, ln 2]``.

    Member k votes positive when ``p_k ≥ t`` (the label's threshold, 0.5 by default). With one
    member the vote fraction is 0 or 1, so every cell scores 0: a lone member cannot disagree.
    """
    if thresholds is None:
        votes = probs >= 0.5  # [n, L, K]
    else:
        votes = probs >= thresholds.to(probs.dtype)[None, :, None]  # [n, L, K]
    frac = votes.to(probs.dtype).mean(dim=-1)  # [n, L]
    return binary_entropy(frac)


def kl_to_consensus(probs: torch.Tensor) -> torch.Tensor:
    """Mean over members of ``KL(Bern(p_k) ‖ Bern(p̄))``: ``[n, L, K] → [n, L]``, ≥ 0.

    This is McCallum & Nigam's "KL divergence to the mean". For a mixture it equals the
    mutual information of :func:`mutual_information` (the information radius identity); it is
    computed here from its own formula so each can check the other. Policies use the mutual
    information form, which takes half the logarithms.
    """
    q = probs.mean(dim=-1, keepdim=True)  # [n, L, 1]
    pos = torch.special.xlogy(probs, probs) - torch.special.xlogy(probs, q)  # [n, L, K]
    neg = torch.special.xlogy(1.0 - probs, 1.0 - probs) - torch.special.xlogy(1.0 - probs, 1.0 - q)
    return (pos + neg).mean(dim=-1).clamp_min(0.0)


def mutual_information(probs: torch.Tensor) -> torch.Tensor:
    """BALD: ``H(p̄) - mean_k H(p_k)``, the information an answer gives about the model.

    ``[n, L, K] → [n, L]`` in ``[0, ln 2]``. It is 0 when all members agree (whatever their
    confidence) and large when they are each confident but contradict one another.
    """
    total = binary_entropy(probs.mean(dim=-1))  # [n, L]
    expected = binary_entropy(probs).mean(dim=-1)  # [n, L]
    return (total - expected).clamp_min(0.0)


def member_spread(probs: torch.Tensor) -> torch.Tensor:
    """Population standard deviation of the members' probabilities: ``[n, L, K] → [n, L]``.

    Written out because ``Tensor.std`` over a short last axis is ~15× slower on a CPU.
    """
    centred = probs - probs.mean(dim=-1, keepdim=True)  # [n, L, K]
    return centred.square_().mean(dim=-1).sqrt_()


def committee_gap(probs: torch.Tensor, thresholds: torch.Tensor | None, eps: float = 1e-6) -> torch.Tensor:
    """IWAL's error gap from a committee: ``|p̄ - t| / (σ + eps)``, ``[n, L, K] → [n, L]``.

    How many member spreads the consensus sits from the label's threshold: a small value means
    a modest change of the model (one member's worth) flips the prediction.
    """
    t = 0.5 if thresholds is None else thresholds.to(probs.dtype)[None, :]
    return (probs.mean(dim=-1) - t).abs() / (member_spread(probs) + eps)


def margin_gap(p: torch.Tensor) -> torch.Tensor:
    """IWAL's error gap from one model: the margin ``|2p' - 1|`` of the recentred probability.

    ``[n, L] → [n, L]`` in ``[0, 1]``: 0 on the threshold, 1 when certain.
    """
    return (2.0 * p - 1.0).abs()


def map_rows(
    probs: torch.Tensor, fn: Callable[[torch.Tensor], torch.Tensor], chunk_cells: int = 1 << 20
) -> torch.Tensor:
    """Apply a per-cell measure ``[c, L, K] → [c, L]`` to row chunks, under inference mode.

    The temporaries a measure makes (logs, votes) are the size of its input; chunking keeps
    them near ``chunk_cells`` elements, so scoring a large pool costs ``[n, L]`` for the output
    and a bounded amount beside it. Chunks arrive on the CPU in float32 whatever the scorer's
    device and precision (``bf16`` probabilities would tie far more often), and each is checked
    to lie in [0, 1] while it is in cache rather than in a separate pass over the pool.
    """
    n, n_labels, k = probs.shape
    rows = max(1, chunk_cells // max(1, n_labels * max(1, k)))
    out = torch.empty((n, n_labels), dtype=torch.float32)  # [n, L]
    with torch.inference_mode():
        for start in range(0, n, rows):
            chunk = probs[start : start + rows].to(device="cpu", dtype=torch.float32)  # [c, L, K]
            _check_range(chunk)
            out[start : start + rows] = fn(chunk)
    return out


def _check_range(chunk: torch.Tensor) -> None:
    if chunk.numel() == 0:
        return
    low, high = torch.aminmax(chunk)
    if not (0.0 <= float(low) and float(high) <= 1.0):  # NaN fails both
        from alframe.errors import PluginError

        raise PluginError(
            f"probabilities outside [0, 1] or NaN (min {float(low)}, max {float(high)})",
            hook="alframe_score_pool",
        )
