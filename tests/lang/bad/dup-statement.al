# E401: a statement given twice in a block
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
train { epochs 3  epochs 4 }
