# E201: a target names a registered metric
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000  target micro_f2 0.5 }
