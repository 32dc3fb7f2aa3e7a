# E103: a block left open is closed before the next statement
data "items.jsonl" { id sku  text title }
labels from "tags"
model { encoder hashed_bag  trunk mlp
query { budget 1000 }
