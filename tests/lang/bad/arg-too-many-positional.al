# E302: more positional arguments than parameters
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
model { trunk mlp(256, 2, 0.1, 7) }
