# E401: a block given twice
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
model { heads joint }
model { heads independent }
