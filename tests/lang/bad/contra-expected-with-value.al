# E404: an expected-F1 threshold takes no value
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
weighting { thresholds expected 0.4 }
