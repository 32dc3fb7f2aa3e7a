# E403: a seed set larger than the budget
data "items.jsonl" { id sku  text title }
labels from "tags"
query { seed 500 random  batch 100  budget 400 }
