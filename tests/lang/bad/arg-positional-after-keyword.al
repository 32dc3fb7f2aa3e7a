# E304: positional after keyword
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
model { trunk mlp(hidden=256, 2) }
