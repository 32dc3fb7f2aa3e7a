# The benchmark study's base setting; benchmarks/study.py varies it (policy, unit, heads,
# imbalance correction) and runs every setting 3 times with paired seeds.
#
#   .venv/bin/python benchmarks/study.py

run "study" seed 11

data "../specs/data/debian-packages.jsonl.gz" {
  id package
  text package, description
  test fraction 0.25 seed 11
  limit 8000
}

labels from "tags" { min_positives 100 }

model { encoder hashed_bag(dim=32, buckets=2^16, ngrams=1..2)  trunk mlp(hidden=64)  heads joint  ensemble 3 }

train { epochs 3  batch 64  lr 0.005 }

trainer { loggers [] }

query {
  seed 80 random
  batch 80
  unit item
  policy random
  budget 69440
}

oracle simulated

evaluate { metrics [micro_f1, macro_f1] }

ceiling yes
