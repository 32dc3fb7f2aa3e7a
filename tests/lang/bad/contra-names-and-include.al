# E404: an explicit label list with a filter
data "items.jsonl" { id sku  text title }
labels from "tags" { names ["a", "b"]  include ["role::*"] }
query { budget 1000 }
