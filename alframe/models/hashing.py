"""Hashed n-gram bags: text → bucket ids, stable across processes and machines.

Python's ``hash()`` of a string is salted per process, so it cannot name an embedding row that
must mean the same thing after a resume or on another machine. Every id here comes from
``zlib.crc32`` of a token's UTF-8 bytes (computed once per *distinct* token) or from Unicode
code points, combined into n-grams with 64-bit FNV-style mixing and a splitmix64 finaliser, all
in vectorised numpy over the whole corpus at once. Nothing depends on the order of the items
except the item each id belongs to.

The result is a CSR bag per item: ``values`` (bucket ids of all items, item after item) and
``offsets`` (where each item's ids start; ``offsets[n]`` is the total). An empty text is an
empty bag.
"""

from __future__ import annotations

import re
import zlib

import numpy as np

_SEP = "\x00"  # separates items in the joined corpus; never inside a token
_TOKEN = re.compile(r"\w+|\x00")
_PRIME = np.uint64(0x100000001B3)  # FNV-1a 64-bit prime
_WORD_SALT = np.uint64(0x9E3779B97F4A7C15)
_CHAR_SALT = np.uint64(0xC2B2AE3D27D4EB4F)


def hash_bags(
    texts: list[str],
    buckets: int,
    ngrams: tuple[int, int] = (1, 2),
    char_ngrams: tuple[int, int] = (0, 0),
) -> tuple[np.ndarray, np.ndarray]:
    """Bucket ids of every word n-gram and character n-gram of every text.

    :param ngrams: inclusive range of word n-gram lengths; ``(0, 0)`` for none.
    :param char_ngrams: inclusive range of character n-gram lengths over the lower-cased text
        with whitespace collapsed and one space at each end; ``(0, 0)`` for none.
    :returns: ``values`` int64 [nnz] in ``[0, buckets)`` and ``offsets`` int64 [n + 1].
    """
    n = len(texts)
    clean = [" ".join(t.replace(_SEP, " ").lower().split()) for t in texts]
    docs: list[np.ndarray] = []
    ids: list[np.ndarray] = []
    if ngrams[1] > 0:
        d, h = _word_ngrams(clean, max(ngrams[0], 1), ngrams[1])
        docs.append(d)
        ids.append(h)
    if char_ngrams[1] > 0:
        d, h = _char_ngrams(clean, max(char_ngrams[0], 1), char_ngrams[1])
        docs.append(d)
        ids.append(h)
    if not docs:
        return np.zeros(0, dtype=np.int64), np.zeros(n + 1, dtype=np.int64)
    doc = np.concatenate(docs)  # [nnz] item of each id
    val = np.concatenate(ids)  # [nnz] uint64 hashes
    order = np.argsort(doc, kind="stable")  # group by item, keep n-gram order within it
    values = (_finalise(val[order]) % np.uint64(buckets)).astype(np.int64)
    counts = np.bincount(doc, minlength=n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return values, offsets


def _word_ngrams(clean: list[str], lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """(item, hash) of every word n-gram with lo <= n <= hi, never across items."""
    tokens = _TOKEN.findall(_SEP.join(clean) + _SEP)
    vocab: dict[str, int] = {}
    tok_ids = np.fromiter(
        (vocab.setdefault(t, len(vocab)) for t in tokens), dtype=np.int64, count=len(tokens)
    )
    table = np.fromiter(
        (zlib.crc32(t.encode("utf-8")) for t in vocab), dtype=np.uint64, count=len(vocab)
    )
    sep_id = vocab[_SEP]
    table = table ^ _WORD_SALT
    return _windows(table[tok_ids], tok_ids == sep_id, lo, hi)


def _char_ngrams(clean: list[str], lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """(item, hash) of every code-point n-gram of `` text `` with lo <= n <= hi (an empty text
    has none: its padding alone is not text)."""
    joined = _SEP.join(f" {t} " if t else "" for t in clean) + _SEP
    codes = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    return _windows(codes ^ _CHAR_SALT, codes == 0, lo, hi, salt=_CHAR_SALT)


def _windows(
    h: np.ndarray, is_sep: np.ndarray, lo: int, hi: int, salt: np.uint64 = _WORD_SALT
) -> tuple[np.ndarray, np.ndarray]:
    """Hash every window of length lo..hi over ``h`` [T] that contains no separator.

    ``is_sep`` [T] marks the item separators (one after each item, so item i's positions come
    after exactly i separators).
    """
    sep_before = np.concatenate([[0], np.cumsum(is_sep, dtype=np.int64)])  # [T + 1]
    docs: list[np.ndarray] = []
    out: list[np.ndarray] = []
    t = len(h)
    for n in range(lo, hi + 1):
        if n > t:
            break
        starts = t - n + 1
        acc = np.full(starts, salt ^ np.uint64(n), dtype=np.uint64)
        for j in range(n):
            acc = (acc ^ h[j : j + starts]) * _PRIME
        ok = sep_before[n : n + starts] == sep_before[:starts]  # no separator inside
        docs.append(sep_before[:starts][ok])
        out.append(acc[ok])
    if not docs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
    return np.concatenate(docs), np.concatenate(out)


def _finalise(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads every input bit over the low bits used by ``% buckets``."""
    x = x.copy()
    x ^= x >> np.uint64(30)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)
    return x
