# E406: vary with no values
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
vary ensemble []
