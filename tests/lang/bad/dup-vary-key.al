# E401: the same key varied twice
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
vary ensemble [1, 3]
vary ensemble [5]
