# E404: a stop target on a metric where lower is better
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000  target hamming 0.1 }
evaluate { metrics [micro_f1, hamming] }
