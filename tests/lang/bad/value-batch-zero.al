# E311: batch must be at least 1
data "items.jsonl" { id sku  text title }
labels from "tags"
query { batch 0  budget 1000 }
