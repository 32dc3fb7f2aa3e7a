from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from alframe.errors import DataError
from alframe.models.features import Features, gather_bags, standardise
from alframe.models.hashing import hash_bags


def test_bucket_ids_are_pinned() -> None:
    """The ids name embedding rows stored in checkpoints: they must never drift."""
    values, offsets = hash_bags(["Red shoe", "red  SHOE", "blue"], 1 << 20, (1, 2))
    assert values.tolist() == [302881, 252126, 631687, 302881, 252126, 631687, 984028]
    assert offsets.tolist() == [0, 3, 6, 7]


def test_same_ids_in_a_process_with_another_hash_seed() -> None:
    code = (
        "from alframe.models.hashing import hash_bags;"
        "print(hash_bags(['alpha beta', 'gamma'], 4096, (1, 2), (2, 3))[0].tolist())"
    )
    runs = {
        subprocess.run(
            [sys.executable, "-c", code],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2")
    }
    assert len(runs) == 1
    here = hash_bags(["alpha beta", "gamma"], 4096, (1, 2), (2, 3))[0].tolist()
    assert runs.pop().strip() == str(here)


def test_counts_of_word_and_char_ngrams() -> None:
    values, offsets = hash_bags(["a b c", ""], 1 << 16, (1, 2))
    assert offsets.tolist() == [0, 5, 5]  # 3 unigrams + 2 bigrams, empty bag for ""
    values, offsets = hash_bags(["ab"], 1 << 16, (0, 0), (1, 2))
    assert offsets.tolist() == [0, 7]  # " ab ": 4 chars, 3 pairs


def test_no_ngram_crosses_items_and_order_does_not_matter() -> None:
    texts = ["one two", "three four five", "", "six"]
    values, offsets = hash_bags(texts, 1 << 18, (1, 3), (2, 4))
    for i, text in enumerate(texts):
        alone, _ = hash_bags([text], 1 << 18, (1, 3), (2, 4))
        assert values[offsets[i] : offsets[i + 1]].tolist() == alone.tolist()


def test_ids_lie_in_the_table() -> None:
    values, _ = hash_bags([f"word{i} other{i % 7}" for i in range(500)], 1000, (1, 2), (3, 3))
    assert values.dtype == np.int64
    assert values.min() >= 0 and values.max() < 1000


def test_gather_bags_matches_slicing() -> None:
    values, offsets = hash_bags(["a b", "", "c d e", "f"], 1 << 10, (1, 1))
    v, o = torch.from_numpy(values), torch.from_numpy(offsets)
    idx = torch.tensor([3, 1, 2, 2])
    got_v, got_starts = gather_bags(v, o, idx)
    want = [values[offsets[i] : offsets[i + 1]].tolist() for i in idx.tolist()]
    assert got_v.tolist() == sum(want, [])
    assert got_starts.tolist() == [0, 1, 1, 4]


def test_features_batch_holds_bags_and_numbers() -> None:
    values, offsets = hash_bags(["a", "b c"], 64, (1, 1))
    feats = Features(2, torch.from_numpy(values), torch.from_numpy(offsets), torch.eye(2))
    batch = feats.batch(torch.tensor([1]))
    assert batch["bag_values"].shape == (2,) and batch["numeric"].tolist() == [[0.0, 1.0]]


def test_standardise_refuses_non_finite_values_naming_the_field() -> None:
    x = np.array([[1.0, 2.0], [np.nan, 3.0]], dtype=np.float32)
    with pytest.raises(DataError) as err:
        standardise(x, np.arange(2), ["size", "deps"], "data.csv")
    assert err.value.field == "size" and err.value.row == 1
    z = standardise(np.array([[1.0, 5.0], [3.0, 5.0]]), np.arange(2), ["a", "b"], "x").numpy()
    assert np.allclose(z[:, 0], [-1, 1]) and np.allclose(z[:, 1], 0)  # constant column → 0
