# E101: a character no token starts with
data "items.jsonl" { id sku  text title }
labels from "tags"
query { budget 1000 @ }
