# E311: a negative budget
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget -5 }
