# E203: unit is item or cell
data "items.jsonl" { id sku  text title }
labels from "tags"
query { unit items  budget 1000 }
