# E201: a misspelt encoder
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
model { encoder hashd_bag(dim=32) }
