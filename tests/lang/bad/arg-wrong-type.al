# E305: an argument of the wrong type
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
model { encoder hashed_bag(dim="wide") }
