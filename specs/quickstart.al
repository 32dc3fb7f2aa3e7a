# Quickstart: a multi-label model for Debian package categories (Debtags), trained on labels
# chosen by uncertainty sampling, with a simulated annotator answering from the known tags.
# Small enough to run end to end in a minute or two on a laptop CPU:
#
#   alframe run specs/quickstart.al

run "quickstart" seed 7

data "data/debian-packages.jsonl.gz" {
  id package
  text package, description
  numeric installed_size_kb, n_depends
  test fraction 0.2 seed 7
  limit 8000                      # the first 8,000 packages
}

labels from "tags" { min_positives 100 }   # tags with at least 100 packages (about 60)

model {
  # alframe's defaults, spelled out: hashed word and character n-grams weighted by TF-IDF,
  # a 64-wide embedding into an MLP, and a linear path from the same n-grams to every tag,
  # solved each round as a logistic regression with inverse penalty C = 10
  encoder hashed_bag(dim=64, buckets=2^18, ngrams=1..2, char_ngrams=2..5, wide=2^16, wide_c=10)
  trunk mlp(hidden=256)
  heads joint
  ensemble 1
}

# the deep path then learns, in a few epochs, what the linear path leaves
train { epochs 3  batch 64  lr 0.001  schedule cosine }   # warm-up then cosine decay, every round

# one cut for every tag: the one with the best micro-F1 on the answers of the last rounds,
# judged with the model that had not yet seen them (the default, spelled out)
weighting { imbalance none  thresholds progressive }

query {
  seed 200 random                  # the first 200 packages, chosen at random
  batch 200                        # then 200 more per round
  unit item                        # a person answers every tag of a package at once
  policy uncertainty(measure=margin)
  budget 60000                     # labels (package × tag answers), seed set included
}

oracle simulated

evaluate { metrics [micro_f1, macro_f1, macro_ap] }
