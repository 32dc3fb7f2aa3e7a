# Importance-weighted active learning with a committee, asking single package-tag cells.
# Five members (bootstrap resamples, one batched module) disagree; IWAL asks each cell with a
# probability p that grows with the disagreement (never below the floor) and weights its answer
# by 1/p, so the weighted loss over the labelled cells is an unbiased estimate of the loss over
# the whole pool. (Clipping the weights, e.g. `clip 20`, steadies training but gives up part of
# that: docs/strategies.md measures how much.)

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
  clip 10                          # 1/p of a cell asked with p = 0.02 would weigh 50
}

query {
  seed 4000 random                 # 4,000 random cells to start
  batch 2000                       # cells per round
  unit cell
  policy iwal(base=disagreement, rule=floor, floor=0.02)
  budget 30000
  target micro_f1 0.6
}

oracle simulated

evaluate { metrics [micro_f1, macro_f1, macro_ap] }
