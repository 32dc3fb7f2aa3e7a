# E312: a query block without a budget
data "items.jsonl" { id sku  text title }
labels from "tags"
query { batch 10 }
