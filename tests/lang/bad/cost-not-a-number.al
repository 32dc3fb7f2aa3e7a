# E102: a price must be a number
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
cost { item one  cell 0.1 }
