# E102: a statement in the wrong block says where it belongs
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
model { epochs 5 }
