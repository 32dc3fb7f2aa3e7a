# E311: a seed out of range
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
seed 2^40
