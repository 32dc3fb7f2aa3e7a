# E404: a target on a metric that is not evaluated
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000  target hamming 0.1 }
