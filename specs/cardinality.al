# A policy from a third-party plugin: `cardinality` is registered by the alframe-cardinality
# distribution (plugins/alframe-cardinality), installed with pip; alframe itself has no such
# policy. Without the plugin, `alframe check` reports an unknown policy with a suggestion.
#
#   pip install -e plugins/alframe-cardinality
#   alframe run specs/cardinality.al

run "cardinality" seed 13

data "data/debian-packages.jsonl.gz" {
  id package
  text package, description
  test fraction 0.2 seed 13
  limit 8000
}

labels from "tags" { min_positives 100 }

model { encoder hashed_bag(dim=64, buckets=2^18)  trunk mlp(hidden=256)  heads joint }

train { epochs 5  batch 64 }

query {
  seed 200 random
  batch 200
  unit item
  policy cardinality(beta=0.5)     # Li & Guo, IJCAI 2013
  budget 60000
}

oracle simulated
