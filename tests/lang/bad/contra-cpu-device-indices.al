# E404: a CPU trainer takes a count of processes, not device indices
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
trainer { devices [0, 1] }
