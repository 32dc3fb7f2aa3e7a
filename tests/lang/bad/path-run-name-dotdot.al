# E501: a run name that is the run root's parent
run ".."
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
