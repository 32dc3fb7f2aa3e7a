# Importance-weighted active learning with a committee, asking single package-tag cells.
# Five members (bootstrap resamples, one batched module). Each round IWAL asks 90 % of every
# tag's share of the batch for sure, at the cells the committee's mean probability is least sure
# about, and the rest by coins over all the other cells with known probabilities p; every answer
# weighs 1/p, so the weighted loss over the labelled cells is an unbiased estimate of the loss
# over the whole pool. The coins' weights are large (few coins over many cells), so they are
# clipped at 10: a bias docs/strategies.md measures, and what keeps training on the sure cells.

run "committee-iwal" seed 3

data "data/debian-packages.jsonl.gz" {
  id package
  text package, description
  test fraction 0.2 seed 3
  limit 8000
}

labels from "tags" { min_positives 100 }

model {
  encoder hashed_bag(dim=64, buckets=2^18, ngrams=1..2)
  trunk mlp(hidden=128)
  heads joint
  ensemble 5
  diversity bootstrap
}

train { epochs 5  batch 64  warm_start yes }

weighting {
  importance yes
  clip 10                          # a coin's 1/p can reach the hundreds
}

query {
  seed 4000 random                 # 4,000 random cells to start
  batch 2000                       # cells per round
  unit cell
  policy iwal                      # base uncertainty, balance and top auto (for cells: labels, 0.9)
  budget 30000
  target micro_f1 0.6
}

oracle simulated

evaluate { metrics [micro_f1, macro_f1, macro_ap] }
