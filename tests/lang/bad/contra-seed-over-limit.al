# E410: a seed set larger than the rows a data limit reads
data "items.jsonl" { id sku  text title  limit 100 }
labels from "tags"
query { seed 500  batch 100  budget 10000 }
