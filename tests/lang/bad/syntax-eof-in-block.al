# E104: the file ends inside a block
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
train { epochs 5  batch 64
