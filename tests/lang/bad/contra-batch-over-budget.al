# E404: a query batch larger than the whole budget
data "items.jsonl" { id sku  text title }
labels from "tags"
query { seed 100  batch 2000  budget 1000 }
