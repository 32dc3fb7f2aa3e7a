# E703: a double-underscore name
data "items.jsonl" { id sku  text title }
labels from "tags"
query { policy __import__("os")  budget 1000 }
