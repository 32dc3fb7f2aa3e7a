# Compare query policies on the same data, model and budget: every value of `vary` is run
# `repeat` times with paired seeds, and a ceiling (the model trained on every pool label) gives
# the target relative to what the model can reach at all.
#
#   alframe run specs/compare.al      then   alframe report runs/compare

run "compare" seed 5

data "data/debian-packages.jsonl.gz" {
  id package
  text package, description
  test fraction 0.2 seed 5
  limit 6000
}

labels from "tags" { min_positives 100 }

model { encoder hashed_bag(dim=48, buckets=2^17)  trunk mlp(hidden=128)  heads joint  ensemble 3 }

train { epochs 4  batch 64 }

query {
  seed 150 random
  batch 150
  unit item
  budget 40000
  target micro_f1 0.85 of ceiling
}

oracle simulated

ceiling yes

vary policy [random, uncertainty(measure=margin), disagreement, iwal(base=disagreement, floor=0.05)]
repeat 3
