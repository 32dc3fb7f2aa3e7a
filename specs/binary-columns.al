# Labels as binary columns: the wide catalogue has one 0/1 column per tag ("role::program",
# "implemented-in::c", ...). Globs pick the label columns; numeric fields feed the encoder;
# independent heads give every label its own small network (no shared trunk parameters).

run "binary-columns" seed 11

data "data/debian-packages-wide.csv.gz" {
  id package
  text description
  numeric installed_size_kb, n_depends
  test fraction 0.25 seed 11
  limit 10000
}

labels columns ["*::*"] {
  exclude ["special::*"]           # bookkeeping tags, not categories
  min_positives 50
}

model {
  encoder hashed_bag(dim=48, buckets=2^17, ngrams=1..2, char_ngrams=3..4)
  trunk identity
  heads independent(hidden=16)
}

train { epochs 3  batch 32  lr 0.003  optimizer adamw  weight_decay 0.0001 }

weighting { imbalance focal(gamma=2.0, alpha=0.25)  thresholds expected }

query { seed 300  batch 300  unit item  policy uncertainty(aggregate=max)  budget 80000 }

oracle simulated

evaluate { metrics [micro_f1, macro_f1, hamming]  every 2 }

trainer { accelerator cpu  devices 1  precision "32-true"  loggers [csv] }
