# E603: a float that overflows
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
train { lr 1e999 }
