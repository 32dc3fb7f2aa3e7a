# E303: a required argument left out
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 }
oracle file
