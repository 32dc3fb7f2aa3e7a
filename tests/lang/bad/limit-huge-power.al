# E603: a power beyond 2^63
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
repeat 10^30
