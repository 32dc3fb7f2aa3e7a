# E404: tuned thresholds take no value
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
weighting { thresholds tuned 0.4 }
