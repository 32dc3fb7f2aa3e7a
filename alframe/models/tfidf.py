"""TF-IDF weights for hashed n-gram bags, so a bag is a weighted sum, not a plain mean.

A plain mean of n-gram embeddings gives "the" as much say as "kernel", and repeats a character
n-gram as often as it occurs. Here every item's bag is reduced to its distinct buckets, each
weighted by sublinear term frequency times smoothed inverse document frequency,

    w(item, bucket) = (1 + log tf) · (log((1 + N) / (1 + df(bucket))) + 1),

then L2-normalised per item (the weighting scikit-learn's ``TfidfVectorizer(sublinear_tf=True)``
uses, the linear baseline's own features). Document frequencies are counted on the *pool*
items only, so the test split never shapes the features the model trains on. All of it is a
handful of vectorised numpy passes over the corpus, once per run.
"""

from __future__ import annotations

import numpy as np


def tfidf_bags(
    values: np.ndarray, offsets: np.ndarray, reference: np.ndarray, buckets: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct buckets of every bag with their TF-IDF weights.

    :param values: int64 [nnz] bucket ids, item after item (CSR with ``offsets``).
    :param offsets: int64 [n + 1].
    :param reference: int64 item indices whose bags give the document frequencies (the pool).
    :param buckets: the number of buckets (ids lie in ``[0, buckets)``).
    :returns: ``(values, offsets, weights)``: each item's distinct ids in increasing order,
        the new offsets, and float32 weights with unit L2 norm per non-empty item.
    """
    n = len(offsets) - 1
    item = np.repeat(np.arange(n, dtype=np.int64), np.diff(offsets))
    key = item * np.int64(buckets) + values.astype(np.int64)
    uniq, tf = np.unique(key, return_counts=True)  # sorted by item, then bucket
    u_item, u_val = uniq // buckets, uniq % buckets
    ref = np.zeros(n, dtype=bool)
    ref[np.asarray(reference, dtype=np.int64)] = True
    df = np.bincount(u_val[ref[u_item]], minlength=buckets).astype(np.float64)
    n_ref = float(ref.sum())
    idf = np.log((1.0 + n_ref) / (1.0 + df)) + 1.0
    w = (1.0 + np.log(tf)) * idf[u_val]
    norm = np.sqrt(np.bincount(u_item, weights=w * w, minlength=n))
    w = w / norm[u_item]
    new_offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(u_item, minlength=n), out=new_offsets[1:])
    return u_val.astype(np.int64), new_offsets, w.astype(np.float32)


def mean_weights(offsets: np.ndarray) -> np.ndarray:
    """Weights 1/len(bag) for every entry: a weighted sum that is the plain mean."""
    lens = np.diff(offsets)
    return np.repeat(1.0 / np.maximum(lens, 1), lens).astype(np.float32)
