# E311: each vary value is checked as the statement would be
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
vary ensemble [1, 0, 3]
