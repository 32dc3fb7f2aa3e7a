# E105: a string without its closing quote
data "items.jsonl { id sku }
labels from "tags"
query { budget 1000 }
